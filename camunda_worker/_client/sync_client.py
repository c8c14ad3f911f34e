"""The blocking REST client, :class:`CamundaClient` (see :mod:`camunda_worker._client`)."""

from __future__ import annotations

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
)

__all__ = ["CamundaClient"]

T = TypeVar("T")


class CamundaClient:
    """Blocking client for the Camunda 8 Orchestration Cluster REST API v2.

    The same methods, arguments, results and errors as :class:`CamundaAsyncClient`, without
    ``await``; ``transport`` is a sync ``httpx.BaseTransport``. Safe to share between threads.
    Use as ``with CamundaClient(...) as client:`` or call :meth:`close`.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        verify: ssl.SSLContext | bool = True,
        headers: Mapping[str, str] | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._base_url, self._timeout, options = client_options(
            base_url, auth, timeout, verify, headers, limits
        )
        self._http = httpx.Client(transport=transport, **options)

    @property
    def base_url(self) -> str:
        """The REST address this client talks to (without credentials or trailing slash)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    def _send(self, call: ep.Call[T]) -> T:
        request = build_request(self._http, call, self._timeout)
        with translate_transport_errors(request.method, request.url):
            response = self._http.send(request)
        return read_answer(call, response.status_code, response.content)

    def activate_jobs(
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
        """Activate jobs (long poll); see :meth:`CamundaAsyncClient.activate_jobs`."""
        return self._send(
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

    def complete_job(self, job_key: str, variables: Mapping[str, Any] | None = None) -> None:
        """Complete a job; see :meth:`CamundaAsyncClient.complete_job`."""
        self._send(ep.complete_job(job_key, variables))

    def fail_job(
        self,
        job_key: str,
        *,
        retries: int,
        error_message: str | None = None,
        retry_back_off: int = 0,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Fail a job; see :meth:`CamundaAsyncClient.fail_job`."""
        self._send(
            ep.fail_job(
                job_key,
                retries=retries,
                error_message=error_message,
                retry_back_off=retry_back_off,
                variables=variables,
            )
        )

    def throw_job_error(
        self,
        job_key: str,
        *,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Throw a BPMN error from a job; see :meth:`CamundaAsyncClient.throw_job_error`."""
        self._send(
            ep.throw_job_error(
                job_key, error_code=error_code, error_message=error_message, variables=variables
            )
        )

    def update_job(
        self, job_key: str, *, retries: int | None = None, timeout: int | None = None
    ) -> None:
        """Change a job's retries or timeout; see :meth:`CamundaAsyncClient.update_job`."""
        self._send(ep.update_job(job_key, retries=retries, timeout=timeout))

    def search_jobs(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> JobSearchResult:
        """Search jobs; see :meth:`CamundaAsyncClient.search_jobs`."""
        return self._send(ep.search_jobs(filter=filter, limit=limit, sort=sort, after=after))

    def deploy_resources(
        self, resources: Sequence[ep.Resource], *, tenant_id: str | None = None
    ) -> DeploymentResult:
        """Deploy resources; see :meth:`CamundaAsyncClient.deploy_resources`."""
        return self._send(ep.deploy_resources(resources, tenant_id=tenant_id))

    def create_process_instance(
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
        """Start a process instance; see :meth:`CamundaAsyncClient.create_process_instance`."""
        return self._send(
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

    def get_process_instance(self, process_instance_key: str) -> ProcessInstance:
        """Get one process instance; see :meth:`CamundaAsyncClient.get_process_instance`."""
        return self._send(ep.get_process_instance(process_instance_key))

    def search_process_instances(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> ProcessInstanceSearchResult:
        """Search process instances; see :meth:`CamundaAsyncClient.search_process_instances`."""
        return self._send(
            ep.search_process_instances(filter=filter, limit=limit, sort=sort, after=after)
        )

    def search_incidents(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> IncidentSearchResult:
        """Search incidents; see :meth:`CamundaAsyncClient.search_incidents`."""
        return self._send(ep.search_incidents(filter=filter, limit=limit, sort=sort, after=after))

    def get_incident(self, incident_key: str) -> Incident:
        """Get one incident; see :meth:`CamundaAsyncClient.get_incident`."""
        return self._send(ep.get_incident(incident_key))

    def search_element_instances(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> ElementInstanceSearchResult:
        """Search element instances; see :meth:`CamundaAsyncClient.search_element_instances`."""
        return self._send(
            ep.search_element_instances(filter=filter, limit=limit, sort=sort, after=after)
        )

    def search_variables(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> VariableSearchResult:
        """Search variables; see :meth:`CamundaAsyncClient.search_variables`."""
        return self._send(ep.search_variables(filter=filter, limit=limit, sort=sort, after=after))

    def search_user_tasks(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        limit: int = 100,
        sort: Sequence[Mapping[str, str]] | None = None,
        after: str | None = None,
    ) -> UserTaskSearchResult:
        """Search Camunda user tasks; see :meth:`CamundaAsyncClient.search_user_tasks`."""
        return self._send(ep.search_user_tasks(filter=filter, limit=limit, sort=sort, after=after))

    def get_user_task(self, user_task_key: str) -> UserTask:
        """Get one Camunda user task; see :meth:`CamundaAsyncClient.get_user_task`."""
        return self._send(ep.get_user_task(user_task_key))

    def assign_user_task(
        self, user_task_key: str, assignee: str, *, allow_override: bool | None = None
    ) -> None:
        """Assign a user task; see :meth:`CamundaAsyncClient.assign_user_task`."""
        self._send(ep.assign_user_task(user_task_key, assignee, allow_override=allow_override))

    def unassign_user_task(self, user_task_key: str) -> None:
        """Remove a user task's assignee; see :meth:`CamundaAsyncClient.unassign_user_task`."""
        self._send(ep.unassign_user_task(user_task_key))

    def complete_user_task(
        self, user_task_key: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        """Complete a user task; see :meth:`CamundaAsyncClient.complete_user_task`."""
        self._send(ep.complete_user_task(user_task_key, variables))

    def pin_clock(self, timestamp: int) -> None:
        """Pin the cluster's clock at ``timestamp``; see :meth:`CamundaAsyncClient.pin_clock`."""
        self._send(ep.pin_clock(timestamp))

    def reset_clock(self) -> None:
        """Let the cluster's clock run on the system time again; see :meth:`CamundaAsyncClient.reset_clock`."""
        self._send(ep.reset_clock())

    def publish_message(
        self,
        *,
        name: str,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        time_to_live: int | None = None,
        message_id: str | None = None,
        tenant_id: str | None = None,
    ) -> PublishedMessage:
        """Publish a message; see :meth:`CamundaAsyncClient.publish_message`."""
        return self._send(
            ep.publish_message(
                name=name,
                correlation_key=correlation_key,
                variables=variables,
                time_to_live=time_to_live,
                message_id=message_id,
                tenant_id=tenant_id,
            )
        )

    def topology(self) -> Topology:
        """Get the cluster topology; see :meth:`CamundaAsyncClient.topology`."""
        return self._send(ep.topology())

    def status(self) -> bool:
        """Tell whether the cluster is ready: ``True`` on 204, ``False`` on 503."""
        return self._send(ep.status())

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> CamundaClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
