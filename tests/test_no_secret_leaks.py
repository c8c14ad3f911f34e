"""No secret in any log line, repr, str or exception message, whatever happens.

Secrets: the OAuth client secret, the Basic password, the mTLS key and its passphrase, and the
access tokens. Every scenario runs with the library's logs enabled at TRACE, with loguru's
``diagnose`` on (it prints local variables in tracebacks), and everything is checked.
"""

from __future__ import annotations

import asyncio
import pickle
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pydantic
import pytest
from loguru import logger

from camunda_worker import CamundaAsyncClient, CamundaClient, OAuthClientCredentials
from camunda_worker._auth.schemes import build_auth
from camunda_worker._auth.tls import build_ssl_context
from camunda_worker._base.errors import CamundaError
from camunda_worker._config.keys import _WARNED
from camunda_worker._config.settings import CamundaSettings, resolve_settings

CLIENT_SECRET = "client-secret-7f3a9c1e"
PASSWORD = "basic-password-2b8d4f6a"
PASSPHRASE = "key-passphrase-9e1c3b5d"
KEY_BODY = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETKEYBODY"
MTLS_KEY = f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n"
TOKENS = ("access-token-aaaa1111", "access-token-bbbb2222")
SECRETS = (CLIENT_SECRET, PASSWORD, PASSPHRASE, KEY_BODY, *TOKENS)
OAUTH_URL = "http://idp.test/token"
API = "http://api.test/v2/topology"


@pytest.fixture
def logs() -> Iterator[list[str]]:
    """Every log line (serialized: message, extra, exception with locals) of the test."""
    lines: list[str] = []
    # diagnose: tracebacks print the value of every name on each line of the library's frames.
    # backtrace stays off: it would print the test's own frames above the logging call.
    sink = logger.add(
        lines.append, level="TRACE", serialize=True, backtrace=False, diagnose=True, catch=False
    )
    logger.enable("camunda_worker")
    _WARNED.clear()
    try:
        yield lines
    finally:
        logger.remove(sink)
        logger.disable("camunda_worker")
        _WARNED.clear()
        assert lines, "the scenario logged nothing: the check would prove nothing"
        assert_clean("\n".join(lines))


def assert_clean(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == [], f"secret(s) leaked: {leaked}"


def assert_clean_error(error: BaseException) -> None:
    assert_clean(str(error))
    assert_clean(repr(error))
    assert_clean(repr(error.args))
    assert_clean("".join(traceback.format_exception(error)))


def log_like_a_user(error: BaseException) -> None:
    """Log the error with its traceback, as an application would, from the library's frames.

    The first frame is this test's, whose locals hold the secrets on purpose; it is cut so
    loguru's diagnose prints only what the library's own frames hold.
    """
    assert error.__traceback__ is not None
    error.__traceback__ = error.__traceback__.tb_next
    logger.opt(exception=error).error("the user logs the failure")


def full_environment(**extra: str) -> dict[str, str]:
    return {
        "CAMUNDA_CLIENT_ID": "worker-client",
        "CAMUNDA_CLIENT_SECRET": CLIENT_SECRET,
        "CAMUNDA_OAUTH_URL": OAUTH_URL,
        "CAMUNDA_BASIC_AUTH_USERNAME": "demo",
        "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
        "CAMUNDA_AUTH_STRATEGY": "OAUTH",
        "CAMUNDA_MTLS_KEY_PASSPHRASE": PASSPHRASE,
        "CAMUNDA_MTLS_CERT": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "CAMUNDA_MTLS_KEY": MTLS_KEY,
        "CAMUNDA_CLIENT_SECERT": CLIENT_SECRET,  # a typo'd name holding the secret
        **extra,
    }


def test_resolved_settings_show_no_secret(logs: list[str], tmp_path: Path) -> None:
    envfile = tmp_path / ".env"
    envfile.write_text(f"CAMUNDA_BASIC_AUTH_PASSWORD={PASSWORD}\nnot a line {PASSWORD}\n")
    resolved = resolve_settings(environ=full_environment(CAMUNDA_LOAD_ENVFILE=str(envfile)))
    settings = resolved.settings
    for text in (repr(settings), str(settings), repr(resolved), str(resolved.describe())):
        assert_clean(text)
    assert_clean(settings.model_dump_json())
    assert_clean(str(pickle.loads(pickle.dumps(settings))))


@pytest.mark.parametrize(
    ("environ", "overrides", "trace"),
    [
        ({"CAMUNDA_CLIENT_SECRET": CLIENT_SECRET}, {}, True),
        (full_environment(CAMUNDA_AUTH_STRATEGY=""), {}, True),
        ({"CAMUNDA_MTLS_KEY": MTLS_KEY}, {}, True),
        ({"CAMUNDA_MTLS_KEY_PASSPHRASE": PASSPHRASE}, {"mtls_cert_path": "/c.pem"}, True),
        # Below, the secret sits where no secret belongs (a wrongly typed override, a URL): the
        # message masks it, but a traceback that prints locals shows the caller's argument.
        ({}, {"client_secret": 12345678901234567, "client_id": "x"}, False),
        ({}, {"basic_auth_password": ["not", PASSWORD]}, False),
        ({}, {"mtls_key_passphrase": {PASSPHRASE: 1}}, False),
        ({"CAMUNDA_REST_ADDRESS": f"http://user:{PASSWORD}@host:port"}, {}, False),
        ({"CAMUNDA_OAUTH_URL": f"https://user:{PASSWORD}@idp/token"}, {}, False),
    ],
)
def test_configuration_errors_show_no_secret(
    logs: list[str], environ: dict[str, str], overrides: dict[str, object], trace: bool
) -> None:
    with pytest.raises(CamundaError) as caught:
        resolve_settings(overrides, environ=environ)
    assert_clean_error(caught.value)
    if trace:
        log_like_a_user(caught.value)
    else:
        logger.error("the user logs the failure: {}", caught.value)


def test_direct_construction_errors_show_no_secret(logs: list[str]) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        CamundaSettings(client_secret=CLIENT_SECRET, worker_timeout=PASSWORD)
    assert_clean_error(caught.value)
    logger.debug("scenario done")


class LeakyIdP:
    """A token endpoint that echoes secrets back in every error it can."""

    def __init__(self) -> None:
        self.issued = 0
        self.mode = "ok"

    def handler(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        if self.mode == "reject":
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": f"bad secret {form['client_secret']}",
                },
            )
        if self.mode == "down":
            return httpx.Response(503, text=f"cannot check {form['client_secret']}")
        if self.mode == "unreachable":
            raise httpx.ConnectError(f"refused while sending {form['client_secret']}")
        token = TOKENS[self.issued % len(TOKENS)]
        self.issued += 1
        return httpx.Response(200, json={"access_token": token, "expires_in": 60})


