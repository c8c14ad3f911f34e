"""The opt-in ``.env`` file: read with python-dotenv's semantics (as the official SDK reads it)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given
from hypothesis import strategies as st
from loguru import logger

from camunda_worker._config.envfile import parse_envfile
from camunda_worker._config.settings import Source, resolve_settings

PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUQ2FtdW5kYVdvcmtlclRlc3QwCgYIKoZIzj0EAwIwEjEQ\n"
    "MA4GA1UEAwwHdGVzdC1jYTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBa\n"
    "-----END CERTIFICATE-----"
)


@pytest.fixture
def warnings_seen() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m)), level="WARNING", format="{message}")
    logger.enable("camunda_worker")
    try:
        yield seen
    finally:
        logger.disable("camunda_worker")
        logger.remove(sink)


def test_a_multi_line_quoted_pem_is_read_whole(tmp_path: Path) -> None:
    envfile = tmp_path / ".env"
    envfile.write_text(f'CAMUNDA_MTLS_CA="{PEM}"\nCAMUNDA_WORKER_NAME=after-the-pem\n')
    resolved = resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": str(envfile)})
    assert resolved.settings.mtls_ca == PEM
    assert resolved.settings.worker_name == "after-the-pem"
    assert resolved.sources["CAMUNDA_MTLS_CA"] is Source.ENVFILE


def test_variables_are_expanded_from_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_CLUSTER_HOST", "zeebe.internal")
    text = (
        "CW_PORT=8080\n"
        "CAMUNDA_REST_ADDRESS=http://${CW_TEST_CLUSTER_HOST}:${CW_PORT}/v2\n"
        "CAMUNDA_WORKER_NAME=${CW_UNSET_VARIABLE:-fallback}-worker\n"
        "CAMUNDA_TENANT_ID=$CW_PORT\n"  # no braces: not expanded (python-dotenv's rule)
    )
    values = parse_envfile(text)
    assert values["CAMUNDA_REST_ADDRESS"] == "http://zeebe.internal:8080/v2"
    assert values["CAMUNDA_WORKER_NAME"] == "fallback-worker"
    assert values["CAMUNDA_TENANT_ID"] == "$CW_PORT"
    assert values == dotenv_values(stream=io.StringIO(text))


def test_export_prefix_quotes_comments_and_escapes() -> None:
    text = (
        "# a comment line\n"
        "export A=exported\n"
        "B = spaced out \n"
        "C='single # not a comment'\n"
        'D="double # not a comment" # a comment\n'
        "E=plain # a comment\n"
        'F="tab\\there\\nnew line"\n'
        "G=\n"
        "H='multi\nline single'\n"
    )
    values = parse_envfile(text)
    assert values == {
        "A": "exported",
        "B": "spaced out",
        "C": "single # not a comment",
        "D": "double # not a comment",
        "E": "plain",
        "F": "tab\there\nnew line",
        "G": "",
        "H": "multi\nline single",
    }


def test_a_malformed_line_is_skipped_with_a_warning_that_hides_it(
    warnings_seen: list[str],
) -> None:
    values = parse_envfile("A=1\nthis line is junk s3cr3t-value\nB=2\n", "my.env")
    assert values == {"A": "1", "B": "2"}
    assert any("my.env" in seen and "line 2" in seen for seen in warnings_seen)
    assert not any("s3cr3t" in seen for seen in warnings_seen)


def test_the_real_environment_wins_over_the_file(tmp_path: Path) -> None:
    envfile = tmp_path / ".env"
    envfile.write_text("CAMUNDA_WORKER_NAME=from-file\n")
    resolved = resolve_settings(
        environ={"CAMUNDA_LOAD_ENVFILE": str(envfile), "CAMUNDA_WORKER_NAME": "from-env"}
    )
    assert resolved.settings.worker_name == "from-env"
    assert resolved.sources["CAMUNDA_WORKER_NAME"] is Source.ENVIRONMENT


_KEYS = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)
_VALUES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="$")
    | st.sampled_from(["\n", "\t", " ", "#", "'", '"', "\\", "="]),
    max_size=40,
)


def _double_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_double_quoted_values_round_trip_as_in_python_dotenv(values: dict[str, str]) -> None:
    text = "".join(f"{key}={_double_quoted(value)}\n" for key, value in values.items())
    parsed = parse_envfile(text)
    assert parsed == values
    assert parsed == dotenv_values(stream=io.StringIO(text))
