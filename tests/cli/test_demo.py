"""``camunda-worker demo``: the README's first command, end to end, and its parts."""

from __future__ import annotations

import io
import re

from camunda_worker.demo._orders import make_orders, outcome_counts
from camunda_worker.demo._progress import Progress, Snapshot
from camunda_worker.demo._rules import expected_outcome
from camunda_worker.demo._summary import Verdict, render_summary, render_table

from .conftest import clean_environment, run_cli


def test_the_demo_runs_every_order_to_its_end_and_exits_0() -> None:
    # The user's Camunda settings must not leak into the demo: it talks to its own engine.
    env = clean_environment(
        CAMUNDA_REST_ADDRESS="http://127.0.0.1:9/v2", CAMUNDA_WORKER_TIMEOUT="1"
    )
    result = run_cli("demo", "--instances", "16", "--seed", "5", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "result: OK, every order reached the end it had to" in out
    for job_type, strategy in (
        ("demo-check-stock", "async"),
        ("demo-charge-payment", "thread"),
        ("demo-create-invoice", "process"),
        ("demo-notify-customer", "async"),
    ):
        assert re.search(rf"^{job_type}\s+{strategy}\s+\d+", out, re.MULTILINE), out
    expected = outcome_counts(make_orders(16, 5))
    assert f"{expected.get('shipped', 0)} shipped" in out
    assert f"{expected.get('payment-declined', 0)} payment declined" in out
    assert "incidents: 0" in out
    assert "\r" not in out  # not a terminal: plain progress lines


def test_the_orders_cover_every_path_and_are_reproducible() -> None:
    orders = make_orders(300, 8)
    assert orders == make_orders(300, 8)
    assert orders != make_orders(300, 9)
    counts = outcome_counts(orders)
    assert set(counts) == {"shipped", "back-ordered", "payment-declined"}
    assert expected_outcome({"items": [{"sku": "SKU-07"}], "card": "x 0000"}) == "back-ordered"


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(10, stream, tty=True)
    progress.update(Snapshot(started=10, ended=5, jobs=12, incidents=0, elapsed=2.0))
    progress.finish(Snapshot(started=10, ended=10, jobs=25, incidents=0, elapsed=3.0))
    text = stream.getvalue()
    assert text.startswith("\r[")
    assert text.count("\n") == 1
    assert "instances 10/10 ended" in text
    assert "jobs 25 (8/s)" in text


def test_a_failed_run_lists_the_orders_that_went_astray() -> None:
    verdict = Verdict(
        instances=3,
        outcomes={"shipped": 1},
        wrong=[("101", "is ACTIVE at ChargePayment"), ("102", "ended 'shipped', expected 'x'")],
        incidents=1,
        elapsed=1.0,
    )
    text = render_summary([], verdict)
    assert not verdict.ok
    assert "result: FAILED, 2 order(s) did not end as expected" in text
    assert "process instance 101: is ACTIVE at ChargePayment" in text


def test_tables_align_numbers_right() -> None:
    table = render_table(("name", "n"), [("a", 1), ("long name", 100)])
    assert table.splitlines() == [
        "name         n",
        "---------  ---",
        "a            1",
        "long name  100",
    ]
