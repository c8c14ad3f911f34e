"""The engine's JSON answers: written fast (pydantic-core), byte for byte as ``json`` writes them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp
from camunda_worker.engine._http import answers
from camunda_worker.engine._http.answers import encode_json

from .conftest import activation

# Every character, lone surrogates included (json writes them, UTF-8 then refuses them).
TEXT = st.text(st.characters(codec=None, categories=None), max_size=20) | st.sampled_from(
    ["e-5", "0.00001", "Infinity", "NaN", "1e-07", "é", "\u2028", "\x00\x1f\x7f"]
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e-5, 9.9e-5, 1e-7, 1.5e-9, 1e-10, 1e16, 5e-324, -0.0, 42.0]
)
SCALARS = st.none() | st.booleans() | st.integers() | FLOATS | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
# What the engine takes as variables and custom headers: JSON (finite numbers, valid Unicode).
VALID_TEXT = st.text(max_size=20) | st.sampled_from(["e-5", "0.00001", "NaN", "é", "\u2028"])
VALID_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [1e-5, 9.9e-5, 1e-7, 1.5e-9, 1e16, -0.0]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | VALID_FLOATS | VALID_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(VALID_TEXT, inner, max_size=4),
    max_leaves=12,
)


def reference(document: Any) -> bytes:
    """What the engine wrote before: the standard library's compact JSON, as UTF-8."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def outcome(encode: Any, document: Any) -> bytes | type[BaseException]:
    try:
        return encode(document)  # type: ignore[no-any-return]
    except (ValueError, UnicodeEncodeError) as error:
        return type(error)


def test_the_fast_encoder_is_in_use() -> None:
    # Without it, the property tests below would compare json with json.
    assert answers.FAST_ENCODER


@settings(max_examples=300)
@given(VALUES)
def test_any_json_value_is_written_as_json_writes_it(document: Any) -> None:
    assert outcome(encode_json, document) == outcome(reference, document)


@settings(max_examples=300)
@given(FLOATS)
def test_every_float_is_written_as_python_writes_it(number: float) -> None:
    assert outcome(encode_json, {"amount": number}) == outcome(reference, {"amount": number})


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.dictionaries(VALID_TEXT, JSON_VALUES, max_size=4),
            st.dictionaries(VALID_TEXT, VALID_TEXT, max_size=3),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["8.8", "8.9", "8.10"]),
)
def test_an_activation_answer_is_byte_for_byte_the_same(
    jobs: list[tuple[dict[str, Any], dict[str, str]]], line: Any
) -> None:
    engine = Engine(server_line=line)
    for variables, headers in jobs:
        engine.create_job("encoded", variables=variables, custom_headers=headers)
    activated = engine.activate_ready_jobs(
        job_type="encoded", max_jobs_to_activate=len(jobs), timeout_ms=60_000, worker="w"
    )
    document = {"jobs": activated}
    assert outcome(encode_json, document) == outcome(reference, document)


def test_a_circular_document_is_refused_as_json_refuses_it() -> None:
    document: dict[str, Any] = {}
    document["self"] = document
    with pytest.raises(ValueError, match="Circular reference"):
        encode_json(document)


@pytest.mark.asyncio
async def test_the_activation_answer_on_the_wire_is_the_reference_encoding() -> None:
    engine = Engine(server_line="8.10")
    engine.create_job("wire", variables={"amount": 42.5, "tiny": 1e-7, "name": "Zoë"})
    engine.create_job("wire", variables={"orderId": 2**70}, custom_headers={"k": "v"})
    transport = httpx.ASGITransport(app=EngineApp(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://engine/v2") as client:
        answer = await client.post("/jobs/activation", json=activation("wire"))
    assert answer.status_code == 200
    assert answer.content == reference(answer.json())
    assert len(answer.json()["jobs"]) == 2
