"""Authentication: none, basic, OAuth client credentials (sync and async), disk cache."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from camunda_worker._auth.schemes import BasicAuth, OAuthClientCredentials, build_auth
from camunda_worker._base.errors import (
    AuthenticationError,
    BackpressureError,
    ConnectError,
    RequestTimeoutError,
    ServerError,
)
from camunda_worker._config.settings import CamundaSettings, resolve_settings

SECRET = "s3cret-client-secret-value"
OAUTH_URL = "http://idp.test/oauth/token"
API = "http://api.test/v2/topology"


class FakeIdP:
    """An OAuth token endpoint: counts requests, issues token-1, token-2, ..."""

    def __init__(self, *, expires_in: object = 300, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.forms: list[dict[str, str]] = []
        self.answer: Callable[[int], httpx.Response] | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self._lock = threading.Lock()

    @property
    def token_requests(self) -> int:
        return len(self.forms)

    def _respond(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        with self._lock:
            self.forms.append(form)
            number = len(self.forms)
        if self.answer is not None:
            return self.answer(number)
        if form.get("client_secret") != SECRET:
            return httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Invalid client"}
            )
        return httpx.Response(
            200,
            json={
                "access_token": f"token-{number}",
                "expires_in": self.expires_in,
                "token_type": "Bearer",
            },
        )

    def sync_handler(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.delay:
            time.sleep(self.delay)
        return self._respond(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._respond(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.sync_handler)

    @property
    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.async_handler)


class FakeAPI:
    """The REST API: records Authorization headers; answers 401 to refused tokens."""

    def __init__(self, refused: set[str] | None = None) -> None:
        self.refused = refused or set()
        self.seen: list[tuple[str | None, bytes]] = []
        self._lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("Authorization")
        with self._lock:
            self.seen.append((authorization, request.content))
        if authorization in self.refused or "*" in self.refused:
            return httpx.Response(401, json={"title": "UNAUTHORIZED", "status": 401})
        return httpx.Response(200, json={"authorization": authorization})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def oauth(idp: FakeIdP, **kwargs: object) -> OAuthClientCredentials:
    options: dict[str, object] = {
        "oauth_url": OAUTH_URL,
        "client_id": "worker-client",
        "client_secret": SECRET,
        "audience": "zeebe-api",
        "transport": idp.transport,
        "async_transport": idp.async_transport,
        **kwargs,
    }
    return OAuthClientCredentials(**options)  # type: ignore[arg-type]


def oauth_settings(tmp_path: Path, **overrides: object) -> CamundaSettings:
    return resolve_settings(
        environ={},
        client_id="worker-client",
        client_secret=SECRET,
        oauth_url=OAUTH_URL,
        token_cache_dir=str(tmp_path / "cache"),
        **overrides,
    ).settings


# -- none and basic ---------------------------------------------------------------------------


def test_no_auth_strategy_builds_no_auth() -> None:
    assert build_auth(CamundaSettings()) is None


def test_basic_auth_sends_the_header_and_shows_only_the_user_name() -> None:
    settings = resolve_settings(
        environ={"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": "demo-pw"}
    ).settings
    auth = build_auth(settings)
    assert isinstance(auth, BasicAuth)
    api = FakeAPI()
    with httpx.Client(transport=api.transport, auth=auth) as client:
        client.get(API)
    assert api.seen[0][0] == "Basic ZGVtbzpkZW1vLXB3"  # base64("demo:demo-pw")
    assert repr(auth) == str(auth) == "BasicAuth(username='demo')"


# -- OAuth: the token request -----------------------------------------------------------------


def test_token_request_is_a_client_credentials_form_and_the_token_is_sent() -> None:
    idp, api = FakeIdP(), FakeAPI()
    auth = oauth(idp, scope="camunda-api")
    with httpx.Client(transport=api.transport, auth=auth) as client:
        response = client.get(API)
    assert response.json() == {"authorization": "Bearer token-1"}
    assert idp.forms == [
        {
            "grant_type": "client_credentials",
            "client_id": "worker-client",
            "client_secret": SECRET,
            "audience": "zeebe-api",
            "scope": "camunda-api",
        }
    ]


@pytest.mark.asyncio
async def test_async_client_gets_a_token_too() -> None:
    idp, api = FakeIdP(), FakeAPI()
    async with httpx.AsyncClient(transport=api.transport, auth=oauth(idp)) as client:
        response = await client.get(API)
    assert response.json() == {"authorization": "Bearer token-1"}
    assert idp.token_requests == 1
    assert "scope" not in idp.forms[0]


@pytest.mark.asyncio
async def test_fifty_concurrent_async_requests_cause_one_token_request() -> None:
    idp, api = FakeIdP(delay=0.05), FakeAPI()
    async with httpx.AsyncClient(transport=api.transport, auth=oauth(idp)) as client:
        responses = await asyncio.gather(*(client.get(API) for _ in range(50)))
    assert idp.token_requests == 1
    assert {r.json()["authorization"] for r in responses} == {"Bearer token-1"}


def test_concurrent_threads_and_event_loops_share_one_token_request() -> None:
    idp, api = FakeIdP(delay=0.05), FakeAPI()
    auth = oauth(idp)
    start = threading.Barrier(22)
    results: list[str] = []
    lock = threading.Lock()

    def sync_caller() -> None:
        with httpx.Client(transport=api.transport, auth=auth) as client:
            start.wait(10)
            value = client.get(API).json()["authorization"]
        with lock:
            results.append(value)

    async def many_async() -> list[str]:
        async with httpx.AsyncClient(transport=api.transport, auth=auth) as client:
            start.wait(10)
            answers = await asyncio.gather(*(client.get(API) for _ in range(15)))
        return [answer.json()["authorization"] for answer in answers]

    def loop_caller() -> None:
        values = asyncio.run(many_async())
        with lock:
            results.extend(values)

    threads = [threading.Thread(target=sync_caller) for _ in range(20)]
    threads += [threading.Thread(target=loop_caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 50
    assert set(results) == {"Bearer token-1"}
    assert idp.token_requests == 1


def test_token_is_refreshed_before_it_expires() -> None:
    idp, api, clock = FakeIdP(expires_in=100), FakeAPI(), FakeClock()
    with httpx.Client(transport=api.transport, auth=oauth(idp, clock=clock)) as client:
        assert client.get(API).json()["authorization"] == "Bearer token-1"
        clock.now += 89  # 10% margin: refreshed from 90 s on
        assert client.get(API).json()["authorization"] == "Bearer token-1"
        clock.now += 2
        assert client.get(API).json()["authorization"] == "Bearer token-2"
    assert idp.token_requests == 2


def test_requests_keep_the_old_token_while_a_refresh_is_in_flight() -> None:
    idp, api, clock = FakeIdP(expires_in=100), FakeAPI(), FakeClock()
    auth = oauth(idp, clock=clock)
    client = httpx.Client(transport=api.transport, auth=auth)
    client.get(API)
    clock.now += 95  # due for refresh, still valid
    idp.gate, idp.entered = threading.Event(), threading.Event()
    refresher = threading.Thread(target=client.get, args=(API,))
    refresher.start()
    assert idp.entered.wait(10)
    seen: list[str] = []
    other = threading.Thread(target=lambda: seen.append(client.get(API).json()["authorization"]))
    other.start()
    other.join(10)
    assert seen == ["Bearer token-1"]  # answered while the refresh is still blocked
    idp.gate.set()
    refresher.join(10)
    assert client.get(API).json()["authorization"] == "Bearer token-2"
    client.close()


# -- OAuth: 401 from the API ------------------------------------------------------------------


def test_a_401_invalidates_the_token_and_retries_once_with_the_same_body() -> None:
    idp, api = FakeIdP(), FakeAPI(refused={"Bearer token-1"})
    with httpx.Client(transport=api.transport, auth=oauth(idp)) as client:
        response = client.post(API, json={"jobType": "payment"})
    assert response.status_code == 200
    assert [auth for auth, _ in api.seen] == ["Bearer token-1", "Bearer token-2"]
    assert api.seen[0][1] == api.seen[1][1] == b'{"jobType":"payment"}'
    assert idp.token_requests == 2


def test_a_second_401_is_returned_not_retried_forever() -> None:
    idp, api = FakeIdP(), FakeAPI(refused={"*"})
    with httpx.Client(transport=api.transport, auth=oauth(idp)) as client:
        response = client.get(API)
    assert response.status_code == 401
    assert len(api.seen) == 2


@pytest.mark.asyncio
async def test_async_401_retries_once() -> None:
    idp, api = FakeIdP(), FakeAPI(refused={"Bearer token-1"})
    async with httpx.AsyncClient(transport=api.transport, auth=oauth(idp)) as client:
        response = await client.get(API)
    assert response.json() == {"authorization": "Bearer token-2"}
    assert len(api.seen) == 2


# -- OAuth: failures of the token endpoint -----------------------------------------------------


def test_a_rejected_secret_is_a_clear_error_without_the_secret() -> None:
    idp, api = FakeIdP(), FakeAPI()
    auth = oauth(idp, client_secret="wrong-secret-value-123")
    with (
        httpx.Client(transport=api.transport, auth=auth) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.get(API)
    message = str(caught.value)
    assert "worker-client" in message
    assert "invalid_client" in message
    assert "CAMUNDA_CLIENT_SECRET" in message
    assert "wrong-secret-value-123" not in message
    assert api.seen == []


@pytest.mark.asyncio
async def test_concurrent_callers_share_one_rejection() -> None:
    idp, api = FakeIdP(delay=0.05), FakeAPI()
    auth = oauth(idp, client_secret="wrong")
    async with httpx.AsyncClient(transport=api.transport, auth=auth) as client:
        results = await asyncio.gather(
            *(client.get(API) for _ in range(10)), return_exceptions=True
        )
    assert all(isinstance(result, AuthenticationError) for result in results)
    assert idp.token_requests == 1


@pytest.mark.parametrize(
    ("status", "error"), [(503, BackpressureError), (429, BackpressureError), (500, ServerError)]
)
def test_token_endpoint_trouble_is_retryable(status: int, error: type[Exception]) -> None:
    idp = FakeIdP()
    idp.answer = lambda _n: httpx.Response(status, text=f"overloaded {SECRET}")
    with pytest.raises(error) as caught:
        oauth(idp).token()
    assert caught.value.retryable  # type: ignore[attr-defined]
    assert SECRET not in str(caught.value)
    assert OAUTH_URL in str(caught.value)


def test_a_200_without_a_token_is_an_authentication_error() -> None:
    idp = FakeIdP()
    idp.answer = lambda _n: httpx.Response(200, json={"token_type": "Bearer"})
    with pytest.raises(AuthenticationError, match="without an access_token"):
        oauth(idp).token()


@pytest.mark.asyncio
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ReadTimeout("slow"), RequestTimeoutError),
    ],
)
async def test_unreachable_token_endpoint(raised: Exception, error: type[Exception]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised

    transport = httpx.MockTransport(fail)
    auth = oauth(FakeIdP(), transport=transport, async_transport=transport)
    with pytest.raises(error, match=r"idp\.test"):
        auth.token()
    with pytest.raises(error, match=r"idp\.test"):
        await auth.atoken()


def test_missing_or_odd_expires_in_falls_back_to_five_minutes() -> None:
    clock = FakeClock()
    token = oauth(FakeIdP(expires_in="soon"), clock=clock).token()
    assert token.expires_at == clock.now + 300


# -- OAuth: disk cache ------------------------------------------------------------------------


def test_disk_cache_is_private_and_shared_by_a_second_process(tmp_path: Path) -> None:
    idp, api = FakeIdP(), FakeAPI()
    settings = oauth_settings(tmp_path)
    first = build_auth(settings, transport=idp.transport)
    with httpx.Client(transport=api.transport, auth=first) as client:
        client.get(API)
    files = list((tmp_path / "cache").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert "worker-client" not in files[0].name
    second = build_auth(settings, transport=idp.transport)  # as a new process would
    with httpx.Client(transport=api.transport, auth=second) as client:
        assert client.get(API).json()["authorization"] == "Bearer token-1"
    assert idp.token_requests == 1


def test_disk_cache_key_depends_on_client_audience_and_url(tmp_path: Path) -> None:
    idp = FakeIdP()
    for audience in ("a", "b"):
        auth = build_auth(
            oauth_settings(tmp_path, token_audience=audience), transport=idp.transport
        )
        assert isinstance(auth, OAuthClientCredentials)
        auth.token()
    assert len(list((tmp_path / "cache").iterdir())) == 2
    assert idp.token_requests == 2


def test_world_readable_cache_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    idp = FakeIdP()
    settings = oauth_settings(tmp_path)
    auth = build_auth(settings, transport=idp.transport)
    assert isinstance(auth, OAuthClientCredentials)
    auth.token()
    cache_file = next((tmp_path / "cache").iterdir())
    document = json.loads(cache_file.read_text())
    cache_file.write_text(json.dumps({**document, "access_token": "planted"}))
    cache_file.chmod(0o644)
    fresh = build_auth(settings, transport=idp.transport)
    assert isinstance(fresh, OAuthClientCredentials)
    assert fresh.token().access_token == "token-2"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert json.loads(cache_file.read_text())["access_token"] == "token-2"


def test_disabled_disk_cache_writes_nothing(tmp_path: Path) -> None:
    idp = FakeIdP()
    auth = build_auth(
        oauth_settings(tmp_path, token_disk_cache_disable=True), transport=idp.transport
    )
    assert isinstance(auth, OAuthClientCredentials)
    auth.token()
    assert not (tmp_path / "cache").exists()


def test_default_cache_dir_is_dot_camunda_in_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = resolve_settings(
        environ={}, client_id="c", client_secret=SECRET, oauth_url=OAUTH_URL
    ).settings
    auth = build_auth(settings, transport=FakeIdP().transport)
    assert isinstance(auth, OAuthClientCredentials)
    auth.token()
    assert len(list((tmp_path / ".camunda").iterdir())) == 1


def test_unwritable_cache_path_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    idp = FakeIdP()
    auth = oauth(idp, cache_dir=blocker / "cache")
    assert auth.token().access_token == "token-1"
    assert auth.token().access_token == "token-1"
    assert idp.token_requests == 1


def test_a_refused_token_is_removed_from_the_disk_cache(tmp_path: Path) -> None:
    idp, api = FakeIdP(), FakeAPI(refused={"Bearer token-1"})
    settings = oauth_settings(tmp_path)
    with httpx.Client(
        transport=api.transport, auth=build_auth(settings, transport=idp.transport)
    ) as c:
        c.get(API)
    cache_file = next((tmp_path / "cache").iterdir())
    assert json.loads(cache_file.read_text())["access_token"] == "token-2"


def test_repr_shows_no_secret() -> None:
    auth = oauth(FakeIdP())
    assert SECRET not in repr(auth)
    assert SECRET not in str(auth)
    assert "worker-client" in repr(auth)
    token = auth.token()
    assert "token-1" not in repr(token)


@pytest.mark.asyncio
async def test_async_and_sync_flows_share_the_token() -> None:
    idp, api = FakeIdP(), FakeAPI()
    auth = oauth(idp)
    with httpx.Client(transport=api.transport, auth=auth) as client:
        client.get(API)  # noqa: ASYNC212 - the sync flow, on purpose
    async with httpx.AsyncClient(transport=api.transport, auth=auth) as async_client:
        await async_client.get(API)
    assert idp.token_requests == 1
