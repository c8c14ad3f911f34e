"""Settings: names, precedence, sources, .env loading, validation messages, typo warnings."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
from loguru import logger
from pydantic import SecretStr

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.fields import SPECS, SPECS_BY_ENV
from camunda_worker._config.keys import _WARNED
from camunda_worker._config.settings import (
    CamundaSettings,
    ResolvedSettings,
    Source,
    resolve_settings,
)


@pytest.fixture
def warnings_seen() -> Iterator[list[str]]:
    """Collect camunda_worker's WARNING records (the library is enabled for the test)."""
    seen: list[str] = []
    _WARNED.clear()
    sink = logger.add(
        lambda message: seen.append(str(message)), level="WARNING", format="{message}"
    )
    logger.enable("camunda_worker")
    try:
        yield seen
    finally:
        logger.disable("camunda_worker")
        logger.remove(sink)
        _WARNED.clear()


def test_defaults_without_any_environment() -> None:
    resolved = resolve_settings(environ={})
    settings = resolved.settings
    assert settings.rest_address == "http://localhost:8080/v2"
    assert settings.auth_strategy == "NONE"
    assert settings.worker_timeout is None
    assert set(resolved.sources.values()) == {Source.DEFAULT}
    assert set(resolved.sources) == {spec.env for spec in SPECS}


def test_every_model_field_has_an_env_name_and_back() -> None:
    assert [spec.field for spec in SPECS] == list(CamundaSettings.model_fields)
    assert all(spec.env == "CAMUNDA_" + spec.field.upper() for spec in SPECS)
    assert SPECS_BY_ENV["ZEEBE_REST_ADDRESS"].field == "rest_address"
    assert SPECS_BY_ENV["CAMUNDA_CLIENT_AUTH_CLIENTSECRET"].field == "client_secret"


def test_precedence_envfile_environment_explicit_with_sources(tmp_path: Path) -> None:
    envfile = tmp_path / "worker.env"
    envfile.write_text(
        "CAMUNDA_WORKER_NAME=from-file\n"
        "CAMUNDA_WORKER_TIMEOUT=1000\n"
        "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS=3\n"
        "CAMUNDA_TENANT_ID=file-tenant\n"
    )
    environ = {
        "CAMUNDA_LOAD_ENVFILE": str(envfile),
        "CAMUNDA_WORKER_TIMEOUT": "2000",
        "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "4",
    }
    resolved = resolve_settings({"CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": 5}, environ=environ)
    settings, sources = resolved.settings, resolved.sources
    assert settings.tenant_id == "file-tenant"
    assert sources["CAMUNDA_TENANT_ID"] is Source.ENVFILE
    assert settings.worker_name == "from-file"
    assert settings.worker_timeout == 2000
    assert sources["CAMUNDA_WORKER_TIMEOUT"] is Source.ENVIRONMENT
    assert settings.worker_max_concurrent_jobs == 5
    assert sources["CAMUNDA_WORKER_MAX_CONCURRENT_JOBS"] is Source.EXPLICIT
    assert sources["CAMUNDA_REST_ADDRESS"] is Source.DEFAULT
    assert resolved.envfile == envfile
    assert settings.load_envfile == str(envfile)


