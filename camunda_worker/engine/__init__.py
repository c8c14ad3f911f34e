"""An in-memory Camunda 8 engine: the job-related part of the REST API v2, for tests and demos.

The core (:class:`Engine`) deploys BPMN, runs process instances and hands out jobs with
Camunda's lifecycle. :class:`EngineApp` serves it as an ASGI app under ``/v2``; reach it without
sockets through :class:`InProcessTransport` / :class:`AsyncInProcessTransport`, or over TCP with
:func:`serve`, :class:`EngineServer` or ``camunda-worker engine``. :class:`FaultPlan` injects
latency, errors and dropped connections; every exchange is recorded for assertions.
"""

from camunda_worker.engine._faults.injection import FaultKind, FaultPlan
from camunda_worker.engine._faults.recording import Exchange, Recorder
from camunda_worker.engine._http.app import EngineApp, create_app
from camunda_worker.engine._http.auth import TokenIssuer
from camunda_worker.engine._http.server import EngineServer, serve
from camunda_worker.engine._http.transport import AsyncInProcessTransport, InProcessTransport
from camunda_worker.engine._runtime.clock import Clock, ManualClock, SystemClock
from camunda_worker.engine._runtime.core import Engine, ServerLine
from camunda_worker.engine._runtime.errors import EngineError
from camunda_worker.engine._runtime.modification import MessageSubscriptionView
from camunda_worker.engine._runtime.views import (
    EngineStats,
    IncidentView,
    JobView,
    ProcessInstanceView,
    UserTaskView,
)

__all__ = [
    "AsyncInProcessTransport",
    "Clock",
    "Engine",
    "EngineApp",
    "EngineError",
    "EngineServer",
    "EngineStats",
    "Exchange",
    "FaultKind",
    "FaultPlan",
    "InProcessTransport",
    "IncidentView",
    "JobView",
    "ManualClock",
    "MessageSubscriptionView",
    "ProcessInstanceView",
    "Recorder",
    "ServerLine",
    "SystemClock",
    "TokenIssuer",
    "UserTaskView",
    "create_app",
    "serve",
]
