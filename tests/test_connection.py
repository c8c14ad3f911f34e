from __future__ import annotations

import json

import anyio
import httpx

from camunda_worker._client.connection import (
    Connection,
    async_client_from_settings,
    sync_client_from_settings,
)
from camunda_worker._config.settings import resolve_settings


def _api(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "brokers": [],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": "8.9.0",
            },
        )

    return httpx.MockTransport(handler)


def test_clients_use_the_address_and_basic_auth_from_settings() -> None:
    settings = resolve_settings(
        environ={},
        CAMUNDA_REST_ADDRESS="http://engine.test:9000/v2",
        CAMUNDA_AUTH_STRATEGY="BASIC",
        CAMUNDA_BASIC_AUTH_USERNAME="demo",
        CAMUNDA_BASIC_AUTH_PASSWORD="s3cret",
    ).settings
    seen: list[httpx.Request] = []
    with sync_client_from_settings(settings, transport=_api(seen)) as client:
        client.topology()
    assert str(seen[0].url) == "http://engine.test:9000/v2/topology"
    assert seen[0].headers["authorization"].startswith("Basic ")


async def _async_topology(connection: Connection, seen: list[httpx.Request]) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "brokers": [],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": "8.9.0",
            },
        )

    async with connection.async_client(transport=httpx.MockTransport(handler)) as client:
        await client.topology()


def test_sync_and_async_clients_of_one_connection_share_one_oauth_token() -> None:
    token_requests: list[httpx.Request] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        token_requests.append(request)
        return httpx.Response(
            200, json={"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"}
        )

    async def async_token_endpoint(request: httpx.Request) -> httpx.Response:
        return token_endpoint(request)

    settings = resolve_settings(
        environ={},
        CAMUNDA_CLIENT_ID="worker",
        CAMUNDA_CLIENT_SECRET="very-secret",
        CAMUNDA_OAUTH_URL="http://idp.test/token",
        CAMUNDA_TOKEN_DISK_CACHE_DISABLE="true",
    ).settings
    connection = Connection.from_settings(
        settings,
        token_transport=httpx.MockTransport(token_endpoint),
        async_token_transport=httpx.MockTransport(async_token_endpoint),
    )
    seen: list[httpx.Request] = []
    with connection.sync_client(transport=_api(seen)) as client:
        client.topology()
    anyio.run(_async_topology, connection, seen)
    assert [r.headers["authorization"] for r in seen] == ["Bearer tok-1", "Bearer tok-1"]
    assert len(token_requests) == 1
    assert "very-secret" not in repr(connection)
    assert json.dumps(repr(connection))


def test_async_client_from_settings_points_at_the_rest_address() -> None:
    settings = resolve_settings(environ={}, CAMUNDA_REST_ADDRESS="http://127.0.0.1:1/v2").settings
    client = async_client_from_settings(settings)
    assert client.base_url == "http://127.0.0.1:1/v2"
    anyio.run(client.aclose)