def test_dotenv_in_cwd_is_ignored_unless_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("CAMUNDA_WORKER_NAME=dotenv\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_settings(environ={}).settings.worker_name is None
    assert resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": "false"}).settings.worker_name is None
    loaded = resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": "true"})
    assert loaded.settings.worker_name == "dotenv"
    assert loaded.sources["CAMUNDA_WORKER_NAME"] is Source.ENVFILE
    assert resolve_settings(load_envfile=True, environ={}).settings.worker_name == "dotenv"


def test_envfile_named_but_missing_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    with pytest.raises(ConfigurationError, match="does not exist") as caught:
        resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": str(missing)})
    assert caught.value.variable == "CAMUNDA_LOAD_ENVFILE"
    assert str(missing) in str(caught.value)


def test_envfile_syntax(tmp_path: Path) -> None:
    envfile = tmp_path / ".env"
    envfile.write_text(
        "# a comment\n"
        "export CAMUNDA_WORKER_NAME='quoted # not a comment'\n"
        'CAMUNDA_TENANT_IDS="a, b" # trailing comment\n'
        "CAMUNDA_TOKEN_SCOPE=plain value # comment\n"
        "this line is junk\n"
        "\n"
    )
    settings = resolve_settings(load_envfile=str(envfile), environ={}).settings
    assert settings.worker_name == "quoted # not a comment"
    assert settings.tenant_ids == ("a", "b")
    assert settings.token_scope == "plain value"


def test_explicit_overrides_accept_env_and_field_names_and_kwargs_win() -> None:
    resolved = resolve_settings(
        {"CAMUNDA_WORKER_NAME": "from-mapping", "worker_timeout": 7},
        environ={"CAMUNDA_WORKER_NAME": "from-env"},
        worker_name="from-kwargs",
        tenant_ids=None,
    )
    assert resolved.settings.worker_name == "from-kwargs"
    assert resolved.settings.worker_timeout == 7
    assert resolved.sources["CAMUNDA_WORKER_TIMEOUT"] is Source.EXPLICIT
    assert resolved.sources["CAMUNDA_TENANT_IDS"] is Source.DEFAULT


def test_unknown_override_key_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'worker_timeout'"):
        resolve_settings(worker_timout=5, environ={})
    with pytest.raises(ConfigurationError, match="CAMUNDA_WORKER_TIMEOUT"):
        resolve_settings({"CAMUNDA_WORKER_TIMOUT": 5}, environ={})


def test_same_setting_twice_with_different_values_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="given twice"):
        resolve_settings({"CAMUNDA_WORKER_NAME": "a", "worker_name": "b"}, environ={})


def test_rest_address_aliases_and_normalisation() -> None:
    zeebe = resolve_settings(environ={"ZEEBE_REST_ADDRESS": "https://cluster.example/abc/"})
    assert zeebe.settings.rest_address == "https://cluster.example/abc/v2"
    assert zeebe.sources["CAMUNDA_REST_ADDRESS"] is Source.ENVIRONMENT
    both = resolve_settings(
        environ={
            "ZEEBE_REST_ADDRESS": "http://zeebe:8080",
            "CAMUNDA_REST_ADDRESS": "http://camunda:8080/v2/",
        }
    )
    assert both.settings.rest_address == "http://camunda:8080/v2"
    exact = resolve_settings(
        rest_address="http://proxy/api/", rest_address_exact="true", environ={}
    )
    assert exact.settings.rest_address == "http://proxy/api/"


