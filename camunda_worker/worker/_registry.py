"""Handler registration: ``@task("job-type", ...)`` records handlers a runner can load.

The decorator returns the function unchanged, so a decorated handler stays a plain function:
callable from a unit test, picklable by reference for the process strategy. Registering without
the decorator works too: ``registry.add(handler, "job-type")``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from camunda_worker._base.errors import ConfigurationError

if TYPE_CHECKING:
    from camunda_worker.worker._binding import InvalidVariables, Middleware
    from camunda_worker.worker._policies import ErrorHook, RetryPolicy

__all__ = ["TaskDefinition", "TaskRegistry", "default_registry", "load_tasks", "task"]

F = TypeVar("F", bound=Callable[..., Any])

_STRATEGIES = ("auto", "async", "thread", "process")


def _positive_or_none(name: str) -> Callable[[Any, Any, int | None], None]:
    def check(_instance: Any, _attribute: Any, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ConfigurationError(f"{name} must be a whole number >= 1, got {value!r}")

    return check


def _check_strategy(_instance: Any, _attribute: Any, value: str | None) -> None:
    if value is not None and value not in _STRATEGIES:
        raise ConfigurationError(f"strategy must be one of {', '.join(_STRATEGIES)}, got {value!r}")


def _check_job_type(_instance: Any, _attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"a task needs a non-blank job type, got {value!r}")


def _to_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class TaskDefinition:
    """One registered handler and the worker settings it asks for.

    ``None`` means "inherit": from ``CAMUNDA_WORKER_*`` settings, then the built-in default.

    Attributes:
        job_type: the job type the handler serves (``zeebe:taskDefinition type``).
        handler: the handler function (or callable object).
        strategy: ``"auto"``, ``"async"``, ``"thread"`` or ``"process"``.
        timeout: the job timeout in milliseconds.
        max_concurrent_jobs: how many jobs of this type run at once.
        fetch_variables: the variables to fetch (``None``: the variables the handler's
            parameters name, or all of them).
        retry_back_off: milliseconds, or a policy, before a failed job can be retried.
        dependencies: objects the handler's parameters receive, by name or by type.
        bpmn_errors: exception types and the BPMN error codes they throw.
        on_error: the hook that chooses the outcome of other exceptions.
        middleware: around-handler hooks, the first one outermost.
        invalid_variables: ``incident`` or ``retry`` when the variables do not fit.
    """

    job_type: str = attrs.field(validator=_check_job_type)
    handler: Callable[..., Any]
    strategy: str | None = attrs.field(default=None, validator=_check_strategy)
    timeout: int | None = attrs.field(default=None, validator=_positive_or_none("timeout"))
    max_concurrent_jobs: int | None = attrs.field(
        default=None, validator=_positive_or_none("max_concurrent_jobs")
    )
    fetch_variables: tuple[str, ...] | None = attrs.field(default=None, converter=_to_tuple)
    retry_back_off: int | RetryPolicy | None = None
    dependencies: Mapping[str | type, object] = attrs.field(factory=dict)
    bpmn_errors: Mapping[type[BaseException], str] = attrs.field(factory=dict)
    on_error: ErrorHook | None = None
    middleware: tuple[Middleware, ...] = ()
    invalid_variables: InvalidVariables = "incident"


@attrs.frozen
class _Defaults:
    """Options :meth:`TaskRegistry.use` gives every task of a registry."""

    dependencies: Mapping[str | type, object] = attrs.field(factory=dict)
    bpmn_errors: Mapping[type[BaseException], str] = attrs.field(factory=dict)
    on_error: ErrorHook | None = None
    middleware: tuple[Middleware, ...] = ()
    retry_back_off: int | RetryPolicy | None = None


_NO_DEFAULTS = _Defaults()


class TaskRegistry:
    """An ordered set of :class:`TaskDefinition`, one per job type."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskDefinition] = {}
        self._defaults = _NO_DEFAULTS

    def use(
        self,
        *,
        dependencies: Mapping[str | type, object] | None = None,
        bpmn_errors: Mapping[type[BaseException], str] | None = None,
        on_error: ErrorHook | None = None,
        middleware: Iterable[Middleware] = (),
        retry_back_off: int | RetryPolicy | None = None,
    ) -> None:
        """Give every task of this registry these options, registered before or after.

        What a task gives itself wins: its ``dependencies`` and ``bpmn_errors`` entries override
        these, its ``on_error`` and ``retry_back_off`` replace them, and its ``middleware`` runs
        inside this middleware. Calling ``use`` again adds to what earlier calls gave.

        Args:
            dependencies: objects for the handlers' parameters, by name or by type.
            bpmn_errors: exception types and the BPMN error codes they throw.
            on_error: the hook that chooses the outcome of other exceptions.
            middleware: around-handler hooks, outermost first.
            retry_back_off: milliseconds, or a policy, before a failed job is retried.
        """
        current = self._defaults
        self._defaults = _Defaults(
            dependencies={**current.dependencies, **(dependencies or {})},
            bpmn_errors={**current.bpmn_errors, **(bpmn_errors or {})},
            on_error=on_error if on_error is not None else current.on_error,
            middleware=(*current.middleware, *middleware),
            retry_back_off=retry_back_off if retry_back_off is not None else current.retry_back_off,
        )

    def _with_defaults(self, definition: TaskDefinition) -> TaskDefinition:
        defaults = self._defaults
        if defaults is _NO_DEFAULTS:
            return definition
        return attrs.evolve(
            definition,
            dependencies={**defaults.dependencies, **definition.dependencies},
            bpmn_errors={**defaults.bpmn_errors, **definition.bpmn_errors},
            on_error=definition.on_error if definition.on_error is not None else defaults.on_error,
            middleware=(*defaults.middleware, *definition.middleware),
            retry_back_off=definition.retry_back_off
            if definition.retry_back_off is not None
            else defaults.retry_back_off,
        )

    def add(
        self,
        handler: Callable[..., Any],
        job_type: str,
        *,
        strategy: str | None = None,
        timeout: int | None = None,
        max_concurrent_jobs: int | None = None,
        fetch_variables: Sequence[str] | None = None,
        retry_back_off: int | RetryPolicy | None = None,
        dependencies: Mapping[str | type, object] | None = None,
        bpmn_errors: Mapping[type[BaseException], str] | None = None,
        on_error: ErrorHook | None = None,
        middleware: Iterable[Middleware] = (),
        invalid_variables: InvalidVariables = "incident",
    ) -> TaskDefinition:
        """Register ``handler`` for ``job_type``.

        The options after ``fetch_variables`` are those of :class:`~camunda_worker.JobWorker`
        (see the handlers guide); they are checked when the task's worker is built.

        Raises:
            ConfigurationError: the job type is already registered, or an option is invalid.
        """
        if not callable(handler):
            raise ConfigurationError(f"the handler for {job_type!r} is not callable: {handler!r}")
        definition = TaskDefinition(
            job_type=job_type,
            handler=handler,
            strategy=strategy,
            timeout=timeout,
            max_concurrent_jobs=max_concurrent_jobs,
            fetch_variables=fetch_variables,
            retry_back_off=retry_back_off,
            dependencies=dict(dependencies or {}),
            bpmn_errors=dict(bpmn_errors or {}),
            on_error=on_error,
            middleware=tuple(middleware),
            invalid_variables=invalid_variables,
        )
        existing = self._tasks.get(job_type)
        if existing is not None and existing.handler is not handler:
            raise ConfigurationError(
                f"job type {job_type!r} is registered twice: by {_name(existing.handler)} "
                f"and by {_name(handler)}"
            )
        self._tasks[job_type] = definition
        return definition

    def task(
        self,
        job_type: str,
        *,
        strategy: str | None = None,
        timeout: int | None = None,
        max_concurrent_jobs: int | None = None,
        fetch_variables: Sequence[str] | None = None,
        retry_back_off: int | RetryPolicy | None = None,
        dependencies: Mapping[str | type, object] | None = None,
        bpmn_errors: Mapping[type[BaseException], str] | None = None,
        on_error: ErrorHook | None = None,
        middleware: Iterable[Middleware] = (),
        invalid_variables: InvalidVariables = "incident",
    ) -> Callable[[F], F]:
        """Decorator form of :meth:`add`; returns the function unchanged."""

        def register(handler: F) -> F:
            self.add(
                handler,
                job_type,
                strategy=strategy,
                timeout=timeout,
                max_concurrent_jobs=max_concurrent_jobs,
                fetch_variables=fetch_variables,
                retry_back_off=retry_back_off,
                dependencies=dependencies,
                bpmn_errors=bpmn_errors,
                on_error=on_error,
                middleware=tuple(middleware),
                invalid_variables=invalid_variables,
            )
            return handler

        return register

    def get(self, job_type: str) -> TaskDefinition | None:
        """The definition registered for ``job_type`` (with the :meth:`use` options), if any."""
        definition = self._tasks.get(job_type)
        return None if definition is None else self._with_defaults(definition)

    def __iter__(self) -> Iterator[TaskDefinition]:
        return iter([self._with_defaults(definition) for definition in self._tasks.values()])

    def __len__(self) -> int:
        return len(self._tasks)

    def __repr__(self) -> str:
        return f"TaskRegistry({sorted(self._tasks)!r})"


