"""What a handler receives: the job, a logger bound to it and, for most strategies, a client.

- :class:`JobContext`: the job's fields (``job.variables``, ``job.job_key``, ``job.retries``...)
  and ``job.log``, a logger bound with the job type, job key, process instance key and worker name.
- :class:`SyncJobContext` (``thread`` and ``process`` strategies): adds ``job.client``, a blocking
  :class:`~camunda_worker.CamundaClient` with the worker's address, auth and TLS settings.
- :class:`ConnectedJobContext`, alias :data:`AsyncJobContext` (``async`` strategy): adds
  ``job.client``, the worker's :class:`~camunda_worker.CamundaAsyncClient`.

If a handler completes, fails or throws a BPMN error for its own job through ``job.client``, the
worker sends nothing more for that job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from pydantic import BaseModel

if TYPE_CHECKING:
    from camunda_worker._api.models import ActivatedJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient, CamundaClient

__all__ = ["AsyncJobContext", "ConnectedJobContext", "JobContext", "SyncJobContext"]

ModelT = TypeVar("ModelT", bound=BaseModel)


@attrs.frozen(repr=False)
class JobContext:
    """A job handed to a handler, with a logger bound to it.

    Attributes:
        job: the activated job as the server sent it.
        log: a logger bound with ``job_type``, ``job_key``, ``process_instance_key`` and ``worker``;
            in a child process its records reach the worker's sinks.
    """

    job: ActivatedJob
    log: JobLogger

    def variables_as(self, model: type[ModelT]) -> ModelT:
        """Validate the job's variables into a pydantic model.

        Args:
            model: the pydantic model class.

        Returns:
            The validated model. A :class:`pydantic.ValidationError` raised here fails the job
            with a message naming the offending variables.
        """
        return model.model_validate(self.job.variables)

    @property
    def job_key(self) -> str:
        """The job's key: use it to complete, fail or throw an error yourself."""
        return self.job.job_key

    @property
    def job_type(self) -> str:
        """The job type, as in the BPMN task definition."""
        return self.job.job_type

    @property
    def variables(self) -> dict[str, Any]:
        """The variables fetched at activation."""
        return self.job.variables

    @property
    def custom_headers(self) -> dict[str, str]:
        """The task's custom headers."""
        return self.job.custom_headers

    @property
    def retries(self) -> int:
        """Retries left; a failure that leaves 0 raises an incident."""
        return self.job.retries

    @property
    def deadline(self) -> int:
        """Epoch milliseconds (server clock) after which the job may be activated again."""
        return self.job.deadline

    @property
    def process_instance_key(self) -> str:
        """Key of the process instance the job belongs to."""
        return self.job.process_instance_key

    @property
    def process_definition_id(self) -> str:
        """BPMN process id of the job's process."""
        return self.job.process_definition_id

    @property
    def process_definition_version(self) -> int:
        """Version of the job's process definition."""
        return self.job.process_definition_version

    @property
    def process_definition_key(self) -> str:
        """Key of the job's process definition."""
        return self.job.process_definition_key

    @property
    def element_id(self) -> str:
        """Id of the BPMN element that created the job."""
        return self.job.element_id

    @property
    def element_instance_key(self) -> str:
        """Key of the element instance that created the job."""
        return self.job.element_instance_key

    @property
    def worker(self) -> str:
        """The worker name given at activation."""
        return self.job.worker

    @property
    def tenant_id(self) -> str:
        """The job's tenant."""
        return self.job.tenant_id

    @property
    def kind(self) -> str:
        """``BPMN_ELEMENT`` or a listener kind."""
        return self.job.kind

    @property
    def tags(self) -> tuple[str, ...]:
        """The process instance's tags (8.8+; empty before)."""
        return self.job.tags

    def __repr__(self) -> str:
        # Variables may be large or sensitive: keep them out of log lines and tracebacks.
        return (
            f"{type(self).__name__}(job_key={self.job_key!r}, job_type={self.job_type!r}, "
            f"process_instance_key={self.process_instance_key!r}, retries={self.retries})"
        )


@attrs.frozen(repr=False)
class SyncJobContext(JobContext):
    """A job for a ``thread`` or ``process`` handler, with a blocking client.

    Attributes:
        client: a :class:`~camunda_worker.CamundaClient` sharing the worker's address, auth and
            TLS settings, built on first use and closed by the worker (do not close it).
    """

    client: CamundaClient


@attrs.frozen(repr=False)
class ConnectedJobContext(JobContext):
    """A job for an ``async`` handler, with the worker's async client.

    Attributes:
        client: the worker's :class:`~camunda_worker.CamundaAsyncClient` (``await
            job.client.publish_message(...)``); the worker closes it (do not close it).
    """

    client: CamundaAsyncClient


AsyncJobContext = ConnectedJobContext
"""Alias of :class:`ConnectedJobContext`, the context of ``async`` handlers."""