def test_official_client_id_aliases() -> None:
    settings = resolve_settings(
        environ={"CAMUNDA_CLIENT_AUTH_CLIENTID": "id", "CAMUNDA_CLIENT_AUTH_CLIENTSECRET": "s"}
    ).settings
    assert settings.client_id == "id"
    assert settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == "s"
    assert settings.auth_strategy == "OAUTH"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CAMUNDA_WORKER_TIMEOUT", "abc", "whole number of milliseconds >= 1"),
        ("CAMUNDA_WORKER_TIMEOUT", "-5", "whole number of milliseconds >= 1"),
        ("CAMUNDA_WORKER_TIMEOUT", "1.5", "whole number"),
        ("CAMUNDA_WORKER_MAX_CONCURRENT_JOBS", "0", "whole number >= 1"),
        ("CAMUNDA_WORKER_REQUEST_TIMEOUT", "ten", "whole number"),
        ("CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS", "-1", "number of seconds >= 0"),
        ("CAMUNDA_WORKER_DRAIN_TIMEOUT", "nan", "number of seconds >= 0"),
        ("CAMUNDA_WORKER_RETRY_BACKOFF", "-1", ">= 0"),
        ("CAMUNDA_WORKER_EXECUTION_STRATEGY", "fibers", "auto, async, thread, process"),
        ("CAMUNDA_WORKER_PROCESS_START_METHOD", "clone", "spawn, forkserver, fork"),
        ("CAMUNDA_AUTH_STRATEGY", "KERBEROS", "NONE, BASIC, OAUTH"),
        ("CAMUNDA_SDK_LOG_LEVEL", "loud", "silent, error, warn"),
        ("CAMUNDA_TOKEN_DISK_CACHE_DISABLE", "maybe", "true or false"),
        ("CAMUNDA_REST_ADDRESS", "localhost:8080", "http:// or https:// URL"),
        ("CAMUNDA_REST_ADDRESS", "ftp://host/v2", "http:// or https:// URL"),
        ("CAMUNDA_OAUTH_URL", "not a url", "http:// or https:// URL"),
    ],
)
def test_bad_values_name_the_variable_show_the_value_and_say_what_is_expected(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(environ={variable: value})
    message = str(caught.value)
    assert caught.value.variable == variable
    assert variable in message
    assert repr(value) in message
    assert expected in message
    assert "the environment" in message


@pytest.mark.parametrize(
    ("variable", "value", "shown", "reason"),
    [
        (
            "CAMUNDA_OAUTH_URL",
            "https://idp.example/token?client_secret=S3cr3t/x+y",
            "https://idp.example/token?***",
            "it has a query string",
        ),
        (
            "CAMUNDA_REST_ADDRESS",
            "https://api.example/v2?S3cr3t",
            "https://api.example/v2?***",
            "it has a query string",
        ),
        (
            "CAMUNDA_OAUTH_URL",
            "https://worker:S3cr3t@idp.example/token",
            "https://***@idp.example/token",
            "it holds an @ (credentials",
        ),
        (
            "CAMUNDA_REST_ADDRESS",
            "https://api.example/v2#S3cr3t",
            "https://api.example/v2#***",
            "it has a fragment",
        ),
        ("CAMUNDA_REST_ADDRESS", "http://host:port/v2", "http://host:port/v2", "its port"),
        ("CAMUNDA_OAUTH_URL", "ftp://idp.example/token", "ftp://idp.example/token", "it does not"),
    ],
)
def test_a_bad_url_says_what_is_wrong_with_it_and_masks_what_may_be_secret(
    variable: str, value: str, shown: str, reason: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(environ={variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}={shown!r} (from the environment) is not valid: {reason}")
    assert "S3cr3t" not in message
    example = "http://localhost:8080/v2" if "REST" in variable else "https://login.cloud"
    assert f"e.g. {example}" in message


def test_a_url_built_into_settings_directly_is_checked_the_same_way() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"it has a query string") as caught:
        CamundaSettings(oauth_url="https://idp.example/token?client_secret=S3cr3t")
    assert "S3cr3t" not in str(caught.value)


def test_bad_explicit_values_say_where_they_came_from() -> None:
    with pytest.raises(ConfigurationError, match="explicit overrides") as caught:
        resolve_settings(worker_timeout=True, environ={})
    assert caught.value.variable == "CAMUNDA_WORKER_TIMEOUT"
    with pytest.raises(ConfigurationError, match="CAMUNDA_TENANT_IDS"):
        resolve_settings(tenant_ids=[1, 2], environ={})


def test_bad_value_in_envfile_names_the_file(tmp_path: Path) -> None:
    envfile = tmp_path / "bad.env"
    envfile.write_text("CAMUNDA_WORKER_TIMEOUT=soon\n")
    with pytest.raises(ConfigurationError, match=r"bad\.env"):
        resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": str(envfile)})


def test_values_are_parsed_case_insensitively_and_typed() -> None:
    settings = resolve_settings(
        environ={
            "CAMUNDA_AUTH_STRATEGY": "none",
            "CAMUNDA_SDK_LOG_LEVEL": "WARNING",
            "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "Yes",
            "CAMUNDA_TENANT_IDS": " t1 , ,t2,",
            "CAMUNDA_WORKER_FETCH_VARIABLES": "orderId,amount",
            "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS": "2.5",
            "CAMUNDA_WORKER_EXECUTION_STRATEGY": "Thread",
            "CAMUNDA_WORKER_AUTO_EXTEND_TIMEOUT": "on",
        }
    ).settings
    assert settings.auth_strategy == "NONE"
    assert settings.sdk_log_level == "warn"
    assert settings.token_disk_cache_disable is True
    assert settings.tenant_ids == ("t1", "t2")
    assert settings.worker_fetch_variables == ("orderId", "amount")
    assert settings.worker_startup_jitter_max_seconds == 2.5
    assert settings.worker_execution_strategy == "thread"
    assert settings.worker_auto_extend_timeout is True


def test_empty_environment_values_count_as_unset() -> None:
    resolved = resolve_settings(
        environ={"CAMUNDA_WORKER_TIMEOUT": "", "CAMUNDA_REST_ADDRESS": "  "}, worker_name=None
    )
    assert resolved.settings.worker_timeout is None
    assert resolved.sources["CAMUNDA_REST_ADDRESS"] is Source.DEFAULT


def test_auth_strategy_is_inferred_from_the_credentials() -> None:
    oauth = resolve_settings(environ={"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": "s"})
    assert oauth.settings.auth_strategy == "OAUTH"
    assert oauth.auth_strategy_inferred
    assert oauth.sources["CAMUNDA_AUTH_STRATEGY"] is Source.ENVIRONMENT
    basic = resolve_settings(environ={"CAMUNDA_BASIC_AUTH_USERNAME": "u"}, basic_auth_password="p")
    assert basic.settings.auth_strategy == "BASIC"
    assert basic.sources["CAMUNDA_AUTH_STRATEGY"] is Source.EXPLICIT
    explicit = resolve_settings(
        environ={"CAMUNDA_AUTH_STRATEGY": "NONE", "CAMUNDA_CLIENT_ID": "id"}
    )
    assert explicit.settings.auth_strategy == "NONE"
    assert not explicit.auth_strategy_inferred


def test_both_kinds_of_credentials_without_a_strategy_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_AUTH_STRATEGY=OAUTH or BASIC"):
        resolve_settings(
            environ={
                "CAMUNDA_CLIENT_ID": "id",
                "CAMUNDA_CLIENT_SECRET": "s",
                "CAMUNDA_BASIC_AUTH_USERNAME": "u",
                "CAMUNDA_BASIC_AUTH_PASSWORD": "p",
            }
        )


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({"CAMUNDA_AUTH_STRATEGY": "OAUTH"}, "CAMUNDA_CLIENT_ID"),
        ({"CAMUNDA_CLIENT_ID": "id"}, "CAMUNDA_CLIENT_SECRET"),
        ({"CAMUNDA_CLIENT_SECRET": "hush-hush-secret"}, "CAMUNDA_CLIENT_ID"),
        ({"CAMUNDA_AUTH_STRATEGY": "BASIC", "CAMUNDA_BASIC_AUTH_USERNAME": "u"}, "CAMUNDA_BASIC_AUTH_PASSWORD"),
        ({"CAMUNDA_MTLS_CERT_PATH": "/c.pem"}, "CAMUNDA_MTLS_KEY"),
        ({"CAMUNDA_MTLS_KEY": "k"}, "CAMUNDA_MTLS_CERT"),
        ({"CAMUNDA_MTLS_KEY_PASSPHRASE": "pw"}, "CAMUNDA_MTLS_KEY_PASSPHRASE"),
    ],
)  # fmt: skip
def test_missing_companion_settings_are_named(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(environ=environ)
    assert caught.value.variable == missing
    assert missing in str(caught.value)
    assert "hush-hush-secret" not in str(caught.value)


def test_unknown_camunda_variable_warns_with_the_closest_known_name(
    warnings_seen: list[str],
) -> None:
    resolved = resolve_settings(
        environ={
            "CAMUNDA_WORKER_TIMOUT": "5000",
            "CAMUNDA_CLIENT_SECERT": "x",
            "CAMUNDA_SDK_BACKPRESSURE_PROFILE": "LEGACY",
            "CAMUNDA_QWERTYUIOP_ASDF": "1",
            "OTHER_VARIABLE": "1",
        }
    )
    text = "\n".join(warnings_seen)
    assert "CAMUNDA_WORKER_TIMOUT" in text
    assert "did you mean CAMUNDA_WORKER_TIMEOUT?" in text
    assert "did you mean CAMUNDA_CLIENT_SECRET?" in text
    assert "CAMUNDA_QWERTYUIOP_ASDF" in text
    assert "BACKPRESSURE" not in text
    assert "OTHER_VARIABLE" not in text
    assert ("CAMUNDA_WORKER_TIMOUT", "CAMUNDA_WORKER_TIMEOUT") in resolved.unknown_keys
    # Once per process: resolving again does not repeat the warning.
    count = len(warnings_seen)
    resolve_settings(environ={"CAMUNDA_WORKER_TIMOUT": "5000"})
    assert len(warnings_seen) == count


def test_unknown_variable_in_the_envfile_warns_too(
    tmp_path: Path, warnings_seen: list[str]
) -> None:
    envfile = tmp_path / ".env"
    envfile.write_text("CAMUNDA_WORKER_MAX_CONCURENT_JOBS=4\n")
    resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": str(envfile)})
    assert any("did you mean CAMUNDA_WORKER_MAX_CONCURRENT_JOBS?" in w for w in warnings_seen)


def test_describe_lists_every_setting_with_secrets_masked() -> None:
    resolved = resolve_settings(
        environ={
            "CAMUNDA_CLIENT_ID": "my-client",
            "CAMUNDA_CLIENT_SECRET": "a-very-long-client-secret",
            "CAMUNDA_MTLS_CA": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        },
        worker_timeout=30_000,
    )
    rows = {name: (shown, source) for name, shown, source in resolved.describe()}
    assert list(rows) == [spec.env for spec in SPECS]
    assert rows["CAMUNDA_CLIENT_SECRET"] == ("a-***", Source.ENVIRONMENT)
    assert rows["CAMUNDA_CLIENT_ID"] == ("my-client", Source.ENVIRONMENT)
    assert rows["CAMUNDA_AUTH_STRATEGY"][0] == "OAUTH (inferred from the credentials)"
    assert rows["CAMUNDA_WORKER_TIMEOUT"] == ("30000", Source.EXPLICIT)
    assert rows["CAMUNDA_WORKER_MAX_CONCURRENT_JOBS"] == ("<unset: 10>", Source.DEFAULT)
    assert rows["CAMUNDA_MTLS_CA"][0].startswith("<PEM, ")
    assert "a-very-long-client-secret" not in repr(resolved.describe())


def test_settings_are_frozen_picklable_and_hide_secrets() -> None:
    settings = resolve_settings(
        environ={"CAMUNDA_BASIC_AUTH_USERNAME": "u", "CAMUNDA_BASIC_AUTH_PASSWORD": "pa55word!"},
        tenant_ids=["a"],
    ).settings
    assert pickle.loads(pickle.dumps(settings)) == settings
    with pytest.raises(pydantic.ValidationError):
        settings.worker_name = "x"  # type: ignore[misc]
    assert "pa55word!" not in repr(settings)
    assert "pa55word!" not in str(settings)


def test_direct_construction_normalises_and_validates() -> None:
    settings = CamundaSettings(rest_address="http://127.0.0.1:9999", client_secret=SecretStr("x"))
    assert settings.rest_address == "http://127.0.0.1:9999/v2"
    with pytest.raises(pydantic.ValidationError):
        CamundaSettings(worker_timeout=0)


def test_resolved_settings_default_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMUNDA_WORKER_NAME", "from-os-environ")
    resolved = resolve_settings()
    assert isinstance(resolved, ResolvedSettings)
    assert resolved.settings.worker_name == "from-os-environ"


def test_every_setting_is_documented() -> None:
    docs = Path(__file__).parents[1] / "docs" / "configuration.md"
    text = docs.read_text(encoding="utf-8")
    missing = [name for name in SPECS_BY_ENV if f"`{name}`" not in text]
    assert missing == []
