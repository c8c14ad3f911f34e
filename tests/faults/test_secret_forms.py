"""No form of a secret leaks when a token endpoint or the API echoes the request back.

A client secret such as ``S3cr3t/x+y=&%`` travels form-encoded (``S3cr3t%2Fx%2By%3D%26%25``),
a Basic password as base64 inside ``user:password``, an access token in a header; an endpoint
that echoes the request in an error answer hands them back in those forms, or JSON-escaped,
percent-encoded, in base64. Every test here configures the library as a user does (settings
from the environment) against :class:`~tests.faults.secret_echo.EchoServer` on a loopback port,
and looks for every form (:func:`~tests.faults.secret_echo.forms`) in everything a person or a
log may see: exception ``str``/``repr``/traceback with chained causes, library logs at TRACE
rendered with loguru's ``diagnose`` (locals in tracebacks), CLI stdout/stderr, settings reprs.

The secrets are drawn by hypothesis from printable characters, URL and JSON metacharacters
(``/+=&%?#"\\`` and space), the mask's own ``*`` and unicode. Each holds a character no
message of the library holds (``Ω`` for secrets, ``~^~`` for the ASCII tokens), at a drawn
place: hypothesis also draws the library's own string constants, and a secret such as
``unknown_`` would "leak" into every ``camunda-worker config --json`` by coincidence alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote_plus

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from loguru import logger

from camunda_worker import (
    AuthenticationError,
    CamundaError,
    JobWorker,
    ServerError,
    UnauthorizedError,
    WorkerConfig,
    WorkerState,
)
from camunda_worker.__main__ import main as cli_main
from camunda_worker._auth.oauth import OAuthClientCredentials
from camunda_worker._auth.schemes import build_auth
from camunda_worker._client.connection import async_client_from_settings, sync_client_from_settings
from camunda_worker._config.settings import ResolvedSettings, resolve_settings
from camunda_worker.cli import run as cli_run
from camunda_worker.cli._logging import cli_filter, format_record

from .secret_echo import KINDS, EchoServer, basic_credentials, echo_server, forms, leaked

ISSUE_SECRET = "S3cr3t/x+y=&%"  # the secret of the report
CLIENT_ID = "worker-client"
USERNAME = "worker"
WAIT = 30.0  # seconds: generous bound for an end state; a passing run takes milliseconds

_SPECIALS = "/+=&%?#\"\\ '<>:;@!$,~^`|{}[]()*é€😀"
_SECRET_CHARACTERS = st.characters(
    codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")
) | st.sampled_from(_SPECIALS)


def _marked(
    characters: st.SearchStrategy[str], marker: str, max_size: int = 20
) -> st.SearchStrategy[str]:
    part = st.text(characters, max_size=max_size)
    return st.tuples(part, part).map(lambda ab: ab[0] + marker + ab[1])


SECRETS = _marked(_SECRET_CHARACTERS, "Ω").filter(lambda s: len(s) >= 8)
# Header values are ASCII: tokens are drawn from the visible ASCII characters, some longer
# than 128 characters (a JWT is), which are matched another way.
TOKENS = _marked(st.characters(min_codepoint=0x21, max_codepoint=0x7E), "~^~", 90).filter(
    lambda s: len(s) >= 12
)

# Longer than 128 characters, like a JWT: matched in the forms common encoders give them.
LONG_TOKENS = ("eyJ" + "a/b+c=\\\"'" * 20 + "~^~", "eyJ~^~" + "x.y_z-" * 30)

FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    yield from echo_server()


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module for ``camunda-worker run`` that registers one harmless handler."""
    path = tmp_path_factory.mktemp("secret_tasks") / "secret_forms_tasks.py"
    path.write_text(
        "import camunda_worker\n\nregistry = camunda_worker.TaskRegistry()\n\n"
        "@registry.task('echo-secret')\nasync def handle(job):\n    return {}\n",
        encoding="utf-8",
    )
    return path


# -- what is checked ---------------------------------------------------------------------------


class Seen:
    """Everything a person or a log could see during a scenario, and the secrets to look for."""

    def __init__(self, **secrets: set[str]) -> None:
        self.secrets = secrets
        self.texts: list[str] = []

    def error(self, error: BaseException) -> None:
        """An exception as users see it: str, repr, args and the traceback with its causes."""
        self.texts += [str(error), repr(error), repr(error.args)]
        self.texts.append("".join(traceback.format_exception(error)))

    def assert_clean(self) -> None:
        assert self.texts, "nothing was captured: the check would prove nothing"
        found = leaked("\n".join(self.texts), self.secrets)
        assert found == [], f"secret forms leaked: {found}"


