"""SIGKILL of the engine process, and a new one on the same port: the worker comes back by itself.

Real processes: the engine runs as ``camunda-worker engine`` in a child process; the worker runs
in this one. The engine keeps nothing on disk, so the new one is empty: the worker must notice
the dead connection, say so, back off, reconnect to the new engine on the same address and
complete the jobs of a process deployed there. Nothing may stall silently or stop the worker.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import camunda_worker
from camunda_worker import CamundaClient, WorkerConfig
from camunda_worker.health import check
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import WorkerState

from .chaos import running_worker, wait_for
from .test_stall import BPMN, JOB_TYPE, logged, polling_and_ready

WAIT = 30.0

# The ``camunda-worker engine`` command, started with everything imported; it waits for its port
# on stdin before it binds, so a restart takes milliseconds, not an interpreter's start-up.
_ENGINE = """
import sys
import camunda_worker.engine
import uvicorn.protocols.http.httptools_impl
from camunda_worker.__main__ import main
print("loaded", flush=True)
port = sys.stdin.readline().strip()
sys.exit(main(["engine", "--host", "127.0.0.1", "--port", port]))
"""


class EngineProcess:
    """``camunda-worker engine`` in a child process, on 127.0.0.1."""

    def __init__(self) -> None:
        root = str(Path(camunda_worker.__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ENGINE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
            text=True,
        )
        self._expect("loaded")
        self.port = 0

    def listen(self, port: int) -> str:
        """Bind ``port`` (0: a free one) and serve; returns the ``/v2`` URL."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{port}\n")
        self.process.stdin.flush()
        line = self._expect("camunda engine listening on ")
        url = line.rsplit(" ", 1)[-1]
        self.port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        return url

    def _expect(self, start: str) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], WAIT)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith(start):
            self.kill()
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the engine did not start: {line!r} {stderr[-2000:]}")
        return line.strip()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def engines() -> Iterator[list[EngineProcess]]:
    started: list[EngineProcess] = []
    try:
        yield started
    finally:
        for engine in started:
            engine.kill()


def _serve(engines: list[EngineProcess]) -> EngineProcess:
    engine = EngineProcess()
    engines.append(engine)
    return engine


def run_instance(url: str) -> str:
    with CamundaClient(url) as client:
        client.deploy_resources([("black-hole.bpmn", BPMN.encode())])
        created = client.create_process_instance(process_definition_id="black-hole")
    return created.process_instance_key


def state_of(url: str, key: str) -> str:
    with CamundaClient(url) as client:
        try:
            return client.get_process_instance(key).state
        except Exception as error:  # the engine may be down while we look
            return f"unknown ({type(error).__name__})"


def complete(job: Any) -> dict[str, Any]:
    return {"done": True}


def test_after_the_engine_is_killed_and_restarted_on_its_port_the_worker_reconnects(
    engines: list[EngineProcess],
) -> None:
    first = _serve(engines)
    url = first.listen(0)
    second = _serve(engines)  # loaded and waiting, to take the port over at once
    log = RecordingLogger()
    config = WorkerConfig(
        JOB_TYPE,
        job_timeout_milliseconds=5000,
        request_timeout_milliseconds=500,
        max_concurrent_jobs=4,
    )
    with running_worker(url, complete, config, logger=log, drain_timeout=2) as worker:
        key = run_instance(url)
        wait_for(lambda: state_of(url, key) == "COMPLETED", timeout=WAIT, what="the first job")

        first.kill()  # SIGKILL: no answer to the poll in flight, no goodbye
        wait_for(
            lambda: logged(log, "activating jobs failed"),
            timeout=WAIT,
            what="the worker noticed the engine is gone",
        )
        assert worker.state is WorkerState.BACKING_OFF
        assert not check([worker]).ready
        assert worker.error is None

        started = time.monotonic()
        while True:  # the port may linger for a moment after the kill
            try:
                assert second.listen(first.port) == url
                break
            except RuntimeError:
                if time.monotonic() - started > WAIT:
                    raise
                second = _serve(engines)
                time.sleep(0.2)

        key = run_instance(url)  # the new engine is empty: deploy again
        wait_for(
            lambda: state_of(url, key) == "COMPLETED",
            timeout=WAIT,
            what="a job of the new engine completed",
        )
        wait_for(lambda: polling_and_ready(worker), timeout=WAIT, what="ready again")
        assert worker.state is WorkerState.POLLING
        assert worker.error is None
        assert logged(log, "activating jobs works again")
    assert worker.stats.completed == 2
    assert worker.stats.acknowledgement_failures == 0
