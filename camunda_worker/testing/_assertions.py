"""Fluent assertions on process instances, user tasks and jobs, which wait until they hold.

``assert_that(key).is_completed().has_passed("charge", "Ship").has_variables(charged=30)``:
each step waits (real time, up to the harness's ``assert_timeout``, from the pytest plugin's
``camunda_assert_timeout``) until what it claims holds, serving mocked job workers meanwhile,
then returns the same object for the next step. A step gives up at once when waiting cannot
help: the instance has ended, or nothing but the test can move the engine (no running worker,
no TCP server, a manual clock). Its :class:`ProcessAssertionError` shows the instance's path so
far, active elements, variables, open incidents and jobs, and hides the library's frames from
pytest (``__tracebackhide__``).

Elements are named by id or by name (``"charge"`` or ``"Charge card"``); a name that fits no
element fails at once, listing the elements there are.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from camunda_worker.engine import Engine, EngineError, ManualClock
from camunda_worker.testing._diagram import parse_diagram
from camunda_worker.testing._report import describe_instance, describe_workers
from camunda_worker.testing._waiting import ProcessInstanceStateError

if TYPE_CHECKING:
    from camunda_worker.engine import JobView, ProcessInstanceView, UserTaskView
    from camunda_worker.engine._model.definitions import ProcessModel
    from camunda_worker.worker import JobWorker

__all__ = [
    "DEFAULT_ASSERT_TIMEOUT",
    "AssertionTarget",
    "JobTypeAssert",
    "ProcessAssertionError",
    "ProcessInstanceAssert",
    "UserTaskAssert",
    "assert_that",
    "assert_that_jobs",
    "assert_that_user_task",
    "current_target",
    "element_id",
    "register_target",
    "unregister_target",
]

DEFAULT_ASSERT_TIMEOUT = 5.0
"""Seconds an assertion waits by default (the plugin's ``camunda_assert_timeout``)."""

_USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"
_FIRST_POLL = 0.0005
_MAX_POLL = 0.02


class ProcessAssertionError(ProcessInstanceStateError):
    """A fluent assertion on a process instance, user task or job type did not hold in time.

    An :class:`AssertionError`; the message says what was expected, what is, and the state of
    the instance (path, active elements, variables, incidents, jobs) and of the test's workers.
    """

    __module__ = "camunda_worker.testing"


class AssertionTarget(Protocol):
    """What the assertions need: an engine, its workers and mocks, a default wait."""

    @property
    def engine(self) -> Engine:
        """The engine."""
        ...

    @property
    def workers(self) -> Sequence[JobWorker]:
        """The workers started against it."""
        ...

    @property
    def assert_timeout(self) -> float:
        """Seconds an assertion waits by default."""
        ...

    def pump(self) -> int:
        """Serve the mocked job workers; return how many jobs they served."""
        ...

    def idle(self) -> bool:
        """Whether nothing but the test can change the engine's state now."""
        ...


class _BareEngine:
    """An :class:`Engine` without a harness: no workers, no mocks, always worth waiting for."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.workers: tuple[JobWorker, ...] = ()
        self.assert_timeout = DEFAULT_ASSERT_TIMEOUT

    def pump(self) -> int:
        return 0

    def idle(self) -> bool:
        return False


_targets: list[AssertionTarget] = []
_targets_lock = threading.Lock()


def register_target(target: AssertionTarget) -> None:
    """Make ``target`` the engine that assertions without ``engine=`` use (until unregistered)."""
    with _targets_lock:
        _targets.append(target)


def unregister_target(target: AssertionTarget) -> None:
    """Forget a target registered with :func:`register_target` (no error when unknown)."""
    with _targets_lock:
        if target in _targets:
            _targets.remove(target)


def current_target() -> AssertionTarget:
    """The engine harness opened last and not closed yet (the ``camunda_engine`` fixture's).

    Raises:
        RuntimeError: no harness is open.
    """
    with _targets_lock:
        if _targets:
            return _targets[-1]
    raise RuntimeError(
        "no engine to assert on: use the camunda_engine fixture (or `with EngineHarness()`), "
        "or pass engine=..."
    )


def _target(engine: Engine | AssertionTarget | None) -> AssertionTarget:
    if engine is None:
        return current_target()
    if isinstance(engine, Engine):
        return _BareEngine(engine)
    return engine


def _instance_key(instance: object) -> str:
    if isinstance(instance, (str, int)):
        return str(instance)
    for name in ("process_instance_key", "key"):
        value = getattr(instance, name, None)
        if value is not None:
            return str(value)
    raise TypeError(
        "assert_that() takes a process instance key, a ProcessInstanceView, or a result with "
        f"a process_instance_key (such as create_process_instance's), not {type(instance).__name__}"
    )


def _wait(
    target: AssertionTarget,
    timeout: float | None,
    check: Callable[[], str | None],
    final: Callable[[], bool],
) -> str | None:
    """Wait until ``check`` returns ``None``; return the last reason it gave when it never did.

    ``timeout`` ``None``: the target's default, and no wait at all when only the test can move
    the engine; a number given by the test is waited in full. A reason that comes after the
    whole wait says so (``... (waited 5 s)``); one that comes early (the state is final, or
    nothing can change it) is returned as it is.
    """
    __tracebackhide__ = True
    quick = timeout is None
    timeout = target.assert_timeout if timeout is None else timeout
    deadline = time.monotonic() + timeout
    pause = _FIRST_POLL
    while True:
        target.pump()
        reason = check()
        if reason is None:
            return None
        if final() or (quick and target.idle()):
            return reason
        if time.monotonic() >= deadline:
            return f"{reason} (waited {timeout:g} s)"
        time.sleep(pause)
        pause = min(pause * 2, _MAX_POLL)


def _model_of(engine: Engine, instance: ProcessInstanceView) -> ProcessModel:
    return engine.process_model(instance.process_definition_key)


def _flow_names(engine: Engine, definition_key: str) -> dict[str, str]:
    """Names of a definition's sequence flows, read from its BPMN (kept while recording flows)."""
    resource = engine.deployed_resources().get(definition_key)
    diagram = parse_diagram(resource[1]) if resource is not None else None
    return dict(diagram.names) if diagram is not None else {}


def _resolve(
    model: ProcessModel,
    reference: str,
    kind: str = "element",
    flow_names: Mapping[str, str] | None = None,
) -> str:
    if kind == "flow":
        if reference in model.flows:
            return reference
        names = flow_names or {}
        found = [flow_id for flow_id in model.flows if names.get(flow_id) == reference]
        known = ", ".join(
            f"{flow_id} ({names[flow_id]!r})" if flow_id in names else flow_id
            for flow_id in sorted(model.flows)
        )
    else:
        if reference in model.nodes:
            return reference
        found = [node.id for node in model.nodes.values() if node.name == reference]
        known = ", ".join(
            f"{node.id} ({node.name!r})" if node.name else node.id
            for node in sorted(model.nodes.values(), key=lambda node: node.id)
        )
    if len(found) == 1:
        return found[0]
    __tracebackhide__ = True
    if found:
        raise ProcessAssertionError(
            f"{kind} name {reference!r} fits several {kind}s of process {model.process_id!r}: "
            f"{', '.join(found)}; use an id"
        )
    raise ProcessAssertionError(
        f"process {model.process_id!r} has no {kind} with id or name {reference!r}; it has: {known}"
    )


def element_id(model: ProcessModel, reference: str) -> str:
    """The id of the flow node ``reference`` names (an id, or a name only one node has).

    Anything else comes back as it is, for the engine to refuse in its own words.
    """
    if reference in model.nodes:
        return reference
    found = [node.id for node in model.nodes.values() if node.name == reference]
    return found[0] if len(found) == 1 else reference


def _timer_hint(target: AssertionTarget) -> list[str]:
    """On a manual clock, when the next timer is due: waiting in real time will not reach it."""
    clock = getattr(target, "clock", None)
    if not isinstance(clock, ManualClock):
        return []
    due = target.engine.next_timer_due_ms()
    now = clock.now_ms()
    if due is None or due <= now:
        return []
    moment = dt.datetime.fromtimestamp(due / 1000, tz=dt.timezone.utc)
    return [
        f"  next timer: due in {dt.timedelta(milliseconds=due - now)} of engine time "
        f"({moment.isoformat(timespec='seconds')}); the clock is manual: advance() moves it"
    ]


def _same_value(actual: object, expected: object) -> bool:
    """Whether two variable values are the same JSON value: ``True`` is not ``1``, nor ``0`` ``False``.

    Python's ``==`` takes ``True`` for ``1``; the process does not (``=paid = true`` is false
    for ``1``), so an assertion must not either. Numbers compare by value (``1 == 1.0``, as in
    JSON and FEEL); lists, tuples and mappings element by element.
    """
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        return actual.keys() == expected.keys() and all(
            _same_value(actual[name], expected[name]) for name in actual
        )
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            _same_value(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected)


def _completed_count(view: ProcessInstanceView, element: str) -> int:
    """How many of an element's instances completed: entered, and neither active nor terminated."""
    return (
        view.visited_element_ids.count(element)
        - view.active_element_ids.count(element)
        - view.terminated_element_ids.count(element)
    )


def _served(mock: Any) -> str:
    text = f"{mock.count} job(s) served"
    looping = getattr(mock, "looping_job", None)
    if looping:
        text += (
            f"; it answered job {looping} 100 times in a row and stopped: its answers never "
            "end that job (a fail() with retries left as the last answer?)"
        )
    return text


def _path(instance: ProcessInstanceView) -> str:
    return " -> ".join(instance.visited_element_ids) or "-"


class ProcessInstanceAssert:
    """Assertions on one process instance; every method waits until it holds, returns ``self``.

    Made by :func:`assert_that`. The waits run on real time (workers run on it), up to
    ``timeout`` seconds; timestamps (due dates) are read on the engine's clock.
    """

    def __init__(self, target: AssertionTarget, key: str, timeout: float | None) -> None:
        self._target = target
        self._engine = target.engine
        self.key = key
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"<ProcessInstanceAssert {self.key}>"

    # -- plumbing ------------------------------------------------------------------------------

    def _view(self) -> ProcessInstanceView:
        __tracebackhide__ = True
        try:
            return self._engine.process_instance(self.key)
        except EngineError as error:
            if error.status != 404:
                raise
        raise ProcessAssertionError(
            f"there is no process instance {self.key} in this engine (a key of another engine, "
            "or an instance so old the engine's retention dropped it?)"
        )

    def _holds(self, expected: str, check: Callable[[ProcessInstanceView], str | None]) -> None:
        __tracebackhide__ = True
        seen: list[ProcessInstanceView] = []

        def checked() -> str | None:
            __tracebackhide__ = True
            view = self._view()
            seen[:] = [view]
            return check(view)

        reason = _wait(self._target, self._timeout, checked, lambda: seen[0].state != "ACTIVE")
        if reason is not None:
            raise self._failure(f"expected {expected}, but {reason}")

    def _failure(self, headline: str) -> ProcessAssertionError:
        instance = self._view()
        jobs = self._engine.jobs(process_instance_key=self.key)
        lines = [
            f"process instance {self.key} ({instance.process_definition_id}): {headline}",
            f"  path: {_path(instance)}",
            *describe_instance(instance, jobs),
            *describe_workers(self._target.workers),
        ]
        lines.extend(_timer_hint(self._target))
        mocks = getattr(self._target, "mocks", ())
        if mocks:
            lines.append("  mocked job workers:")
            lines.extend(f"    - {mock.job_type!r}: {_served(mock)}" for mock in mocks)
        return ProcessAssertionError("\n".join(lines), instance=instance, jobs=jobs)

    def _ids(self, references: Iterable[str], kind: str = "element") -> list[str]:
        __tracebackhide__ = True
        view = self._view()
        model = _model_of(self._engine, view)
        names = None
        if kind == "flow" and any(reference not in model.flows for reference in references):
            names = _flow_names(self._engine, view.process_definition_key)
        ids = []
        for reference in references:  # no comprehension: its frame would show in tracebacks
            ids.append(_resolve(model, reference, kind, names))
        return ids

    # -- state ---------------------------------------------------------------------------------

    def _state(self, state: str) -> ProcessInstanceAssert:
        __tracebackhide__ = True
        self._holds(
            f"it to be {state}",
            lambda view: None if view.state == state else f"it is {view.state}",
        )
        return self

    def is_created(self) -> ProcessInstanceAssert:
        """The instance exists, in any state (``isCreated``)."""
        __tracebackhide__ = True
        self._holds("it to be created", lambda view: None)
        return self

    def is_active(self) -> ProcessInstanceAssert:
        """The instance is active (``isActive``)."""
        __tracebackhide__ = True
        return self._state("ACTIVE")

    def is_completed(self) -> ProcessInstanceAssert:
        """The instance has completed (``isCompleted``)."""
        __tracebackhide__ = True
        return self._state("COMPLETED")

    def is_terminated(self) -> ProcessInstanceAssert:
        """The instance was terminated: canceled, or modified to no token (``isTerminated``).

        A terminate end event does not terminate the instance: it ends the other tokens, then
        the instance completes, as in Zeebe (:meth:`is_completed`,
        :meth:`has_terminated_elements` for what it ended).
        """
        __tracebackhide__ = True
        return self._state("TERMINATED")

    # -- elements ------------------------------------------------------------------------------

    def has_passed(self, *elements: str, times: int | None = None) -> ProcessInstanceAssert:
        """Each element completed (``hasCompletedElements``; ``times``: ``hasCompletedElement``).

        An element instance completes when it is entered and left: one a boundary event
        interrupted, or that ended with the instance's cancel, did not (see
        :meth:`has_terminated_elements`).

        Args:
            *elements: ids or names.
            times: each completed exactly this many times (``None``: at least once).
        """
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            if times is None:
                missing = [element for element in ids if _completed_count(view, element) < 1]
                return f"it has not passed {', '.join(missing)}" if missing else None
            wrong = [
                f"{element} {_completed_count(view, element)} time(s)"
                for element in ids
                if _completed_count(view, element) != times
            ]
            return f"it passed {', '.join(wrong)}" if wrong else None

        count = "" if times is None else f" {times} time(s)"
        self._holds(f"it to have passed {', '.join(ids)}{count}", check)
        return self

    def has_terminated_elements(self, *elements: str) -> ProcessInstanceAssert:
        """An instance of each element was terminated (``hasTerminatedElements``).

        Terminated: interrupted by a boundary event or an event sub-process, ended with the
        instance's cancel, or terminated by a modification.
        """
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            missing = [e for e in ids if e not in view.terminated_element_ids]
            if not missing:
                return None
            terminated = ", ".join(view.terminated_element_ids) or "none"
            return f"{', '.join(missing)} was not terminated (terminated: {terminated})"

        self._holds(f"terminated element(s) {', '.join(ids)}", check)
        return self

    def has_passed_in_order(self, *elements: str) -> ProcessInstanceAssert:
        """The path so far holds the elements in this order (others may come between)."""
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            position = 0
            for element in view.visited_element_ids:
                if position < len(ids) and element == ids[position]:
                    position += 1
            return None if position == len(ids) else "its path does not hold them in that order"

        self._holds(f"it to have passed {' -> '.join(ids)} in that order", check)
        return self

    def has_not_passed(self, *elements: str) -> ProcessInstanceAssert:
        """No token entered these elements (so far; ``hasNotActivatedElements``). Checked at once."""
        __tracebackhide__ = True
        ids = self._ids(elements)
        self._target.pump()
        view = self._view()
        entered = [element for element in ids if element in view.visited_element_ids]
        if entered:
            raise self._failure(
                f"expected it not to have passed {', '.join(ids)}, but it entered "
                f"{', '.join(entered)}"
            )
        return self

    def is_at(self, *elements: str) -> ProcessInstanceAssert:
        """A token waits in each element now (``hasActiveElements``)."""
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            missing = [element for element in ids if element not in view.active_element_ids]
            if not missing:
                return None
            where = ", ".join(view.active_element_ids) or "nowhere"
            return f"it is not at {', '.join(missing)} (it is at {where}, {view.state})"

        self._holds(f"it to be at {', '.join(ids)}", check)
        return self

    def is_not_at(self, *elements: str) -> ProcessInstanceAssert:
        """No token waits in these elements (waits until they are left)."""
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            there = [element for element in ids if element in view.active_element_ids]
            return f"it is still at {', '.join(there)}" if there else None

        self._holds(f"it not to be at {', '.join(ids)}", check)
        return self

    def has_active_elements_exactly(self, *elements: str) -> ProcessInstanceAssert:
        """Tokens wait in these elements and no others (``hasActiveElementsExactly``).

        Compared as sets of element ids, as Camunda Process Test does: a multi-instance
        activity is one element however many of its instances run; a parallel join's waiting
        tokens are not active elements.
        """
        __tracebackhide__ = True
        ids = self._ids(elements)

        def check(view: ProcessInstanceView) -> str | None:
            if set(view.active_element_ids) == set(ids):
                return None
            where = ", ".join(view.active_element_ids) or "nowhere"
            return f"it is at {where} ({view.state})"

        self._holds(f"it to be at exactly {', '.join(ids) or 'nowhere'}", check)
        return self

    def has_no_active_elements(self) -> ProcessInstanceAssert:
        """No token waits anywhere (``hasNoActiveElements``): the instance has ended."""
        __tracebackhide__ = True
        return self.has_active_elements_exactly()

    def has_taken_flow(self, *flows: str) -> ProcessInstanceAssert:
        """Tokens took each of these sequence flows (by id, or by name)."""
        __tracebackhide__ = True
        ids = self._ids(flows, "flow")

        def check(view: ProcessInstanceView) -> str | None:
            taken = set(self._engine.taken_flows(self.key))
            missing = [flow for flow in ids if flow not in taken]
            if not missing:
                return None
            return (
                f"it has not taken {', '.join(missing)} (taken: {', '.join(sorted(taken)) or '-'})"
            )

        self._holds(f"it to have taken the flow(s) {', '.join(ids)}", check)
        return self

    # -- variables -----------------------------------------------------------------------------

    def has_variables(
        self, values: Mapping[str, Any] | None = None, /, **more: Any
    ) -> ProcessInstanceAssert:
        """Each variable given has this value (others may exist too; ``hasVariables``)."""
        __tracebackhide__ = True
        expected = {**(values or {}), **more}

        def check(view: ProcessInstanceView) -> str | None:
            variables = view.variables
            wrong = {
                name: variables.get(name, "<missing>")
                for name, value in expected.items()
                if name not in variables or not _same_value(variables[name], value)
            }
            return f"it has {wrong}" if wrong else None

        self._holds(f"variables {expected}", check)
        return self

    def has_variable_names(self, *names: str) -> ProcessInstanceAssert:
        """The variables exist, whatever their values (``hasVariableNames``)."""
        __tracebackhide__ = True

        def check(view: ProcessInstanceView) -> str | None:
            missing = [name for name in names if name not in view.variables]
            return f"it has no {', '.join(missing)}" if missing else None

        self._holds(f"variables named {', '.join(names)}", check)
        return self

    def has_variables_matching(
        self, predicate: Callable[[Mapping[str, Any]], object], description: str = ""
    ) -> ProcessInstanceAssert:
        """``predicate(variables)`` is true (an exception in it counts as false and is shown)."""
        __tracebackhide__ = True
        what = description or getattr(predicate, "__name__", "the predicate")

        def check(view: ProcessInstanceView) -> str | None:
            try:
                return None if predicate(view.variables) else f"{what} is false"
            except Exception as error:  # noqa: BLE001 - shown in the failure
                return f"{what} raised {type(error).__name__}: {error}"

        self._holds(f"its variables to satisfy {what}", check)
        return self

    def has_variables_of(self, model: type[Any], **values: Any) -> ProcessInstanceAssert:
        """The variables validate as this pydantic model (and its fields have these values)."""
        __tracebackhide__ = True

        def check(view: ProcessInstanceView) -> str | None:
            try:
                parsed = model.model_validate(dict(view.variables))
            except Exception as error:  # noqa: BLE001 - pydantic's ValidationError, shown
                first = str(error).splitlines()
                return f"they do not validate: {' / '.join(first[:3])}"
            wrong = {
                name: getattr(parsed, name, "<missing>")
                for name, value in values.items()
                if not _same_value(getattr(parsed, name, object()), value)
            }
            return f"its fields are {wrong}" if wrong else None

        self._holds(f"variables that validate as {model.__name__}", check)
        return self

    # -- messages and incidents ----------------------------------------------------------------

    def is_waiting_for_message(
        self, name: str, correlation_key: str | None = None
    ) -> ProcessInstanceAssert:
        """An element of the instance waits for this message (``isWaitingForMessage``)."""
        __tracebackhide__ = True

        def check(view: ProcessInstanceView) -> str | None:
            subscriptions = self._engine.message_subscriptions(process_instance_key=self.key)
            for subscription in subscriptions:
                if subscription.message_name == name and (
                    correlation_key is None or subscription.correlation_key == correlation_key
                ):
                    return None
            open_ = ", ".join(
                f"{s.message_name!r} (key {s.correlation_key!r}) at {s.element_id}"
                for s in subscriptions
            )
            return f"it waits for {open_ or 'no message'}"

        key_text = "" if correlation_key is None else f" with correlation key {correlation_key!r}"
        self._holds(f"it to wait for message {name!r}{key_text}", check)
        return self

    def is_not_waiting_for_message(
        self, name: str, correlation_key: str | None = None
    ) -> ProcessInstanceAssert:
        """No element of the instance waits for this message (``isNotWaitingForMessage``).

        Waits until the subscription is gone (the message was correlated, the element left).
        """
        __tracebackhide__ = True

        def check(view: ProcessInstanceView) -> str | None:
            for subscription in self._engine.message_subscriptions(process_instance_key=self.key):
                if subscription.message_name == name and (
                    correlation_key is None or subscription.correlation_key == correlation_key
                ):
                    return (
                        f"{subscription.element_id} waits for it "
                        f"(correlation key {subscription.correlation_key!r})"
                    )
            return None

        key_text = "" if correlation_key is None else f" with correlation key {correlation_key!r}"
        self._holds(f"it not to wait for message {name!r}{key_text}", check)
        return self

    def has_incident(
        self,
        error_type: str | None = None,
        *,
        element: str | None = None,
        message: str | None = None,
    ) -> ProcessInstanceAssert:
        """An open incident fits: its type, its element (id or name), a part of its message."""
        __tracebackhide__ = True
        element_id = self._ids([element])[0] if element is not None else None

        def check(view: ProcessInstanceView) -> str | None:
            for incident in view.incidents:
                if (
                    (error_type is None or incident.error_type == error_type)
                    and (element_id is None or incident.element_id == element_id)
                    and (message is None or message in incident.error_message)
                ):
                    return None
            return "it has no such incident" if view.incidents else "it has no incident"

        parts = [error_type or "any type"]
        if element_id:
            parts.append(f"on {element_id}")
        if message:
            parts.append(f"with {message!r} in its message")
        self._holds(f"an incident ({' '.join(parts)})", check)
        return self

    def has_active_incidents(self) -> ProcessInstanceAssert:
        """The instance has at least one open incident (``hasActiveIncidents``)."""
        __tracebackhide__ = True
        return self.has_incident()

    def has_no_incidents(self) -> ProcessInstanceAssert:
        """The instance has no open incident now (``hasNoActiveIncidents``). Checked at once."""
        __tracebackhide__ = True
        self._target.pump()
        if self._view().incidents:
            raise self._failure("expected no incident, but it has one")
        return self


def assert_that(
    instance: object,
    *,
    engine: Engine | AssertionTarget | None = None,
    timeout: float | None = None,
) -> ProcessInstanceAssert:
    """Fluent assertions on a process instance, waiting until each holds.

    Args:
        instance: its key (``start_instance``'s), a
            :class:`~camunda_worker.engine.ProcessInstanceView`, or a result with a
            ``process_instance_key`` (a client's ``create_process_instance``).
        engine: the engine: the ``camunda_engine`` fixture (an :class:`EngineHarness`) or an
            :class:`~camunda_worker.engine.Engine`; by default the harness opened last (the
            fixture's).
        timeout: seconds each step waits at most. By default the harness's
            ``assert_timeout``, and no wait at all when only the test can move the engine (a
            manual clock, no running worker, no TCP server); given, it is waited in full even
            then (for a thread of the test's own that drives the engine).

    Returns:
        The assertions; chain them: ``assert_that(key).is_completed().has_passed("ship")``.
    """
    return ProcessInstanceAssert(_target(engine), _instance_key(instance), timeout)


# -- user tasks --------------------------------------------------------------------------------


def _due(value: dt.datetime | dt.date | str) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
    return str(value)


def _moment(value: str) -> dt.datetime | None:
    """An ISO 8601 date-time with an offset (``Z`` too), as an aware datetime; else ``None``."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _same_moment(actual: str | None, expected: dt.datetime | dt.date | str) -> bool:
    if actual is None:
        return False
    parsed = _moment(actual)
    if isinstance(expected, dt.datetime):
        moment = expected if expected.tzinfo else expected.replace(tzinfo=dt.timezone.utc)
        return parsed == moment
    wanted = _moment(str(expected))
    if parsed is not None and wanted is not None:
        return parsed == wanted  # the same instant however written (.000Z, +01:00...)
    return actual == str(expected)


class UserTaskAssert:
    """Assertions on the user task of one element (by id or name); each waits, returns ``self``.

    Made by :func:`assert_that_user_task`; it looks at the newest user task of the element.
    """

    def __init__(
        self, target: AssertionTarget, element: str, instance: str | None, timeout: float | None
    ) -> None:
        self._target = target
        self._engine = target.engine
        self.element = element
        self.instance = instance
        self._timeout = timeout

    def _task(self) -> UserTaskView | None:
        tasks = [
            task
            for task in self._engine.user_tasks(process_instance_key=self.instance)
            if self.element in (task.element_id, task.name)
        ]
        return tasks[-1] if tasks else None

    def _no_task(self) -> str:
        jobs = [
            job
            for job in self._engine.jobs(
                job_type=_USER_TASK_JOB_TYPE, process_instance_key=self.instance
            )
            if job.element_id == self.element
        ]
        if jobs:
            return (
                f"there is no user task {self.element!r}: it is a job-based user task (no "
                f"zeebe:userTask), a job of type {_USER_TASK_JOB_TYPE!r}; assert on it with "
                f"assert_that_jobs({_USER_TASK_JOB_TYPE!r})"
            )
        return f"there is no user task {self.element!r}"

    def _holds(self, expected: str, check: Callable[[UserTaskView], str | None]) -> None:
        __tracebackhide__ = True

        def checked() -> str | None:
            __tracebackhide__ = True
            task = self._task()
            return self._no_task() if task is None else check(task)

        reason = _wait(self._target, self._timeout, checked, lambda: False)
        if reason is None:
            return
        task = self._task()
        instance_key = self.instance or (task.process_instance_key if task else None)
        headline = f"user task {self.element!r}: expected {expected}, but {reason}"
        if instance_key is None:
            raise ProcessAssertionError(headline)
        raise ProcessInstanceAssert(self._target, instance_key, self._timeout)._failure(headline)

    def is_created(self) -> UserTaskAssert:
        """The user task is open (``isCreated``)."""
        __tracebackhide__ = True
        self._holds(
            "it to be CREATED", lambda t: None if t.state == "CREATED" else f"it is {t.state}"
        )
        return self

    def is_completed(self) -> UserTaskAssert:
        """The user task was completed (``isCompleted``)."""
        __tracebackhide__ = True
        self._holds(
            "it to be COMPLETED", lambda t: None if t.state == "COMPLETED" else f"it is {t.state}"
        )
        return self

    def is_canceled(self) -> UserTaskAssert:
        """The user task was canceled: its element was terminated (``isCanceled``)."""
        __tracebackhide__ = True
        self._holds(
            "it to be CANCELED", lambda t: None if t.state == "CANCELED" else f"it is {t.state}"
        )
        return self

    def has_priority(self, priority: int) -> UserTaskAssert:
        """The task's priority (``hasPriority``)."""
        __tracebackhide__ = True
        self._holds(
            f"priority {priority}",
            lambda t: None if t.priority == priority else f"its priority is {t.priority}",
        )
        return self

    def has_assignee(self, assignee: str | None) -> UserTaskAssert:
        """The task's assignee (``None``: unassigned; ``hasAssignee``)."""
        __tracebackhide__ = True
        self._holds(
            f"assignee {assignee!r}",
            lambda t: None if t.assignee == assignee else f"its assignee is {t.assignee!r}",
        )
        return self

    def has_candidate_groups(self, *groups: str) -> UserTaskAssert:
        """The task's candidate groups are these, in any order (``hasCandidateGroups``)."""
        __tracebackhide__ = True
        self._holds(
            f"candidate groups {sorted(groups)}",
            lambda t: (
                None
                if sorted(t.candidate_groups or ()) == sorted(groups)
                else f"they are {sorted(t.candidate_groups or ())}"
            ),
        )
        return self

    def has_candidate_users(self, *users: str) -> UserTaskAssert:
        """The task's candidate users are these, in any order."""
        __tracebackhide__ = True
        self._holds(
            f"candidate users {sorted(users)}",
            lambda t: (
                None
                if sorted(t.candidate_users or ()) == sorted(users)
                else f"they are {sorted(t.candidate_users or ())}"
            ),
        )
        return self

    def has_due_date(self, due: dt.datetime | str | None) -> UserTaskAssert:
        """The task is due at this moment: a datetime or ISO 8601 text, compared as an instant."""
        __tracebackhide__ = True
        self._holds(
            f"due date {None if due is None else _due(due)}",
            lambda t: (
                None
                if (t.due_date is None if due is None else _same_moment(t.due_date, due))
                else f"it is due {t.due_date!r}"
            ),
        )
        return self


def assert_that_user_task(
    element: str,
    *,
    instance: object | None = None,
    engine: Engine | AssertionTarget | None = None,
    timeout: float | None = None,
) -> UserTaskAssert:
    """Fluent assertions on the user task of an element (by id or name), waiting until each holds.

    Args:
        element: the user task's element id or name.
        instance: only the user tasks of this process instance (a key or a result with one).
        engine: as for :func:`assert_that`.
        timeout: seconds each step waits at most.
    """
    key = None if instance is None else _instance_key(instance)
    return UserTaskAssert(_target(engine), element, key, timeout)


# -- job types ---------------------------------------------------------------------------------


class JobTypeAssert:
    """Assertions on the jobs of one type (of one instance, or all); each waits, returns ``self``.

    Made by :func:`assert_that_jobs`; counts real workers' and mocked workers' jobs alike.
    """

    def __init__(
        self, target: AssertionTarget, job_type: str, instance: str | None, timeout: float | None
    ) -> None:
        self._target = target
        self._engine = target.engine
        self.job_type = job_type
        self.instance = instance
        self._timeout = timeout

    def _jobs(self) -> list[JobView]:
        return self._engine.jobs(job_type=self.job_type, process_instance_key=self.instance)

    def _holds(self, expected: str, check: Callable[[], str | None]) -> None:
        __tracebackhide__ = True
        reason = _wait(self._target, self._timeout, check, lambda: False)
        if reason is None:
            return
        headline = f"jobs of type {self.job_type!r}: expected {expected}, but {reason}"
        if self.instance is not None:
            raise ProcessInstanceAssert(self._target, self.instance, self._timeout)._failure(
                headline
            )
        lines = [headline, "  jobs:" if self._jobs() else "  jobs: none"]
        lines.extend(
            f"    - {job.key} on {job.element_id} of {job.process_instance_key}: {job.state}"
            for job in self._jobs()
        )
        lines.extend(describe_workers(self._target.workers))
        raise ProcessAssertionError("\n".join(lines), jobs=self._jobs())

    def was_activated(self, times: int | None = None) -> JobTypeAssert:
        """Jobs of the type were activated ``times`` times in all (any number ≥ 1 when ``None``).

        Every activation counts: a job failed with retries and activated again counts twice.
        """
        __tracebackhide__ = True

        def check() -> str | None:
            total = sum(
                self._engine.activation_counts(
                    job_type=self.job_type, process_instance_key=self.instance
                ).values()
            )
            if (total >= 1) if times is None else (total == times):
                return None
            return f"they were activated {total} time(s)"

        self._holds("activations" if times is None else f"{times} activation(s)", check)
        return self

    def was_completed(self, times: int | None = None) -> JobTypeAssert:
        """Jobs of the type were completed (``times`` of them, when given)."""
        __tracebackhide__ = True

        def check() -> str | None:
            done = [job for job in self._jobs() if job.state == "COMPLETED"]
            if (len(done) >= 1) if times is None else (len(done) == times):
                return None
            return f"{len(done)} completed"

        self._holds("completed jobs" if times is None else f"{times} completed job(s)", check)
        return self

    def was_completed_with(
        self, values: Mapping[str, Any] | None = None, /, **more: Any
    ) -> JobTypeAssert:
        """A job of the type was completed with these variables (among others)."""
        __tracebackhide__ = True
        expected = {**(values or {}), **more}

        def check() -> str | None:
            sent = [
                dict(job.result_variables or {}) for job in self._jobs() if job.state == "COMPLETED"
            ]
            for variables in sent:
                if all(
                    name in variables and _same_value(variables[name], v)
                    for name, v in expected.items()
                ):
                    return None
            return f"they were completed with {sent}" if sent else "none was completed"

        self._holds(f"a completion with {expected}", check)
        return self


def assert_that_jobs(
    job_type: str,
    *,
    instance: object | None = None,
    engine: Engine | AssertionTarget | None = None,
    timeout: float | None = None,
) -> JobTypeAssert:
    """Fluent assertions on the jobs of a type, waiting until each holds.

    Args:
        job_type: the job type.
        instance: only the jobs of this process instance.
        engine: as for :func:`assert_that`.
        timeout: seconds each step waits at most.
    """
    key = None if instance is None else _instance_key(instance)
    return JobTypeAssert(_target(engine), job_type, key, timeout)


def manual_and_quiet(clock: object, workers: Sequence[JobWorker], serving: bool) -> bool:
    """Whether only the test can move an engine: a manual clock, no running worker, no server."""
    if not isinstance(clock, ManualClock) or serving:
        return False
    return all(worker.state.value in ("stopped", "failed", "created") for worker in workers)
