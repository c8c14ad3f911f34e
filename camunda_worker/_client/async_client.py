"""The async REST client, :class:`CamundaAsyncClient` (see :mod:`camunda_worker._client`)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from camunda_worker._api import endpoints as ep
from camunda_worker._api.models import (
    ActivatedJobs,
    CreatedProcessInstance,
    DeploymentResult,
    ElementInstanceSearchResult,
    Incident,
    IncidentSearchResult,
    JobSearchResult,
    ProcessInstance,
    ProcessInstanceSearchResult,
    PublishedMessage,
    Topology,
    UserTask,
    UserTaskSearchResult,
    VariableSearchResult,
)
from camunda_worker._transport.http import (
    DEFAULT_BASE_URL,
    build_request,
    client_options,
    read_answer,
    translate_transport_errors,
    wait_timeout,
)
from camunda_worker._transport.lane import WireLane, proxied, wire_lane

__all__ = ["CamundaAsyncClient"]

T = TypeVar("T")


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio, or no loop: httpx handles it
        return False
    return True


class CamundaAsyncClient:
    """Async client for the Camunda 8 Orchestration Cluster REST API v2.

    Args:
        base_url: the REST address including ``/v2``, e.g. ``https://host:8080/v2``.
        auth: an httpx auth flow (basic, OAuth2...) applied to every request.
        transport: the httpx transport; inject ``httpx.MockTransport`` or ``httpx.ASGITransport``
            to test without a network.
        timeout: HTTP timeout in seconds or an ``httpx.Timeout``; ``None`` is the finite default
            (connect 10 s, read 30 s). Long polls get a longer read timeout automatically.
        verify: TLS verification: ``True``, ``False`` or an ``ssl.SSLContext`` (e.g. for mTLS).
        headers: extra headers sent with every request.
        limits: httpx connection-pool limits.

    Times passed to methods (``timeout``, ``request_timeout``, ``retry_back_off``...) are
    milliseconds, as on the wire. Use as ``async with CamundaAsyncClient(...) as client:``.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        verify: ssl.SSLContext | bool = True,
        headers: Mapping[str, str] | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._base_url, self._timeout, options = client_options(
            base_url, auth, timeout, verify, headers, limits
        )
        self._wire: WireLane | None = None
        if transport is None and not proxied(options["base_url"]):
            # The lane and httpx's own transport share one TLS context (options["verify"]).
            self._wire = wire_lane(
                options["base_url"],
                auth=auth,
                headers=options["headers"],
                verify=options["verify"],
                limits=limits,
            )
        self._http = httpx.AsyncClient(transport=transport, **options)

    @property
    def base_url(self) -> str:
        """The REST address this client talks to (without credentials or trailing slash)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    async def _send(self, call: ep.Call[T]) -> T:
        wire = self._wire
        if wire is not None and call.files is None and call.data is None and _on_asyncio():
            timeout = self._timeout
            if call.wait_ms is not None:
                timeout = wait_timeout(timeout, call.wait_ms)
            with translate_transport_errors(call.method, wire.shown + call.path):
                return await wire.send(call, timeout)
        request = build_request(self._http, call, self._timeout)
        with translate_transport_errors(request.method, request.url):
            response = await self._http.send(request)
        return read_answer(call, response.status_code, response.content)

    async def activate_jobs(
        self,
        *,
        job_type: str,
        max_jobs_to_activate: int,
        timeout: int,
        worker: str,
        request_timeout: int | None = None,
        fetch_variable: Sequence[str] | None = None,
        tenant_ids: Sequence[str] | None = None,
    ) -> ActivatedJobs:
        """Activate up to ``max_jobs_to_activate`` jobs of ``job_type`` (long poll).

        Args:
            job_type: the job type to activate.
            max_jobs_to_activate: the most jobs to return.
            timeout: ms the jobs stay locked to this worker before they may be activated again.
            worker: the worker name recorded on the jobs.
            request_timeout: ms the server may wait for jobs: ``None`` or 0 is the server default
                (10 s), negative answers at once. The HTTP read timeout always outlasts it.
            fetch_variable: the variables to fetch; ``None`` fetches all.
            tenant_ids: the tenants to activate jobs for.

        Returns:
            The activated jobs (a list); empty when the long poll ended without any. Jobs of
            the answer that cannot be read (variables nested too deep to decode, a field of the
            wrong type) are not in the list but in its ``unreadable`` attribute, with their key
            and the reason: they are activated all the same, so fail them (the job worker
            fails them with no retries left) or they come back after ``timeout``.
        """
        return await self._send(
            ep.activate_jobs(
                job_type=job_type,
                max_jobs_to_activate=max_jobs_to_activate,
                timeout=timeout,
                worker=worker,
                request_timeout=request_timeout,
                fetch_variable=fetch_variable,
                tenant_ids=tenant_ids,
            )
        )

    async def complete_job(self, job_key: str, variables: Mapping[str, Any] | None = None) -> None:
        """Complete a job, merging ``variables`` into the process instance.

        Raises:
            NotFoundError: the job does not exist (any more).
            ConflictError: the job is not activated (e.g. failed, or activated again elsewhere).
        """
        await self._send(ep.complete_job(job_key, variables))

    async def fail_job(
        self,
        job_key: str,
        *,
        retries: int,
        error_message: str | None = None,
        retry_back_off: int = 0,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Fail a job: it may be activated again after ``retry_back_off`` ms while ``retries`` > 0.

        With ``retries`` = 0 the engine raises an incident carrying ``error_message``.
        """
        await self._send(
            ep.fail_job(
                job_key,
                retries=retries,
                error_message=error_message,
                retry_back_off=retry_back_off,
                variables=variables,
            )
        )

    async def throw_job_error(
        self,
        job_key: str,
        *,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Throw a BPMN error from a job; a catching boundary event with ``error_code`` takes over."""
        await self._send(
            ep.throw_job_error(
                job_key, error_code=error_code, error_message=error_message, variables=variables
            )
        )

    async def update_job(
        self, job_key: str, *, retries: int | None = None, timeout: int | None = None
    ) -> None:
        """Change a job's retries, or its timeout (new lock duration in ms from now)."""
        await self._send(ep.update_job(job_key, retries=retries, timeout=timeout))

    async def search_jobs(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> JobSearchResult:
        """Search jobs (e.g. ``filter={"type": "payment", "state": "CREATED"}``).

        ``after`` is the ``page.end_cursor`` of the previous page; ``sort`` items are
        ``{"field": ..., "order": "ASC" | "DESC"}``. Search data is eventually consistent.
        """
        return await self._send(ep.search_jobs(filter=filter, limit=limit, sort=sort, after=after))

    async def deploy_resources(
        self, resources: Sequence[ep.Resource], *, tenant_id: str | None = None
    ) -> DeploymentResult:
        """Deploy BPMN, DMN or form resources: ``(file name, content)`` pairs or file paths."""
        return await self._send(ep.deploy_resources(resources, tenant_id=tenant_id))

    async def create_process_instance(
        self,
        *,
        process_definition_id: str | None = None,
        process_definition_key: str | None = None,
        version: int | None = None,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        await_completion: bool = False,
        request_timeout: int | None = None,
        fetch_variables: Sequence[str] | None = None,
    ) -> CreatedProcessInstance:
        """Start a process instance by BPMN process id (latest, or ``version``) or by key.

        With ``await_completion`` the answer comes when the instance completes (within
        ``request_timeout`` ms) and carries its ``variables``.
        """
        return await self._send(
            ep.create_process_instance(
                process_definition_id=process_definition_id,
                process_definition_key=process_definition_key,
                version=version,
                variables=variables,
                tenant_id=tenant_id,
                await_completion=await_completion,
                request_timeout=request_timeout,
                fetch_variables=fetch_variables,
            )
        )

    async def get_process_instance(self, process_instance_key: str) -> ProcessInstance:
        """Get one process instance (eventually consistent: a new one may 404 for a moment)."""
        return await self._send(ep.get_process_instance(process_instance_key))

    async def search_process_instances(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> ProcessInstanceSearchResult:
        """Search process instances (e.g. ``filter={"processDefinitionId": "order"}``)."""
        return await self._send(
            ep.search_process_instances(filter=filter, limit=limit, sort=sort, after=after)
        )

    async def search_incidents(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> IncidentSearchResult:
        """Search incidents (e.g. ``filter={"state": "ACTIVE"}``); pages as :meth:`search_jobs`."""
        return await self._send(
            ep.search_incidents(filter=filter, limit=limit, sort=sort, after=after)
        )

    async def get_incident(self, incident_key: str) -> Incident:
        """Get one incident (eventually consistent, as every search)."""
        return await self._send(ep.get_incident(incident_key))

    async def search_element_instances(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> ElementInstanceSearchResult:
        """Search element instances (e.g. ``filter={"processInstanceKey": key, "elementId": "approve"}``)."""
        return await self._send(
            ep.search_element_instances(filter=filter, limit=limit, sort=sort, after=after)
        )

    async def search_variables(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> VariableSearchResult:
        """Search variables (e.g. ``filter={"processInstanceKey": key, "name": "total"}``)."""
        return await self._send(
            ep.search_variables(filter=filter, limit=limit, sort=sort, after=after)
        )

    async def search_user_tasks(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> UserTaskSearchResult:
        """Search Camunda user tasks (e.g. ``filter={"processInstanceKey": key, "state": "CREATED"}``)."""
        return await self._send(
            ep.search_user_tasks(filter=filter, limit=limit, sort=sort, after=after)
        )

    async def get_user_task(self, user_task_key: str) -> UserTask:
        """Get one Camunda user task."""
        return await self._send(ep.get_user_task(user_task_key))

    async def assign_user_task(
        self, user_task_key: str, assignee: str, *, allow_override: bool | None = None
    ) -> None:
        """Assign a user task; with ``allow_override=False`` an assigned task is refused (409)."""
        await self._send(
            ep.assign_user_task(user_task_key, assignee, allow_override=allow_override)
        )

    async def unassign_user_task(self, user_task_key: str) -> None:
        """Remove a user task's assignee."""
        await self._send(ep.unassign_user_task(user_task_key))

    async def complete_user_task(
        self, user_task_key: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        """Complete a user task; its variables reach the process instance."""
        await self._send(ep.complete_user_task(user_task_key, variables))

    async def pin_clock(self, timestamp: int) -> None:
        """Pin the cluster's clock at ``timestamp`` (epoch ms) until :meth:`reset_clock` (test clusters)."""
        await self._send(ep.pin_clock(timestamp))

    async def reset_clock(self) -> None:
        """Let the cluster's clock run on the system time again."""
        await self._send(ep.reset_clock())

    async def publish_message(
        self,
        *,
        name: str,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        time_to_live: int | None = None,
        message_id: str | None = None,
        tenant_id: str | None = None,
    ) -> PublishedMessage:
        """Publish a message, buffered for ``time_to_live`` ms when no subscription matches."""
        return await self._send(
            ep.publish_message(
                name=name,
                correlation_key=correlation_key,
                variables=variables,
                time_to_live=time_to_live,
                message_id=message_id,
                tenant_id=tenant_id,
            )
        )

    async def topology(self) -> Topology:
        """Get the cluster topology (brokers, partitions, gateway version)."""
        return await self._send(ep.topology())

    async def status(self) -> bool:
        """Tell whether the cluster is ready: ``True`` on 204, ``False`` on 503."""
        return await self._send(ep.status())

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        if self._wire is not None:
            await self._wire.aclose()
        await self._http.aclose()

    async def __aenter__(self) -> CamundaAsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
