"""``log_to_stdlib()``: one call routes loguru's records, with their context, into ``logging``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

import camunda_worker
from camunda_worker._base.logs import bind_job_logger
from camunda_worker._base.logs import logger as library_logger


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected() -> Iterator[list[logging.LogRecord]]:
    handler = Collect()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    had_default = True
    try:
        logger.remove(0)
    except ValueError:
        had_default = False
    sink_id = camunda_worker.log_to_stdlib()
    try:
        yield handler.records
    finally:
        logger.remove(sink_id)
        logger.disable("camunda_worker")
        root.removeHandler(handler)
        root.setLevel(previous_level)
        if had_default:
            logger.add(sys.stderr)


def test_a_handler_record_arrives_with_the_job_context_as_attributes(
    collected: list[logging.LogRecord],
) -> None:
    job_log = bind_job_logger(
        library_logger, job_type="charge", job_key="42", process_instance_key="7", worker="w-1"
    )
    job_log.info("charged {} EUR", 12)
    [record] = [r for r in collected if r.getMessage() == "charged 12 EUR"]
    assert record.levelno == logging.INFO
    assert record.name == __name__
    assert (record.job_type, record.job_key) == ("charge", "42")  # type: ignore[attr-defined]
    assert record.process_instance_key == "7"  # type: ignore[attr-defined]
    assert record.worker == "w-1"  # type: ignore[attr-defined]
    assert record.funcName == "test_a_handler_record_arrives_with_the_job_context_as_attributes"
    assert Path(record.pathname).name == "test_log_to_stdlib.py"


def test_an_exception_arrives_as_exc_info_and_reserved_names_are_prefixed(
    collected: list[logging.LogRecord],
) -> None:
    try:
        raise RuntimeError("card declined")
    except RuntimeError:
        logger.bind(name="clash", job_key="9").exception("charge failed")
    [record] = [r for r in collected if r.getMessage() == "charge failed"]
    assert record.levelname == "ERROR"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert "RuntimeError: card declined" in logging.Formatter().format(record)
    assert record.ctx_name == "clash"  # type: ignore[attr-defined]
    assert record.job_key == "9"  # type: ignore[attr-defined]


def test_the_library_records_are_enabled_and_follow_stdlib_levels(
    collected: list[logging.LogRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    camunda_worker.resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": "true"})
    warnings = [r for r in collected if r.name.startswith("camunda_worker.")]
    assert any(".env does not exist" in r.getMessage() for r in warnings)
    assert all(r.levelno == logging.WARNING for r in warnings)
    collected.clear()
    logging.getLogger("camunda_worker").setLevel(logging.ERROR)
    try:
        camunda_worker.resolve_settings(environ={"CAMUNDA_LOAD_ENVFILE": "true"})
    finally:
        logging.getLogger("camunda_worker").setLevel(logging.NOTSET)
    assert not [r for r in collected if r.name.startswith("camunda_worker.")]
