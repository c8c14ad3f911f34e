"""The leanest client of the REST API: the engine's limit, what a worker's throughput is held to.

Run by :mod:`benchmarks._runner` (kind ``limit``). ``connections`` keep-alive connections on one
asyncio event loop (uvloop when installed) each repeat: activate up to ``batch`` jobs, then
complete each of them, one request after the other on that connection. Requests are written as
bytes with the HTTP shape our worker's fast lane sends (``Host``, ``Accept``, ``Connection:
keep-alive``, ``User-Agent``, ``Content-Type``, ``Content-Length``; the activation body of
``JobWorker``, a completion body of ``{}``); answers are framed by their ``Content-Length``, and
the job keys are read from the activation answer without parsing the rest. Nothing else runs
in the process: what it completes per second is what the engine takes.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlsplit

CONNECTIONS = 32
BATCH = 32
_KEY = re.compile(rb'"jobKey":"(\d+)"')
_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def _request(host: str, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\nConnection: keep-alive\r\n"
        "User-Agent: bench-raw-client\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    found = _LENGTH.search(head)
    length = int(found.group(1)) if found else 0
    body = await reader.readexactly(length) if length else b""
    return head[9:12], body


async def _connection(url: str, spec: dict[str, Any], batch: int) -> None:
    parts = urlsplit(url)
    host, port, prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
    netloc = f"{host}:{port}"
    activation = _request(
        netloc,
        f"{prefix}/jobs/activation",
        json.dumps(
            {
                "type": spec["job_type"],
                "worker": "bench",
                "timeout": spec["timeout_ms"],
                "maxJobsToActivate": batch,
                "requestTimeout": spec["request_timeout_ms"],
            },
            separators=(",", ":"),
        ).encode(),
    )
    completion = f"{prefix}/jobs/%s/completion"
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        writer.write(activation)
        status, body = await _answer(reader)
        if status != b"200":
            raise RuntimeError(f"activation answered {status!r}: {body[:200]!r}")
        for key in _KEY.findall(body):
            writer.write(_request(netloc, completion % key.decode(), b"{}"))
            status, body = await _answer(reader)
            if status != b"204":
                raise RuntimeError(f"completion answered {status!r}: {body[:200]!r}")


async def drive(spec: dict[str, Any]) -> None:
    """Activate and complete jobs of ``spec["job_type"]`` over many connections until killed."""
    connections = int(spec.get("connections", CONNECTIONS))
    batch = int(spec.get("batch", BATCH))
    await asyncio.gather(*(_connection(spec["url"], spec, batch) for _ in range(connections)))


def run(spec: dict[str, Any]) -> None:
    """Print ``ready`` and drive the engine on uvloop (asyncio's loop without it)."""
    print("ready", flush=True)
    try:
        import uvloop
    except ImportError:
        asyncio.run(drive(spec))
    else:
        uvloop.run(drive(spec))
