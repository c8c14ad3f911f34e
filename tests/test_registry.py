from __future__ import annotations

import pickle
import sys
import textwrap
from pathlib import Path

import pytest

from camunda_worker import ConfigurationError, TaskRegistry
from camunda_worker.worker._registry import load_tasks


def test_decorator_records_options_and_returns_the_function() -> None:
    registry = TaskRegistry()

    @registry.task(
        "charge",
        strategy="thread",
        timeout=30_000,
        max_concurrent_jobs=4,
        fetch_variables=["amount"],
    )
    def charge(job: object) -> dict[str, int]:
        return {"charged": 1}

    assert charge(None) == {"charged": 1}
    definition = registry.get("charge")
    assert definition is not None
    assert definition.handler is charge
    assert (definition.strategy, definition.timeout, definition.max_concurrent_jobs) == (
        "thread",
        30_000,
        4,
    )
    assert definition.fetch_variables == ("amount",)


def test_plain_functions_register_without_the_decorator() -> None:
    registry = TaskRegistry()

    def ship(job: object) -> None:
        return None

    registry.add(ship, "ship")
    assert [d.job_type for d in registry] == ["ship"]


def test_two_handlers_for_one_job_type_is_an_error() -> None:
    registry = TaskRegistry()
    registry.add(lambda job: None, "ship")
    with pytest.raises(ConfigurationError, match="registered twice"):
        registry.add(lambda job: None, "ship")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"strategy": "fiber"}, "strategy must be one of"),
        ({"timeout": 0}, "timeout must be a whole number >= 1"),
        ({"max_concurrent_jobs": -1}, "max_concurrent_jobs"),
    ],
)
def test_invalid_options_are_clear_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TaskRegistry().add(lambda job: None, "x", **options)  # type: ignore[arg-type]


def test_blank_job_type_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="non-blank job type"):
        TaskRegistry().add(lambda job: None, "  ")


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_load_tasks_from_a_file_finds_decorated_handlers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cw_handlers_file",
        """
        import camunda_worker

        @camunda_worker.task("cw-file-reserve", strategy="process", timeout=1000)
        def reserve(job):
            return {"reserved": True}
    """,
    )
    tasks = load_tasks(str(path))
    assert [t.job_type for t in tasks] == ["cw-file-reserve"]
    # Imported by name from its folder, so a process-pool child can unpickle it by reference.
    assert pickle.loads(pickle.dumps(tasks[0].handler)) is tasks[0].handler
    sys.modules.pop("cw_handlers_file", None)


def test_load_tasks_from_a_module_with_its_own_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path,
        "cw_handlers_mod",
        """
        from camunda_worker import TaskRegistry

        tasks = TaskRegistry()

        @tasks.task("cw-mod-ship")
        async def ship(job):
            return None
    """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [t.job_type for t in load_tasks("cw_handlers_mod")] == ["cw-mod-ship"]
    sys.modules.pop("cw_handlers_mod", None)


def test_a_module_without_handlers_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "cw_empty_handlers", "X = 1\n")
    with pytest.raises(ConfigurationError, match="registers no handler"):
        load_tasks(str(path))
    sys.modules.pop("cw_empty_handlers", None)


def test_a_missing_module_or_file_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="no module named 'cw_nowhere_to_be_found'"):
        load_tasks("cw_nowhere_to_be_found")
    with pytest.raises(ConfigurationError, match="no such handler file"):
        load_tasks("missing_handlers.py")


def test_task_options_for_typed_handlers_reach_the_worker() -> None:
    from camunda_worker import ExponentialBackoff
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.cli._workers import build_workers

    registry = TaskRegistry()

    class Declined(Exception):
        pass

    def audit(job: object, call_next: object) -> object:
        return call_next()  # type: ignore[operator]

    @registry.task(
        "ship",
        timeout=30_000,
        dependencies={"rate": 2},
        bpmn_errors={Declined: "DECLINED"},
        retry_back_off=ExponentialBackoff(initial=10, maximum=100),
        middleware=[audit],
        invalid_variables="retry",
    )
    def ship(order_id: str, weight: float, rate: int) -> dict[str, float]:
        return {"cost": weight * rate}

    definition = registry.get("ship")
    assert definition is not None
    assert definition.dependencies == {"rate": 2}
    assert definition.invalid_variables == "retry"
    (worker,) = build_workers(list(registry), settings=CamundaSettings(), client=None)
    assert worker.config.fetch_variables == ("order_id", "weight")

    @registry.task("bad", timeout=30_000, middleware=[audit])
    async def bad(amount: int) -> None:
        return None

    with pytest.raises(ConfigurationError, match="job type 'bad': the middleware"):
        build_workers([registry.get("bad")], settings=CamundaSettings(), client=None)  # type: ignore[list-item]


def test_registry_wide_options_apply_to_every_task_and_the_task_wins() -> None:
    registry = TaskRegistry()

    class Declined(Exception):
        pass

    def outer(job: object, call_next: object) -> object:
        return call_next()  # type: ignore[operator]

    def inner(job: object, call_next: object) -> object:
        return call_next()  # type: ignore[operator]

    @registry.task("early", dependencies={"rate": 3}, middleware=[inner])
    def early(amount: int, rate: int, pool: object) -> None:
        return None

    registry.use(
        dependencies={"rate": 1, "pool": "the-pool"},
        bpmn_errors={Declined: "DECLINED"},
        middleware=[outer],
        retry_back_off=500,
    )

    @registry.task("late", retry_back_off=9)
    def late(amount: int) -> None:
        return None

    first = registry.get("early")
    assert first is not None
    assert first.dependencies == {"rate": 3, "pool": "the-pool"}  # the task's own entry wins
    assert first.middleware == (outer, inner)  # the registry's outermost
    assert first.bpmn_errors == {Declined: "DECLINED"}
    assert first.retry_back_off == 500
    second = {definition.job_type: definition for definition in registry}["late"]
    assert second.retry_back_off == 9
    assert second.middleware == (outer,)
