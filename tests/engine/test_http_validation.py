"""Request validation answers 400 the way the gateway does; routing answers 404 and 405."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import activation


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert set(document) == {"type", "title", "status", "detail", "instance"}
    assert document["status"] == status
    return document


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"type": ""}, "No type provided."),
        ({"type": "   "}, "No type provided."),
        ({"timeout": 0}, "The value for timeout is '0' but must be greater than 0."),
        (
            {"maxJobsToActivate": 0},
            "The value for maxJobsToActivate is '0' but must be greater than 0.",
        ),
        ({"maxJobsToActivate": None}, "No maxJobsToActivate provided."),
    ],
)
def test_activation_rules_answer_invalid_argument(
    client: httpx.Client, fields: dict[str, Any], detail: str
) -> None:
    response = client.post("/jobs/activation", json=activation(**fields))

    document = problem(response, 400)
    assert document["title"] == "INVALID_ARGUMENT"
    assert document["detail"] == detail
    assert document["instance"] == "/v2/jobs/activation"


def test_every_violation_is_listed_in_one_answer(client: httpx.Client) -> None:
    response = client.post("/jobs/activation", json={"worker": "w"})

    assert problem(response, 400)["detail"] == (
        "No type provided. No timeout provided. No maxJobsToActivate provided."
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "Failed to read request"),
        (b"[]", "Failed to read request"),
        (b"", "Required request body is missing"),
        (b'{"type": 5, "timeout": 1, "maxJobsToActivate": 1}', "Request property [type]"),
        (b'{"type": "a", "timeout": "1", "maxJobsToActivate": 1}', "Request property [timeout]"),
        (
            b'{"type": "a", "timeout": 1, "maxJobsToActivate": true}',
            "Request property [maxJobsToActivate]",
        ),
        (
            b'{"type": "a", "timeout": 1, "maxJobsToActivate": 99999999999}',
            "Request property [maxJobsToActivate]",
        ),
        (
            b'{"type": "a", "timeout": 1, "maxJobsToActivate": 1, "surprise": 1}',
            "Request property [surprise]",
        ),
        (
            b'{"type": "a", "timeout": 1, "maxJobsToActivate": 1, "fetchVariable": ["a", 1]}',
            "Request property [fetchVariable[1]]",
        ),
    ],
)
def test_unreadable_bodies_answer_bad_request(
    client: httpx.Client, body: bytes, detail: str
) -> None:
    response = client.post(
        "/jobs/activation", content=body, headers={"content-type": "application/json"}
    )

    document = problem(response, 400)
    assert document["title"] == "Bad Request"
    assert document["detail"].startswith(detail)


def test_a_non_numeric_job_key_answers_400(client: httpx.Client) -> None:
    response = client.post("/jobs/not-a-key/completion", json={})

    document = problem(response, 400)
    assert document["title"] == "INVALID_ARGUMENT"
    assert "jobKey 'not-a-key' is not a valid key" in document["detail"]


def test_a_bpmn_error_needs_an_error_code(client: httpx.Client) -> None:
    response = client.post("/jobs/2251799813685249/error", json={"errorCode": " "})

    assert problem(response, 400)["detail"] == "No errorCode provided."


def test_an_update_needs_a_change(client: httpx.Client) -> None:
    response = client.patch("/jobs/2251799813685249", json={"changeset": {}})

    assert problem(response, 400)["detail"] == "At least one of [retries, timeout] is required."


def test_failure_with_a_wrong_type_answers_bad_request(client: httpx.Client) -> None:
    response = client.post("/jobs/2251799813685249/failure", json={"retries": "3"})

    assert problem(response, 400)["detail"] == "Request property [retries] cannot be parsed"


def test_process_instance_creation_needs_an_id_or_a_key_but_not_both(
    client: httpx.Client,
) -> None:
    neither = client.post("/process-instances", json={"variables": {}})
    both = client.post(
        "/process-instances", json={"processDefinitionId": "order", "processDefinitionKey": "1"}
    )

    assert (
        "At least one of [processDefinitionId, processDefinitionKey]"
        in (problem(neither, 400)["detail"])
    )
    assert "Only one of" in problem(both, 400)["detail"]


def test_a_search_refuses_an_unknown_sort_field_and_two_paging_styles(
    client: httpx.Client,
) -> None:
    unknown = client.post("/jobs/search", json={"sort": [{"field": "nope"}]})
    order = client.post("/jobs/search", json={"sort": [{"field": "jobKey", "order": "asc"}]})
    both = client.post("/jobs/search", json={"page": {"from": 1, "after": "MQ=="}})

    # Refused where the gateway refuses them: reading the body into the spec's enums.
    assert problem(unknown, 400)["detail"].startswith(
        "Unexpected value 'nope' for enum field 'field'. Use any of the following values: ["
    )
    assert problem(order, 400)["detail"] == (
        "Unexpected value 'asc' for enum field 'order'. Use any of the following values: [ASC, DESC]"
    )
    assert "Only one of [from, after]" in problem(both, 400)["detail"]


def test_an_unknown_route_answers_404(client: httpx.Client) -> None:
    response = client.get("/no-such-thing")

    document = problem(response, 404)
    assert document["instance"] == "/v2/no-such-thing"


def test_a_wrong_method_answers_405_with_allow(client: httpx.Client) -> None:
    response = client.get("/jobs/activation")

    problem(response, 405)
    assert response.headers["allow"] == "POST"


def test_a_publication_needs_a_name(client: httpx.Client) -> None:
    response = client.post("/messages/publication", json={"correlationKey": "c"})

    assert problem(response, 400)["detail"] == "No name provided."


def test_a_body_that_is_not_json_answers_415(client: httpx.Client) -> None:
    form = client.post("/jobs/activation", data={"type": "charge"})
    untyped = client.post(
        "/jobs/2251799813685249/completion", content=b"{}", headers={"content-type": ""}
    )

    assert problem(form, 415)["title"] == "Unsupported Media Type"
    assert problem(untyped, 415)["title"] == "Unsupported Media Type"


def test_a_problems_instance_is_the_request_path_as_sent(client: httpx.Client) -> None:
    # Found by schemathesis: the spec's `instance` is a uri-reference, so it keeps the
    # percent-encoding of the request (as Spring's request URI does), never decoded text.
    response = client.get("/process-instances/%C3%97%C3%B8")

    document = problem(response, 400)
    assert document["instance"] == "/v2/process-instances/%C3%97%C3%B8"
