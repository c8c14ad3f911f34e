"""The ceiling of a Python ASGI server here: a Starlette app with the engine's two hot routes.

``POST /v2/jobs/activation`` reads the request and answers a fixed batch of 32 jobs (the shape an
8.10 engine sends); ``POST /v2/jobs/{jobKey}/completion`` reads the request and answers 204. It
does no work beyond that, so it bounds what any Python engine behind uvicorn could reach.

Run: ``python -m benchmarks._starlette_echo PORT`` (prints ``listening on URL`` once bound).
"""

from __future__ import annotations

import socket
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BATCH = 32


def _job(index: int) -> dict[str, object]:
    key = str(2251799813685249 + index)
    return {
        "type": "bench",
        "processDefinitionId": "bench",
        "processDefinitionVersion": 1,
        "elementId": "task",
        "customHeaders": {},
        "worker": "bench",
        "retries": 3,
        "deadline": 1_735_689_660_000,
        "variables": {"orderId": index, "amount": 42.5},
        "tenantId": "<default>",
        "jobKey": key,
        "processInstanceKey": key,
        "processDefinitionKey": "2251799813685248",
        "elementInstanceKey": key,
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "tags": [],
        "userTask": None,
        "rootProcessInstanceKey": key,
        "priority": 0,
        "businessId": None,
        "leaseToken": None,
        "physicalTenantId": "default",
    }


JOBS = {"jobs": [_job(index) for index in range(BATCH)]}


async def activate(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse(JOBS)


async def complete(request: Request) -> Response:
    await request.body()
    return Response(status_code=204)


app = Starlette(
    routes=[
        Route("/v2/jobs/activation", activate, methods=["POST"]),
        Route("/v2/jobs/{job_key}/completion", complete, methods=["POST"]),
    ]
)


def main() -> None:
    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (else ~40 ms per answer).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}/v2", flush=True)
    config = uvicorn.Config(
        app, http="httptools", loop="asyncio", log_level="warning", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
