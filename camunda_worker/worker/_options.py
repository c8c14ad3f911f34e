"""Everything a worker needs, resolved and checked once, when the worker is built.

Precedence for each option: the argument given to :class:`~camunda_worker.JobWorker` > its
``CAMUNDA_WORKER_*`` setting (environment, ``.env``, ``settings`` overrides) > the default. Every
mistake that can be found before activating a job is found here (no job is burned by it): an
unknown strategy, a handler that cannot be pickled for the process strategy, a start method this
platform lacks, a ``max_tasks_per_child`` below 1.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.logs import adapt_logger
from camunda_worker._config.fields import DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS
from camunda_worker._config.settings import CamundaSettings, resolve_settings
from camunda_worker._config.worker_config import WorkerConfig, resolve_worker_config
from camunda_worker.worker._binding import HandlerPlan, InvalidVariables, Middleware, bind_handler
from camunda_worker.worker._policies import (
    ErrorHook,
    OutcomePolicy,
    RetryPolicy,
    outcome_policy_of,
)
from camunda_worker.worker._strategy import ResolvedStrategy, check_picklable, resolve_strategy
from camunda_worker.worker._tracing import TRACE_VARIABLES, JobTracing, load_tracing

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger

__all__ = [
    "DEFAULT_DRAIN_TIMEOUT",
    "HandlerOptions",
    "ProcessOptions",
    "WorkerOptions",
    "resolve_options",
]

T = TypeVar("T")

DEFAULT_DRAIN_TIMEOUT = 30.0
"""Seconds in-flight jobs get to finish when a worker stops (``CAMUNDA_WORKER_DRAIN_TIMEOUT``)."""


def _resolved(value: T | None, name: str) -> T:
    """A field :func:`resolve_worker_config` always fills in (a ``None`` here is a bug)."""
    if value is None:
        msg = f"the worker configuration's {name} was not resolved"
        raise RuntimeError(msg)
    return value


@attrs.frozen
class ProcessOptions:
    """How the ``process`` strategy's pool is built.

    Attributes:
        start_method: ``spawn`` (default), ``forkserver`` or ``fork``.
        pool_size: how many child processes at most.
        initializer: called once in each child before its first job.
        initargs: the initializer's arguments.
        max_tasks_per_child: a child is replaced after this many jobs.
    """

    start_method: str
    pool_size: int
    initializer: Callable[..., object] | None = None
    initargs: tuple[Any, ...] = ()
    max_tasks_per_child: int | None = None


@attrs.frozen
class HandlerOptions:
    """How a worker calls its handler; see :class:`~camunda_worker.JobWorker` for each one."""

    dependencies: Mapping[str | type, object] = attrs.field(factory=dict)
    bpmn_errors: Mapping[type[BaseException], str] = attrs.field(factory=dict)
    on_error: ErrorHook | None = None
    middleware: tuple[Middleware, ...] = ()
    invalid_variables: InvalidVariables = "incident"


@attrs.frozen
class WorkerOptions:
    """A worker's resolved options; see :class:`~camunda_worker.JobWorker` for each one.

    ``callback`` is what the runners call with a context: the handler itself in the plain form,
    else its :class:`~._binding.BoundHandler`; ``handler`` is the user's function.
    """

    callback: Callable[[Any], Any]
    config: WorkerConfig
    settings: CamundaSettings
    strategy: ResolvedStrategy
    logger: JobLogger
    startup_jitter: float
    drain_timeout: float
    retry_back_off: int
    auto_extend_timeout: bool
    process: ProcessOptions | None
    loop_block_threshold: int = DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS
    plan: HandlerPlan = attrs.field(factory=lambda: HandlerPlan(plain=True))
    fetch_inferred: bool = False
    tracing: JobTracing | None = None

    @property
    def max_concurrent_jobs(self) -> int:
        """The worker's capacity."""
        return _resolved(self.config.max_concurrent_jobs, "max_concurrent_jobs")

    @property
    def job_timeout(self) -> int:
        """The job timeout (ms) the worker activates with."""
        return _resolved(self.config.job_timeout_milliseconds, "job_timeout_milliseconds")

    @property
    def worker_name(self) -> str:
        """The worker's name."""
        return _resolved(self.config.worker_name, "worker_name")