@contextlib.contextmanager
def library_logs(seen: Seen) -> Iterator[list[str]]:
    """Capture every record at TRACE, tracebacks rendered with ``diagnose`` (locals shown)."""
    lines: list[str] = []
    sink = logger.add(
        lines.append,
        level="TRACE",
        format="{level} {name}: {message} | {extra}\n{exception}",
        backtrace=False,
        diagnose=True,
        catch=False,
    )
    logger.enable("camunda_worker")
    try:
        yield lines
    finally:
        logger.remove(sink)
        logger.disable("camunda_worker")
        seen.texts += lines


def log_like_a_user(error: BaseException) -> None:
    """Log the error with its traceback from the library's frames (the test's frame is cut).

    The test's own frame holds the secrets in its locals, which ``diagnose`` would print.
    """
    if error.__traceback__ is not None:
        error.__traceback__ = error.__traceback__.tb_next
    logger.opt(exception=error).error("the user logs the failure")


def oauth_settings(secret: str, oauth_url: str, rest_address: str) -> ResolvedSettings:
    return resolve_settings(
        environ={
            "CAMUNDA_CLIENT_ID": CLIENT_ID,
            "CAMUNDA_CLIENT_SECRET": secret,
            "CAMUNDA_OAUTH_URL": oauth_url,
            "CAMUNDA_REST_ADDRESS": rest_address,
            "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "true",
        }
    )


def check_settings(seen: Seen, resolved: ResolvedSettings) -> None:
    settings_ = resolved.settings
    seen.texts += [repr(settings_), str(settings_), repr(resolved), str(resolved.describe())]
    seen.texts.append(settings_.model_dump_json())


def token_error(auth: OAuthClientCredentials, *, asynchronous: bool) -> CamundaError:
    try:
        if asynchronous:
            asyncio.run(auth.atoken())
        else:
            auth.token()
    except CamundaError as error:
        return error
    raise AssertionError("the echoing token endpoint issued a token")


# -- the token endpoint echoes the form --------------------------------------------------------


def token_endpoint_scenario(echo: EchoServer, secret: str, status: str, kind: str) -> None:
    seen = Seen(client_secret=forms(secret))
    with library_logs(seen):
        resolved = oauth_settings(secret, echo.token_url(status, kind), echo.api_url())
        check_settings(seen, resolved)
        auth = build_auth(resolved.settings)
        assert isinstance(auth, OAuthClientCredentials)
        seen.texts += [repr(auth), str(auth)]
        for asynchronous in (False, True):
            error = token_error(auth, asynchronous=asynchronous)
            expected = ServerError if status == "500" else AuthenticationError
            assert isinstance(error, expected), repr(error)
            assert f"HTTP {status}" in str(error) or str(error).startswith(status)
            seen.error(error)
            log_like_a_user(error)
    seen.assert_clean()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", ["400", "401", "500"])
def test_the_secret_of_the_report_never_shows(echo: EchoServer, status: str, kind: str) -> None:
    token_endpoint_scenario(echo, ISSUE_SECRET, status, kind)


@FAST
@given(secret=SECRETS, status=st.sampled_from(["400", "401", "500"]), kind=st.sampled_from(KINDS))
def test_no_form_of_any_secret_shows_when_the_token_endpoint_echoes_it(
    echo: EchoServer, secret: str, status: str, kind: str
) -> None:
    token_endpoint_scenario(echo, secret, status, kind)


# -- the API echoes the Authorization header ---------------------------------------------------


def api_scenario(echo: EchoServer, resolved: ResolvedSettings, seen: Seen) -> None:
    """Activate jobs with the sync and the async client; the API refuses and echoes."""
    check_settings(seen, resolved)

    def activate(client: Any) -> Any:
        return client.activate_jobs(
            job_type="echo-secret", max_jobs_to_activate=1, timeout=1000, worker="w"
        )

    errors: list[BaseException] = []
    with sync_client_from_settings(resolved.settings) as client:
        seen.texts.append(repr(client))
        try:
            activate(client)
        except UnauthorizedError as error:
            errors.append(error)

    async def activate_async() -> None:
        async with async_client_from_settings(resolved.settings) as client:
            seen.texts.append(repr(client))
            try:
                await activate(client)
            except UnauthorizedError as error:
                errors.append(error)

    asyncio.run(activate_async())
    assert len(errors) == 2, "the echoing API accepted the credentials"
    for error in errors:
        assert "credentials refused" in str(error)
        seen.error(error)
        log_like_a_user(error)


