"""Benchmarks of ``JobWorker`` against the engine's limit and the official workers (not tests).

Run: ``python -m benchmarks`` (or ``nox -s bench``), about 8 minutes on 2 (busy) cores. The engine
serves over TCP on loopback in its own process, each load runs in its own process, and the
results go to ``benchmarks/results/benchmarks.json`` and into ``docs/benchmarks.md`` (goals,
tables, and the chart ``docs/benchmarks/throughput.png``).

Options: ``--quick`` for a short smoke run (one round, short windows; writes only the JSON, to
``benchmarks/results/quick.json`` unless ``--json`` says where), ``--only GROUP...`` to measure
some groups (``noop io cpu scale_out latency memory``; the docs are written only for a full
run), ``--no-write`` to only print, and ``--from-json PATH`` to write the docs again from a
full run's JSON without measuring. ``python -m benchmarks.engine_throughput`` measures the
engine alone against a Starlette app; ``python -m benchmarks.compare_revisions`` compares two
checkouts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import _report, _suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--only", nargs="+", choices=_suite.GROUPS, default=list(_suite.GROUPS), metavar="GROUP"
    )
    parser.add_argument("--no-write", action="store_true", help="only print the results")
    parser.add_argument("--json", type=Path, help="where to write the JSON results")
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="PATH",
        help="measure nothing: write docs/benchmarks.md and the chart from a full run's JSON",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        _report.write_docs(json.loads(args.from_json.read_text()))
        print(f"wrote {_report.DOCS.relative_to(_report.ROOT)} from {args.from_json}")
        return 0
    settings = _suite.QUICK if args.quick else _suite.FULL
    groups = tuple(group for group in _suite.GROUPS if group in args.only)
    results = _suite.run(settings, groups, lambda line: print(line, flush=True))
    for goal in _report.goals(results):
        print(
            f"goal: {goal['goal']}: {_report._value(goal)} (target {goal['target']}) "
            f"{'-' if goal['met'] is None else 'met' if goal['met'] else 'MISSED'}"
        )
    if args.no_write:
        return 0
    default = _report.RESULTS.with_name("quick.json") if args.quick else _report.RESULTS
    _report.write_json(results, args.json or default)
    if not args.quick and groups == _suite.GROUPS:
        _report.write_docs(results)
        print(f"wrote {_report.DOCS.relative_to(_report.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
