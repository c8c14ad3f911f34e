"""Shortcuts on each request's path give exactly what the general code gives."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from camunda_worker._api import endpoints as ep
from camunda_worker._transport.lane import _dumps


def _general(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@given(
    st.one_of(
        st.text(),
        st.integers(min_value=0),
        st.from_regex(r"[0-9]{1,20}", fullmatch=True),
        st.text(alphabet="0123456789\u0663\u00b2\u07c0/%?# ", min_size=1),
    )
)
def test_a_job_key_in_a_path_is_quoted_as_quote_does(key: str | int) -> None:
    call = ep.complete_job(str(key))
    assert call.path == f"/jobs/{quote(str(key), safe='')}/completion"


@given(
    st.one_of(
        st.just({}),
        st.dictionaries(st.text(), st.one_of(st.none(), st.integers(), st.text(), st.booleans())),
        st.lists(st.integers(), max_size=3),
    )
)
def test_a_request_body_is_encoded_as_httpx_would(document: Any) -> None:
    assert _dumps(document) == _general(document)