@FAST
@given(password=SECRETS, kind=st.sampled_from(KINDS))
def test_no_form_of_a_basic_password_shows_when_the_api_echoes_it(
    echo: EchoServer, password: str, kind: str
) -> None:
    seen = Seen(password=forms(password), header={basic_credentials(USERNAME, password)})
    with library_logs(seen):
        resolved = resolve_settings(
            environ={
                "CAMUNDA_BASIC_AUTH_USERNAME": USERNAME,
                "CAMUNDA_BASIC_AUTH_PASSWORD": password,
                "CAMUNDA_REST_ADDRESS": echo.api_url(kind),
            }
        )
        api_scenario(echo, resolved, seen)
    seen.assert_clean()


@FAST
@given(secret=SECRETS, first=TOKENS, second=TOKENS, kind=st.sampled_from(KINDS))
@example(secret=ISSUE_SECRET, first=LONG_TOKENS[0], second=LONG_TOKENS[1], kind="repr")
@example(secret=ISSUE_SECRET, first=LONG_TOKENS[0], second=LONG_TOKENS[1], kind="quote")
def test_no_form_of_an_access_token_shows_when_the_api_echoes_it(
    echo: EchoServer, secret: str, first: str, second: str, kind: str
) -> None:
    echo.tokens, echo.issued = [first, second], 0
    seen = Seen(client_secret=forms(secret), first=forms(first), second=forms(second))
    with library_logs(seen):
        resolved = oauth_settings(secret, echo.token_url("ok"), echo.api_url(kind))
        api_scenario(echo, resolved, seen)
    # Each client fetched a token, was refused, fetched the second one and was refused again.
    assert echo.issued >= 2
    seen.assert_clean()


# -- the worker backs off from a token endpoint that answers 500 -------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_backing_off_from_an_echoing_500_shows_no_secret(
    echo: EchoServer, kind: str
) -> None:
    secret = ISSUE_SECRET + 'é"\\ #?'
    seen = Seen(client_secret=forms(secret))
    with library_logs(seen) as lines:
        resolved = oauth_settings(secret, echo.token_url("500", kind), echo.api_url())

        async def serve() -> WorkerState:
            client = async_client_from_settings(resolved.settings)
            worker = JobWorker(
                lambda job: {},
                WorkerConfig(job_type="echo-secret", job_timeout_milliseconds=5000),
                client=client,
            )
            try:
                async with worker:
                    await wait_until(lambda: worker.state is WorkerState.BACKING_OFF)
                    state = worker.state
                    seen.texts.append(repr(worker))
            finally:
                await client.aclose()
            assert worker.error is None  # a 500 is retried, never fatal
            return state

        assert asyncio.run(serve()) is WorkerState.BACKING_OFF
    assert any("(ServerError" in line and "retrying with back-off" in line for line in lines), lines
    seen.assert_clean()