def _pick(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def resolve_settings_argument(
    settings: CamundaSettings | Mapping[str, object] | None,
) -> CamundaSettings:
    """Settings given as a model are used as is; a mapping is a set of overrides of the env."""
    if isinstance(settings, CamundaSettings):
        return settings
    return resolve_settings(settings).settings


def resolve_options(
    *,
    callback: Callable[..., Any],
    config: WorkerConfig,
    settings: CamundaSettings,
    logger: object | None,
    execution_strategy: str | None,
    startup_jitter_max_seconds: float | None,
    drain_timeout: float | None,
    retry_back_off: int | RetryPolicy | None,
    auto_extend_timeout: bool | None,
    process_start_method: str | None,
    process_pool_size: int | None,
    process_initializer: Callable[..., object] | None,
    process_initargs: tuple[Any, ...],
    max_tasks_per_child: int | None,
    loop_block_threshold: int | None = None,
    handling: HandlerOptions | None = None,
    tracing: bool = False,
    tracer_provider: object | None = None,
) -> WorkerOptions:
    """Resolve and check a worker's options (see the module docstring for precedence).

    Raises:
        ConfigurationError: an option is invalid; the message names it.
    """
    if not isinstance(config, WorkerConfig):
        raise ConfigurationError(
            f"config must be a WorkerConfig, got {type(config).__name__}", variable="config"
        )
    resolved = resolve_worker_config(config, settings)
    requested = _pick(execution_strategy, settings.worker_execution_strategy, "auto")
    strategy = resolve_strategy(callback, requested)
    jitter = _pick(startup_jitter_max_seconds, settings.worker_startup_jitter_max_seconds, 0.0)
    drain = _pick(drain_timeout, settings.worker_drain_timeout, DEFAULT_DRAIN_TIMEOUT)
    handling = handling if handling is not None else HandlerOptions()
    policy = None
    back_off = _pick(retry_back_off, settings.worker_retry_backoff, 0)
    if isinstance(back_off, RetryPolicy):
        policy, back_off = back_off, 0
    _check_non_negative("startup_jitter_max_seconds", jitter)
    _check_non_negative("drain_timeout", drain)
    _check_non_negative("retry_back_off", back_off)
    outcome_policy = outcome_policy_of(
        bpmn_errors=handling.bpmn_errors, retry_back_off=policy, on_error=handling.on_error
    )
    bound, plan = bind_handler(
        callback,
        dependencies=handling.dependencies,
        invalid_variables=handling.invalid_variables,
        middleware=handling.middleware,
        policy=outcome_policy,
        back_off=int(back_off),
    )
    inferred = resolved.fetch_variables is None and plan.fetch_variables is not None
    if inferred:
        fetch = plan.fetch_variables or ()
        if tracing or tracer_provider is not None:
            fetch = tuple(dict.fromkeys((*fetch, *TRACE_VARIABLES)))
        resolved = attrs.evolve(resolved, fetch_variables=fetch)
    block_threshold = _pick(
        loop_block_threshold,
        settings.worker_loop_block_threshold,
        DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS,
    )
    _check_non_negative("loop_block_threshold", block_threshold)
    process = None
    if strategy == "process":
        process = _process_options(
            callback,
            settings,
            start_method=process_start_method,
            pool_size=process_pool_size,
            max_concurrent_jobs=_resolved(resolved.max_concurrent_jobs, "max_concurrent_jobs"),
            initializer=process_initializer,
            initargs=process_initargs,
            max_tasks_per_child=max_tasks_per_child,
        )
        _check_crossing(handling, outcome_policy)
    return WorkerOptions(
        callback=bound,
        config=resolved,
        settings=settings,
        strategy=strategy,
        logger=adapt_logger(logger),
        startup_jitter=float(jitter),
        drain_timeout=float(drain),
        retry_back_off=int(back_off),
        auto_extend_timeout=bool(
            _pick(auto_extend_timeout, settings.worker_auto_extend_timeout, False)
        ),
        process=process,
        loop_block_threshold=int(block_threshold),
        plan=plan,
        fetch_inferred=inferred,
        tracing=load_tracing(
            tracing,
            job_type=resolved.job_type,
            worker_name=_resolved(resolved.worker_name, "worker_name"),
            tracer_provider=tracer_provider,
        ),
    )


def _check_crossing(handling: HandlerOptions, policy: OutcomePolicy | None) -> None:
    """Check that what a child process needs besides the handler can be pickled."""
    for key, value in handling.dependencies.items():
        name = key if isinstance(key, str) else getattr(key, "__qualname__", repr(key))
        try:
            pickle.dumps(value)
        except Exception as error:  # pickling raises many types; all mean the same here
            raise ConfigurationError(
                f"the dependency {name!r} ({type(value).__name__}) cannot be sent to the child "
                f"processes of the 'process' execution strategy: it cannot be pickled "
                f"({type(error).__name__}: {error}). Build it in each child instead (a "
                "process_initializer that sets a module-level variable), or use the 'thread' "
                "or 'async' strategy.",
                variable="dependencies",
            ) from error
    for hook in handling.middleware:
        check_picklable(hook, "the middleware")
    if policy is not None:
        if policy.on_error is not None:
            check_picklable(policy.on_error, "the on_error hook")
        if policy.retry_back_off is not None:
            check_picklable(policy.retry_back_off, "the retry back-off policy")
        for error_type in policy.bpmn_errors:
            check_picklable(error_type, "the exception class")


def _check_non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ConfigurationError(f"{name} must be >= 0, got {value!r}", variable=name)


def _process_options(
    callback: Callable[[Any], Any],
    settings: CamundaSettings,
    *,
    start_method: str | None,
    pool_size: int | None,
    max_concurrent_jobs: int,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    max_tasks_per_child: int | None,
) -> ProcessOptions:
    if sys.platform == "win32":
        raise ConfigurationError(
            "the 'process' strategy runs on Linux and macOS: the worker's event loop watches "
            "each child's pipe and process sentinel, which Windows' event loops cannot; use "
            "the 'thread' strategy there",
            variable="execution_strategy",
        )
    method = _pick(start_method, settings.worker_process_start_method, "spawn")
    if method not in multiprocessing.get_all_start_methods():
        raise ConfigurationError(
            f"process start method {method!r} is not available here; choose one of "
            + ", ".join(multiprocessing.get_all_start_methods()),
            variable="CAMUNDA_WORKER_PROCESS_START_METHOD",
        )
    tasks = _pick(max_tasks_per_child, settings.worker_max_tasks_per_child)
    if tasks is not None and tasks < 1:
        raise ConfigurationError(
            f"max_tasks_per_child must be >= 1, got {tasks}",
            variable="CAMUNDA_WORKER_MAX_TASKS_PER_CHILD",
        )
    size = pool_size if pool_size is not None else min(max_concurrent_jobs, os.cpu_count() or 1)
    if size < 1:
        raise ConfigurationError(
            f"process_pool_size must be >= 1, got {size}", variable="process_pool_size"
        )
    check_picklable(callback)
    if initializer is not None:
        check_picklable(initializer, "the process initializer")
    return ProcessOptions(
        start_method=method,
        pool_size=size,
        initializer=initializer,
        initargs=tuple(initargs),
        max_tasks_per_child=tasks,
    )