def _name(handler: Callable[..., Any]) -> str:
    module = getattr(handler, "__module__", "?")
    return f"{module}.{getattr(handler, '__qualname__', repr(handler))}"


default_registry = TaskRegistry()
"""The registry that :func:`task` records into."""

task = default_registry.task
"""Register a handler in :data:`default_registry`: ``@task("job-type", strategy="thread")``."""


def _import_target(target: str) -> Any:
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ConfigurationError(f"no such handler file: {target}")
        # Import by name from its folder so process-pool children can import it again.
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        return importlib.import_module(path.stem)
    if importlib.util.find_spec(target.split(".", maxsplit=1)[0]) is None:
        raise ConfigurationError(f"no module named {target!r} (and no file of that name)")
    return importlib.import_module(target)


def load_tasks(target: str) -> list[TaskDefinition]:
    """Import a module (``package.handlers``) or a file (``handlers.py``) and list its tasks.

    The tasks are those registered with :func:`task` (the default registry) by the module's
    import, plus any :class:`TaskRegistry` the module defines at top level.

    Raises:
        ConfigurationError: the module or file cannot be found, or it registers no handler.
    """
    before = {definition.job_type for definition in default_registry}
    module = _import_target(target)
    found: dict[str, TaskDefinition] = {}
    for definition in default_registry:
        if definition.job_type not in before or _defined_in(definition, module):
            found[definition.job_type] = definition
    for value in vars(module).values():
        if isinstance(value, TaskRegistry) and value is not default_registry:
            for definition in value:
                found.setdefault(definition.job_type, definition)
    if not found:
        raise ConfigurationError(
            f"{target} registers no handler: decorate a function with "
            "@camunda_worker.task('job-type') or define a TaskRegistry"
        )
    return list(found.values())


def _defined_in(definition: TaskDefinition, module: Any) -> bool:
    return bool(getattr(definition.handler, "__module__", None) == module.__name__)
