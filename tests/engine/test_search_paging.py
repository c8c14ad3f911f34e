"""Job search (and the other searches) with ``sort`` and every paging style of the spec.

A cluster sorts by the ``sort`` criteria (``ASC``/``DESC``, first criterion first) and pages by
offset (``from``), forward (``after``) or backward (``before``); the engine used to refuse
``sort`` and ``from`` with 400.
"""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp, InProcessTransport, ManualClock

from .conftest import BASE_URL


def _jobs(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    response = client.post("/jobs/search", json=body)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _with_jobs(engine: Engine) -> list[str]:
    return [engine.create_job(kind, retries=retries) for kind, retries in _JOBS]


_JOBS = [("b", 3), ("a", 1), ("c", 2), ("a", 5)]


def test_job_search_sorts_by_a_field_either_way(client: httpx.Client, engine: Engine) -> None:
    keys = _with_jobs(engine)

    ascending = _jobs(client, sort=[{"field": "retries"}])
    descending = _jobs(client, sort=[{"field": "retries", "order": "DESC"}])

    assert [item["retries"] for item in ascending] == [1, 2, 3, 5]
    assert [item["retries"] for item in descending] == [5, 3, 2, 1]
    assert {item["jobKey"] for item in ascending} == set(keys)


def test_the_first_criterion_wins_and_ties_keep_the_key_order(
    client: httpx.Client, engine: Engine
) -> None:
    keys = _with_jobs(engine)

    by_type = _jobs(client, sort=[{"field": "type", "order": "ASC"}])
    by_type_then_retries = _jobs(
        client, sort=[{"field": "type"}, {"field": "retries", "order": "DESC"}]
    )

    assert [item["jobKey"] for item in by_type] == [keys[1], keys[3], keys[0], keys[2]]
    assert [item["jobKey"] for item in by_type_then_retries] == [
        keys[3],
        keys[1],
        keys[0],
        keys[2],
    ]


def test_job_search_pages_by_offset(client: httpx.Client, engine: Engine) -> None:
    keys = _with_jobs(engine)

    page = client.post("/jobs/search", json={"page": {"from": 1, "limit": 2}}).json()

    assert [item["jobKey"] for item in page["items"]] == keys[1:3]
    assert page["page"]["totalItems"] == 4


def test_job_search_pages_backward_from_a_cursor(client: httpx.Client, engine: Engine) -> None:
    keys = _with_jobs(engine)
    last = client.post("/jobs/search", json={"page": {"from": 2, "limit": 2}}).json()

    back = client.post(
        "/jobs/search", json={"page": {"before": last["page"]["startCursor"], "limit": 2}}
    ).json()

    assert [item["jobKey"] for item in back["items"]] == keys[:2]


def test_cursors_follow_the_sort(client: httpx.Client, engine: Engine) -> None:
    _with_jobs(engine)
    sort = [{"field": "retries", "order": "DESC"}]
    first = client.post("/jobs/search", json={"sort": sort, "page": {"limit": 2}}).json()

    rest = client.post(
        "/jobs/search",
        json={"sort": sort, "page": {"limit": 2, "after": first["page"]["endCursor"]}},
    ).json()

    assert [item["retries"] for item in first["items"] + rest["items"]] == [5, 3, 2, 1]


def test_two_paging_styles_at_once_are_refused(client: httpx.Client) -> None:
    response = client.post("/jobs/search", json={"page": {"from": 1, "after": "MTI="}})

    assert response.status_code == 400
    assert response.json()["title"] == "INVALID_ARGUMENT"


def test_process_instance_and_incident_searches_sort_and_page_too(client: httpx.Client) -> None:
    for path in ("/process-instances/search", "/incidents/search"):
        body = {"sort": [{"field": "processInstanceKey", "order": "DESC"}], "page": {"from": 0}}
        assert client.post(path, json=body).status_code == 200, path


@settings(max_examples=30)
@given(
    retries=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=8),
    descending=st.booleans(),
    limit=st.integers(min_value=1, max_value=4),
)
def test_pages_by_offset_and_by_cursor_see_the_same_sorted_items(
    retries: list[int], descending: bool, limit: int
) -> None:
    engine = Engine(server_line="8.9", clock=ManualClock())
    for count in retries:
        engine.create_job("work", retries=count)
    sort = [{"field": "retries", "order": "DESC" if descending else "ASC"}]
    with httpx.Client(transport=InProcessTransport(EngineApp(engine)), base_url=BASE_URL) as c:
        by_offset: list[dict[str, Any]] = []
        for start in range(0, len(retries), limit):
            body = {"sort": sort, "page": {"from": start, "limit": limit}}
            by_offset += c.post("/jobs/search", json=body).json()["items"]
        by_cursor: list[dict[str, Any]] = []
        page: dict[str, Any] = {"limit": limit}
        while True:
            answer = c.post("/jobs/search", json={"sort": sort, "page": page}).json()
            if not answer["items"]:
                break
            by_cursor += answer["items"]
            page = {"limit": limit, "after": answer["page"]["endCursor"]}
    assert [item["retries"] for item in by_offset] == sorted(retries, reverse=descending)
    assert by_cursor == by_offset
