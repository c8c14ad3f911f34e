"""The client a handler gets: the worker's client, noticing when the handler acknowledges its job.

A handler may complete, fail or throw a BPMN error for its own job through ``job.client``; the
worker must then send nothing more (a second acknowledgement would answer 404 and be noise). The
proxies below forward every call to the real client and note a successful acknowledgement of the
handler's own job. They also refuse to close the worker's client: it is shared by every job.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient, CamundaClient

__all__ = ["AsyncTrackingClient", "SyncTrackingClient"]


class _Tracker(abc.ABC):
    __slots__ = ("_client", "acknowledged", "job_key")

    def __init__(self, job_key: str) -> None:
        self.job_key = job_key
        self.acknowledged = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    @abc.abstractmethod
    def _target(self) -> Any:
        """The client this one stands in front of."""

    def _note(self, job_key: object) -> None:
        if str(job_key) == self.job_key:
            self.acknowledged = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for job {self.job_key}: {self._target()!r}>"


class AsyncTrackingClient(_Tracker):
    """Forwards to a :class:`CamundaAsyncClient`; notes acknowledgements of ``job_key``."""

    __slots__ = ()

    def __init__(self, client: CamundaAsyncClient, job_key: str) -> None:
        super().__init__(job_key)
        self._client: CamundaAsyncClient = client

    def _target(self) -> CamundaAsyncClient:
        return self._client

    async def complete_job(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Complete a job (see :meth:`CamundaAsyncClient.complete_job`)."""
        await self._client.complete_job(job_key, *args, **kwargs)
        self._note(job_key)

    async def fail_job(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Fail a job (see :meth:`CamundaAsyncClient.fail_job`)."""
        await self._client.fail_job(job_key, *args, **kwargs)
        self._note(job_key)

    async def throw_job_error(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Throw a BPMN error for a job (see :meth:`CamundaAsyncClient.throw_job_error`)."""
        await self._client.throw_job_error(job_key, *args, **kwargs)
        self._note(job_key)

    async def aclose(self) -> None:
        """Do nothing: the worker owns this client and closes it when it closes."""


class SyncTrackingClient(_Tracker):
    """Forwards to a :class:`CamundaClient` built on first use; notes acknowledgements."""

    __slots__ = ("_factory",)

    def __init__(self, factory: Callable[[], CamundaClient], job_key: str) -> None:
        super().__init__(job_key)
        self._factory = factory
        self._client: CamundaClient | None = None

    def _target(self) -> CamundaClient:
        client = self._client
        if client is None:
            client = self._client = self._factory()
        return client

    def complete_job(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Complete a job (see :meth:`CamundaClient.complete_job`)."""
        self._target().complete_job(job_key, *args, **kwargs)
        self._note(job_key)

    def fail_job(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Fail a job (see :meth:`CamundaClient.fail_job`)."""
        self._target().fail_job(job_key, *args, **kwargs)
        self._note(job_key)

    def throw_job_error(self, job_key: str, *args: Any, **kwargs: Any) -> None:
        """Throw a BPMN error for a job (see :meth:`CamundaClient.throw_job_error`)."""
        self._target().throw_job_error(job_key, *args, **kwargs)
        self._note(job_key)

    def close(self) -> None:
        """Do nothing: the worker owns this client and closes it when it closes."""
