"""The event loop the engine serves on: uvloop when installed (``auto``), asyncio on request."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import httpx
import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer
from camunda_worker.engine._http import loops
from camunda_worker.engine._http import server as server_module

from .conftest import activation


class LoopProbe(EngineApp):
    """An app that notes the module of the event loop each request is served on."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.loops: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.loops.append(type(asyncio.get_running_loop()).__module__.partition(".")[0])
        await super().__call__(scope, receive, send)


def _no_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "uvloop" else real(name, *args, **kwargs)

    monkeypatch.setattr(loops.importlib.util, "find_spec", find_spec)


def test_auto_picks_uvloop_when_installed_and_asyncio_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = importlib.util.find_spec("uvloop") is not None
    assert loops.resolve_loop("auto") == ("uvloop" if installed else "asyncio")
    assert loops.resolve_loop("asyncio") == "asyncio"
    _no_uvloop(monkeypatch)
    assert loops.resolve_loop("auto") == "asyncio"
    with pytest.raises(ModuleNotFoundError, match=r"camunda-worker\[fast\]"):
        loops.resolve_loop("uvloop")
    with pytest.raises(ValueError, match="loop must be one of"):
        loops.resolve_loop("trio")


def test_the_engine_serves_on_uvloop_when_asked() -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed (the fast extra)")
    app = LoopProbe(Engine(server_line="8.10"))
    key = app.engine.create_job("on-uvloop", variables={"orderId": 7})
    app.faults.script("topology", ["drop"])

    with EngineServer(app, loop="uvloop") as server, httpx.Client(base_url=server.url) as client:
        jobs = client.post("/jobs/activation", json=activation("on-uvloop")).json()["jobs"]
        completed = client.post(f"/jobs/{key}/completion", json={})
        with pytest.raises(httpx.RemoteProtocolError):  # the drop fault aborts on uvloop too
            client.get("/topology")
        status = client.get("/status")

    assert [job["jobKey"] for job in jobs] == [key]
    assert jobs[0]["variables"] == {"orderId": 7}
    assert completed.status_code == 204
    assert status.status_code == 204
    assert set(app.loops) == {"uvloop"}


def test_engine_server_stays_on_asyncio_unless_asked() -> None:
    app = LoopProbe(Engine(server_line="8.10"))
    with EngineServer(app) as server:
        assert httpx.get(f"{server.url}/status").status_code == 204
    assert app.loops == ["asyncio"]


def test_the_command_passes_its_loop_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[str] = []

    def fake_serve(app: EngineApp, **options: Any) -> None:
        chosen.append(options["loop"])

    monkeypatch.setattr(server_module, "serve", fake_serve)
    assert server_module.main(["--port", "0"]) == 0
    assert server_module.main(["--port", "0", "--loop", "asyncio"]) == 0
    assert chosen == ["auto", "asyncio"]


def test_asking_for_a_missing_uvloop_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_uvloop(monkeypatch)
    assert server_module.main(["--port", "0", "--loop", "uvloop"]) == 1
    assert "pip install 'camunda-worker[fast]'" in capsys.readouterr().err
    with pytest.raises(server_module.ServerDependencyError, match="uvloop"):
        EngineServer(loop="uvloop")
