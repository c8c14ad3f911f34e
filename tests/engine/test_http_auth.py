"""Optional authentication: basic, static bearer tokens, and an OAuth2 token endpoint."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from camunda_worker.engine import EngineApp, InProcessTransport

from .conftest import BASE_URL

TOKEN_URL = "http://engine.test/oauth/token"


def client_for(app: EngineApp, **options: object) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL, **options)  # type: ignore[arg-type]


def test_authentication_is_off_by_default(client: httpx.Client) -> None:
    assert client.get("/topology").status_code == 200


def test_basic_auth_refuses_missing_or_wrong_credentials(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app(basic_auth=("demo", "s3cret"))

    with client_for(app) as anonymous, client_for(app, auth=("demo", "wrong")) as wrong:
        missing = anonymous.get("/topology")
        refused = wrong.get("/topology")
    with client_for(app, auth=("demo", "s3cret")) as right:
        accepted = right.get("/topology")

    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Basic")
    assert missing.json()["title"] == "Unauthorized"
    assert refused.status_code == 401
    assert "s3cret" not in refused.text
    assert accepted.status_code == 200


def test_status_needs_no_credentials(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(basic_auth=("demo", "s3cret"))

    with client_for(app) as anonymous:
        assert anonymous.get("/status").status_code == 204


def test_static_bearer_tokens(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(bearer_tokens=["token-1"])

    with client_for(app, headers={"Authorization": "Bearer token-1"}) as right:
        assert right.get("/topology").status_code == 200
    with client_for(app, headers={"Authorization": "Bearer token-2"}) as wrong:
        response = wrong.get("/topology")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def fetch_token(app: EngineApp, secret: str = "client-secret", **extra: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": "worker",
        "client_secret": secret,
        "audience": "zeebe-api",
        **extra,
    }
    with httpx.Client(transport=InProcessTransport(app)) as client:
        return client.post(TOKEN_URL, data=form)


def test_the_token_endpoint_issues_bearer_tokens_the_api_accepts(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app(oauth_clients={"worker": "client-secret"}, token_expires_in=300)

    response = fetch_token(app)
    token = response.json()["access_token"]
    with client_for(app, headers={"Authorization": f"Bearer {token}"}) as authed:
        api = authed.get("/topology")

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["expires_in"] == 300
    assert api.status_code == 200
    assert app.token_issuer is not None
    assert app.token_issuer.issued == 1


def test_the_token_endpoint_refuses_a_wrong_secret(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(oauth_clients={"worker": "client-secret"})

    response = fetch_token(app, secret="nope")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "nope" not in response.text


def test_the_token_endpoint_accepts_client_credentials_in_basic_auth(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app(oauth_clients={"worker": "client-secret"})

    with httpx.Client(transport=InProcessTransport(app)) as client:
        response = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            auth=("worker", "client-secret"),
        )

    assert response.status_code == 200


def test_the_token_endpoint_refuses_other_grants(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(oauth_clients={"worker": "client-secret"})

    response = fetch_token(app, grant_type="password")

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("invalidate", ["expire_all", "revoke"])
def test_expired_or_revoked_tokens_are_refused_until_a_new_one_is_fetched(
    make_app: Callable[..., EngineApp], invalidate: str
) -> None:
    app = make_app(oauth_clients={"worker": "client-secret"})
    issuer = app.token_issuer
    assert issuer is not None
    token = fetch_token(app).json()["access_token"]

    if invalidate == "expire_all":
        issuer.expire_all()
    else:
        issuer.revoke(token)
    with client_for(app, headers={"Authorization": f"Bearer {token}"}) as stale:
        refused = stale.get("/topology")
    fresh = fetch_token(app).json()["access_token"]
    with client_for(app, headers={"Authorization": f"Bearer {fresh}"}) as renewed:
        accepted = renewed.get("/topology")

    assert refused.status_code == 401
    assert accepted.status_code == 200


def test_secrets_stay_out_of_reprs_and_recordings(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(basic_auth=("demo", "pass-word"), oauth_clients={"worker": "client-secret"})

    fetch_token(app)

    text = repr(app) + repr(app.auth) + repr(app.token_issuer) + repr(app.requests)
    assert "pass-word" not in text
    assert "client-secret" not in text
    token_exchange = app.recorder.to("token")[0]
    assert token_exchange.request == {
        "grant_type": "client_credentials",
        "client_id": "worker",
        "audience": "zeebe-api",
    }
