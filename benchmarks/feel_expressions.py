"""Parse and evaluation cost of the engine's FEEL, against plain Python doing the same work.

Run: ``python -m benchmarks.feel_expressions [--rounds 5]``.

For a handful of expressions that models write (gateway conditions, a filter, a built-in call, a
loop, temporal arithmetic) it measures, in one process and one run:

* **parse**: compiling the text (the cache cleared, so every round parses anew), µs per text;
* **evaluate**: one evaluation of the parsed expression against a small set of variables, µs;
* **python**: a hand-written Python function computing the same result from the same JSON
  variables (no FEEL semantics: no null checks, no decimals, no warnings), µs; the ratio
  ``evaluate / python`` is the price of FEEL's semantics.

Parsing happens once per deployment and evaluation once per token passing a gateway, so these
figures are per element of a process. Results are printed as a table (best round of each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from camunda_worker.engine._model.feel import parse

VARIABLES: dict[str, Any] = {
    "amount": 150,
    "status": "ok",
    "customer": {"tier": "gold", "name": "ACME VIP"},
    "items": [{"price": 5, "name": "a"}, {"price": 20, "name": "b"}, {"price": 12, "name": "c"}],
    "tags": ["new", "urgent"],
    "due": "2026-12-24",
}

CASES: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("amount > 100", lambda v: v["amount"] > 100),
    (
        'amount > 100 and status = "ok"',
        lambda v: v["amount"] > 100 and v["status"] == "ok",
    ),
    ('customer.tier = "gold"', lambda v: v["customer"]["tier"] == "gold"),
    ('contains(customer.name, "VIP")', lambda v: "VIP" in v["customer"]["name"]),
    ('list contains(tags, "urgent")', lambda v: "urgent" in v["tags"]),
    (
        "count(items[price > 10]) >= 2",
        lambda v: len([item for item in v["items"] if item["price"] > 10]) >= 2,
    ),
    (
        "sum(for i in items return i.price) > 30",
        lambda v: sum(item["price"] for item in v["items"]) > 30,
    ),
    (
        'date(due) - date("2026-12-01") > duration("P7D")',
        lambda v: dt.date.fromisoformat(v["due"]) - dt.date(2026, 12, 1) > dt.timedelta(days=7),
    ),
]


def _best(function: Callable[[], Any], repeat: int, rounds: int) -> float:
    """Best time of one call, in µs, over ``rounds`` rounds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2000)
    arguments = parser.parse_args()
    rows = []
    for text, python in CASES:
        expression = parse(text)
        if expression.evaluate(VARIABLES) != python(VARIABLES):
            raise SystemExit(f"{text!r}: FEEL and Python disagree")

        def parse_anew(text: str = text) -> None:
            parse.cache_clear()
            parse(text)

        parse_us = _best(parse_anew, arguments.repeat // 10, arguments.rounds)
        evaluate_us = _best(
            lambda e=expression: e.evaluate(VARIABLES), arguments.repeat, arguments.rounds
        )
        python_us = _best(lambda p=python: p(VARIABLES), arguments.repeat, arguments.rounds)
        rows.append((text, parse_us, evaluate_us, python_us))
    width = max(len(row[0]) for row in rows)
    print(f"{'expression':<{width}}  parse µs  eval µs  python µs  eval/python")
    for text, parse_us, evaluate_us, python_us in rows:
        print(
            f"{text:<{width}}  {parse_us:8.1f}  {evaluate_us:7.2f}  {python_us:9.2f}"
            f"  {evaluate_us / python_us:11.1f}"
        )


if __name__ == "__main__":
    main()
