from __future__ import annotations

import pickle

import pytest

from camunda_worker import (
    BackpressureError,
    BadRequestError,
    CamundaError,
    ConflictError,
    NotFoundError,
    ProblemError,
    ServerError,
    UnauthorizedError,
)
from camunda_worker._base.errors import problem_from_response


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"title": "INVALID_ARGUMENT", "detail": "No type"}, BadRequestError),
        (401, None, UnauthorizedError),
        (404, {"title": "NOT_FOUND"}, NotFoundError),
        (409, {"title": "INVALID_STATE"}, ConflictError),
        (503, {"title": "RESOURCE_EXHAUSTED"}, BackpressureError),
        (429, b"", BackpressureError),
        (500, {"title": "INTERNAL", "detail": "RESOURCE_EXHAUSTED: queue full"}, BackpressureError),
        (500, {"title": "INTERNAL", "detail": "boom"}, ServerError),
        (502, {"title": "ABORTED"}, ServerError),
        (418, {"title": "TEAPOT"}, ProblemError),
    ],
)
def test_problem_maps_status_and_title_to_a_class(status: int, body: object, cls: type) -> None:
    error = problem_from_response(status, body)  # type: ignore[arg-type]
    assert type(error) is cls
    assert isinstance(error, CamundaError)
    assert error.status == status


def test_problem_fields_and_message() -> None:
    body = b'{"type":"about:blank","title":"INVALID_STATE","status":409,"detail":"Job is failed","instance":"/v2/jobs/1/completion"}'
    error = problem_from_response(409, body)
    assert (error.title, error.detail, error.instance) == (
        "INVALID_STATE",
        "Job is failed",
        "/v2/jobs/1/completion",
    )
    assert str(error) == "409 INVALID_STATE: Job is failed"
    assert not error.retryable


def test_non_json_body_keeps_text_as_detail() -> None:
    error = problem_from_response(502, b"<html>bad gateway</html>")
    assert isinstance(error, ServerError)
    assert error.retryable
    assert error.detail == "<html>bad gateway</html>"


def test_problem_errors_survive_pickling() -> None:
    error = problem_from_response(409, {"title": "INVALID_STATE", "detail": "x", "instance": "/i"})
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is ConflictError
    assert (clone.status, clone.title, clone.detail, clone.instance) == (
        409,
        "INVALID_STATE",
        "x",
        "/i",
    )