def api(request: httpx.Request) -> httpx.Response:
    if request.headers.get("Authorization") == f"Bearer {TOKENS[0]}":
        return httpx.Response(401, json={"title": "UNAUTHORIZED"})
    return httpx.Response(200, json={})


def test_oauth_flows_show_no_secret_or_token(logs: list[str], tmp_path: Path) -> None:
    idp = LeakyIdP()
    transport = httpx.MockTransport(idp.handler)
    environ = full_environment(
        CAMUNDA_MTLS_CERT="", CAMUNDA_MTLS_KEY="", CAMUNDA_MTLS_KEY_PASSPHRASE=""
    )
    settings = resolve_settings(environ=environ, token_cache_dir=str(tmp_path)).settings
    auth = build_auth(settings, transport=transport, async_transport=transport)
    assert auth is not None
    assert_clean(repr(auth))
    assert_clean(str(auth))
    with httpx.Client(transport=httpx.MockTransport(api), auth=auth) as client:
        assert client.get(API).status_code == 200  # 401 with token 1, retried with token 2

    async def async_call() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(api), auth=auth) as client:
            await client.get(API)

    asyncio.run(async_call())
    for mode in ("reject", "down", "unreachable"):
        idp.mode = mode
        fresh = build_auth(
            settings.model_copy(update={"token_disk_cache_disable": True}), transport=transport
        )
        with httpx.Client(transport=httpx.MockTransport(api), auth=fresh) as client:
            with pytest.raises(CamundaError) as caught:
                client.get(API)
            assert_clean_error(caught.value)
            log_like_a_user(caught.value)


def test_basic_auth_shows_no_password(logs: list[str]) -> None:
    settings = resolve_settings(
        environ={"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}
    ).settings
    auth = build_auth(settings)
    assert_clean(repr(auth))
    assert_clean(str(auth))
    logger.debug("built {}", auth)


def test_tls_errors_show_no_key_or_passphrase(logs: list[str]) -> None:
    settings = CamundaSettings(
        mtls_cert="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        mtls_key=MTLS_KEY,
        mtls_key_passphrase=PASSPHRASE,
    )
    with pytest.raises(CamundaError) as caught:
        build_ssl_context(settings)
    assert_clean_error(caught.value)
    log_like_a_user(caught.value)


def test_secrets_in_urls_given_to_objects_directly_are_masked(logs: list[str]) -> None:
    query_url = f"http://idp.test/token?client_secret={CLIENT_SECRET}"
    auth = OAuthClientCredentials(
        oauth_url=query_url,
        client_id="worker-client",
        client_secret=CLIENT_SECRET,
        transport=httpx.MockTransport(lambda request: httpx.Response(401, text="no")),
    )
    assert "token?***" in repr(auth)
    with pytest.raises(CamundaError) as caught:
        auth.token()
    assert "http://idp.test/token?***" in str(caught.value)
    assert_clean_error(caught.value)
    log_like_a_user(caught.value)
    address = f"http://api.test/v2?token={TOKENS[0]}&x={PASSWORD}"
    with CamundaClient(address) as client:
        assert client.base_url == "http://api.test/v2?***"
        assert_clean(repr(client))
        logger.debug("built {}", client)

    async def build_async() -> str:
        async with CamundaAsyncClient(address) as client:
            return repr(client)

    shown = asyncio.run(build_async())
    assert "v2?***" in shown
    assert_clean(shown)
