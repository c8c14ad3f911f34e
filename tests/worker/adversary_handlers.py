"""Module-level (picklable) handlers for test_process_adversary.py, each steered by the job's variables.

``act`` does what the job's variables say, in this order, and returns ``{"n": <its n>, "pid": ...}``
so that a test can tell whose result a job was completed with:

- ``runs_dir``: append ``"<pid> start"`` to ``<runs_dir>/<job key>`` first and ``"<pid> end"``
  last (how often, and where, a job really ran);
- ``child_only_log``: log a record bound to a ``str`` enum member of a module that exists in the
  child only (as the classes of a spawned child's ``__mp_main__`` do);
- ``big_log``: log one record of that many characters; ``many_logs``: log that many records;
- ``close_pipe_once``: close the child's end of its pipe (once: a marker file says it did),
  then go on running for ``after_close`` seconds;
- ``fork_grandchild``: fork a process that lives that many seconds (inheriting every
  descriptor of the child, as ``os.fork``/a fork-started ``multiprocessing.Process`` does),
  and write its pid to the file ``grandchild_file`` names, if any;
- ``die``: ``os._exit(3)``; ``sleep``: sleep that long; ``hang``: wait until the file exists;
- ``big_result``: return a variable of that many characters too; ``nested``: return it back.
"""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path
from typing import Any


def _note(job: Any, what: str) -> None:
    runs_dir = job.variables.get("runs_dir")
    if runs_dir:
        with Path(runs_dir, job.job_key).open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()} {what}\n")


def _child_only_enum() -> Any:
    module = sys.modules.get("child_only_module")
    if module is None:
        import enum

        module = types.ModuleType("child_only_module")
        source = "import enum\nclass OrderState(str, enum.Enum):\n    PAID = 'paid'\n"
        exec(compile(source, "<child_only_module>", "exec"), module.__dict__)
        sys.modules["child_only_module"] = module
        del enum
    return module.OrderState.PAID


def act(job: Any) -> dict[str, Any]:
    variables = job.variables
    _note(job, "start")
    if variables.get("child_only_log"):
        job.log.bind(state=_child_only_enum()).info("order state known")
    if variables.get("big_log"):
        job.log.info("x" * int(variables["big_log"]))
    for index in range(int(variables.get("many_logs", 0))):
        job.log.info(f"record {index}")
    marker = variables.get("close_pipe_once")
    if marker and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        from camunda_worker.worker import _child

        assert _child._child is not None
        os.close(_child._child.setup.events.fileno())
        time.sleep(float(variables.get("after_close", 0)))
    if variables.get("fork_grandchild"):
        lives = float(variables["fork_grandchild"])
        pid = os.fork()
        if pid == 0:  # the grandchild: keeps every descriptor the child has
            time.sleep(lives)
            os._exit(0)
        if variables.get("grandchild_file"):
            Path(variables["grandchild_file"]).write_text(str(pid))
    if variables.get("die"):
        os._exit(3)
    if variables.get("sleep"):
        time.sleep(float(variables["sleep"]))
    hang = variables.get("hang")
    if hang:
        while not Path(hang).exists():
            time.sleep(0.01)
    result: dict[str, Any] = {"n": variables.get("n"), "pid": os.getpid()}
    if variables.get("big_result"):
        result["big"] = "y" * int(variables["big_result"])
    if "nested" in variables:
        result["nested_back"] = variables["nested"]
    _note(job, "end")
    return result


def pid_of_child(job: Any) -> dict[str, Any]:
    return {"pid": os.getpid(), "n": job.variables.get("n")}


def slow_initializer(seconds: float) -> None:
    time.sleep(seconds)
