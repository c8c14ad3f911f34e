"""Sorting and paging of searches, for any records: every page style walks one order.

Cursors cross the wire (a client sends back what the engine answered), so they are checked
with generated data: walking forward with ``after`` or back with ``before`` visits every match
once, in the sort order, whatever the sort fields, their order and missing values.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine._runtime.search import Query, Row, run_query

values = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", "b", "c"]))
documents = st.lists(
    st.fixed_dictionaries({"x": values, "y": st.one_of(st.none(), st.integers(0, 2))}),
    max_size=25,
)
sorts = st.lists(
    st.tuples(st.sampled_from(["x", "y"]), st.booleans()), max_size=2, unique_by=lambda s: s[0]
)


def rows_of(found: list[dict[str, Any]]) -> list[Row]:
    return [(index + 1, {**document, "key": index + 1}, {}) for index, document in enumerate(found)]


def keys(answer: dict[str, Any]) -> list[int]:
    return [item["key"] for item in answer["items"]]


@given(documents, sorts, st.integers(1, 6))
def test_forward_backward_and_offset_pages_walk_the_same_order(
    found: list[dict[str, Any]], sort: list[tuple[str, bool]], limit: int
) -> None:
    rows = rows_of(found)
    everything = keys(run_query("8.9", rows, Query(sort=tuple(sort), limit=10_000)))

    forward: list[int] = []
    query = Query(sort=tuple(sort), limit=limit)
    while True:
        answer = run_query("8.9", rows, query)
        if not answer["items"]:
            break
        forward.extend(keys(answer))
        query = Query(sort=tuple(sort), limit=limit, after=answer["page"]["endCursor"])

    backward: list[int] = []
    cursor = None
    last = run_query("8.9", rows, Query(sort=tuple(sort), limit=1, offset=max(len(rows) - 1, 0)))
    if last["items"]:
        backward = keys(last)
        cursor = last["page"]["startCursor"]
    while cursor is not None:
        answer = run_query("8.9", rows, Query(sort=tuple(sort), limit=limit, before=cursor))
        if not answer["items"]:
            break
        backward = keys(answer) + backward
        cursor = answer["page"]["startCursor"]

    offsets = [
        key
        for start in range(0, len(rows), limit)
        for key in keys(run_query("8.9", rows, Query(sort=tuple(sort), limit=limit, offset=start)))
    ]

    assert sorted(everything) == [row[0] for row in rows]
    assert forward == everything
    assert backward == everything
    assert offsets == everything


@given(documents, st.booleans())
def test_the_sort_order_is_the_requested_one_with_missing_values_last(
    found: list[dict[str, Any]], descending: bool
) -> None:
    query = Query(sort=(("y", descending),), limit=10_000)

    items = run_query("8.9", rows_of(found), query)["items"]

    present = [item["y"] for item in items if item["y"] is not None]
    assert present == sorted(present, reverse=descending)
    assert [item["y"] for item in items[len(present) :]] == [None] * (len(items) - len(present))
    for before, after in itertools.pairwise(items):
        if before["y"] == after["y"]:
            assert before["key"] < after["key"]  # ties by key


# Any search body over HTTP: answered 200 or 400 as problem details, never 500.

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "filter": st.dictionaries(
            st.sampled_from(["state", "name", "$or", "variables", "processInstanceKey", "x"]),
            json_values,
            max_size=3,
        ),
        "sort": st.lists(
            st.fixed_dictionaries(
                {"field": st.sampled_from(["name", "state", "nope", "creationDate"])},
                optional={"order": st.sampled_from(["ASC", "DESC", "asc", "UP"])},
            ),
            max_size=2,
        ),
        "page": st.fixed_dictionaries(
            {},
            optional={
                "limit": st.integers(-1, 20_000),
                "from": st.integers(-1, 5),
                "after": st.sampled_from(["MQ==", "nope", "W1tudWxsLGZhbHNlXV0="]),
                "before": st.sampled_from(["MQ==", "!!"]),
            },
        ),
    },
)
PATHS = [
    "/jobs/search",
    "/process-instances/search",
    "/incidents/search",
    "/element-instances/search",
    "/variables/search",
    "/user-tasks/search",
    "/process-definitions/search",
    "/message-subscriptions/search",
]


@given(st.sampled_from(PATHS), bodies)
def test_any_search_body_is_answered_or_refused_never_failed(path: str, body: Any) -> None:
    import httpx

    from camunda_worker.engine import Engine, EngineApp, InProcessTransport

    app = EngineApp(Engine(server_line="8.9"))
    app.engine.create_job("j")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://e/v2") as client:
        response = client.post(path, json=body)
    app.close()

    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["title"] in ("INVALID_ARGUMENT", "Bad Request")
    else:
        assert set(response.json()) == {"items", "page"}