async def wait_until(predicate: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("the worker never reached the expected state")
        await asyncio.sleep(0.01)


# -- the command line --------------------------------------------------------------------------


@contextlib.contextmanager
def command_line(environ: dict[str, str]) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Run a command in-process: only ``environ`` as settings, stdout and stderr captured.

    ``camunda-worker run`` sets up its stderr sink at the level asked for; here it is the same
    sink (format, filter, ``diagnose`` as loguru's default) added next to the test process's
    sinks instead of replacing them.
    """
    out, err = io.StringIO(), io.StringIO()
    sinks: list[int] = []

    def setup_cli_logging(level: str, *, json: bool = False) -> None:
        sinks.append(
            logger.add(sys.stderr, level=0, filter=cli_filter(level), format=format_record)
        )
        logger.enable("camunda_worker")

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    with (
        mock.patch.dict(os.environ, {**clean, **environ}, clear=True),
        mock.patch.object(cli_run, "setup_cli_logging", setup_cli_logging),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            yield out, err
        finally:
            for sink in sinks:
                logger.remove(sink)
            logger.disable("camunda_worker")
            sys.modules.pop("secret_forms_tasks", None)


def run_failing(tasks: Path, environ: dict[str, str], seen: Seen) -> str:
    """``camunda-worker run`` at TRACE against refusing endpoints: exit 3, and its stderr."""
    with command_line(environ) as (out, err):
        code = cli_main(["run", str(tasks), "--log-level", "trace", "--run-timeout", str(WAIT)])
    seen.texts += [out.getvalue(), err.getvalue()]
    assert code == 3, err.getvalue()
    # The worker's own record went through the command's log sink, and so did the summary.
    assert (
        "camunda_worker.worker._poller: [job_type=echo-secret] the worker stops" in err.getvalue()
    )
    return err.getvalue()


@settings(FAST, max_examples=6)
@given(secret=SECRETS, status=st.sampled_from(["400", "401"]), kind=st.sampled_from(KINDS))
def test_a_failing_run_at_trace_shows_no_form_of_the_client_secret(
    echo: EchoServer, tasks: Path, secret: str, status: str, kind: str
) -> None:
    seen = Seen(client_secret=forms(secret))
    environ = {
        "CAMUNDA_CLIENT_ID": CLIENT_ID,
        "CAMUNDA_CLIENT_SECRET": secret,
        "CAMUNDA_OAUTH_URL": echo.token_url(status, kind),
        "CAMUNDA_REST_ADDRESS": echo.api_url(),
        "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "true",
        "CAMUNDA_WORKER_TIMEOUT": "5000",
    }
    err = run_failing(tasks, environ, seen)
    assert "authentication failed for job type 'echo-secret': AuthenticationError" in err
    seen.assert_clean()


@settings(FAST, max_examples=6)
@given(password=SECRETS, kind=st.sampled_from(KINDS))
def test_a_failing_run_at_trace_shows_no_form_of_the_basic_password(
    echo: EchoServer, tasks: Path, password: str, kind: str
) -> None:
    seen = Seen(password=forms(password), header={basic_credentials(USERNAME, password)})
    environ = {
        "CAMUNDA_BASIC_AUTH_USERNAME": USERNAME,
        "CAMUNDA_BASIC_AUTH_PASSWORD": password,
        "CAMUNDA_REST_ADDRESS": echo.api_url(kind),
        "CAMUNDA_WORKER_TIMEOUT": "5000",
    }
    err = run_failing(tasks, environ, seen)
    assert "authentication failed for job type 'echo-secret': UnauthorizedError" in err
    seen.assert_clean()


def config(environ: dict[str, str], *arguments: str) -> tuple[int, str, str]:
    with command_line(environ) as (out, err):
        code = cli_main(["config", *arguments])
    return code, out.getvalue(), err.getvalue()


@FAST
@given(secret=SECRETS, password=SECRETS)
def test_config_shows_no_form_of_a_secret(secret: str, password: str) -> None:
    seen = Seen(client_secret=forms(secret), password=forms(password))
    environ = {
        "CAMUNDA_AUTH_STRATEGY": "OAUTH",
        "CAMUNDA_CLIENT_ID": CLIENT_ID,
        "CAMUNDA_CLIENT_SECRET": secret,
        "CAMUNDA_BASIC_AUTH_USERNAME": USERNAME,
        "CAMUNDA_BASIC_AUTH_PASSWORD": password,
    }
    for arguments in ((), ("--json",)):
        code, out, err = config(environ, *arguments)
        assert code == 0, err
        assert "CAMUNDA_CLIENT_SECRET" in out
        seen.texts += [out, err]
    seen.assert_clean()


def _in_query(secret: str) -> Iterator[str]:
    """URLs that carry ``secret`` in their query string, their userinfo or their fragment."""
    quoted = functools.partial(quote_plus, safe="")
    for encode in (str, lambda s: s.replace("&", "%26").replace("#", "%23"), quoted):
        value = encode(secret)
        yield f"https://idp.example/token?client_secret={value}"
        yield f"https://idp.example/token?audience=zeebe&client_secret={value}&x=1"
        yield f"https://idp.example/token?{value}"
        yield f"https://{USERNAME}:{value}@idp.example/token"
        yield f"https://idp.example/token#{value}"


def reason(url: str) -> str:
    """What the message must say is wrong (the first of these the URL has)."""
    if "@" in url:
        return "it holds an @ (credentials"
    return "it has a query string" if "?" in url else "it has a fragment"


@FAST
@given(secret=SECRETS, setting=st.sampled_from(["CAMUNDA_OAUTH_URL", "CAMUNDA_REST_ADDRESS"]))
def test_config_masks_a_secret_in_a_url_and_says_what_is_wrong(secret: str, setting: str) -> None:
    seen = Seen(secret=forms(secret))
    for url in _in_query(secret):
        code, out, err = config({setting: url})
        assert code == 2, (url, out, err)
        assert f"camunda-worker: configuration error: {setting}=" in err
        assert f"is not valid: {reason(url)}" in err, err
        seen.texts += [out, err]
    seen.assert_clean()
