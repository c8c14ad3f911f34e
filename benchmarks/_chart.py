"""The chart of a run: no-op throughput per load, I/O-bound scaling, CPU-bound strategies.

matplotlib with the Agg backend (no display); drawn only when matplotlib is installed (the
``bench`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(results: dict[str, Any], path: Path) -> bool:
    """Draw the chart into ``path`` (PNG); ``False`` when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [key for key in ("noop", "io", "cpu") if key in results]
    if not panels:
        return False
    figure, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for axis, key in zip(axes[0], panels, strict=True):
        {"noop": _noop, "io": _io, "cpu": _cpu}[key](axis, results)
        axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def _noop(axis: Any, results: dict[str, Any]) -> None:
    noop = results["noop"]
    ceiling_runs = [run["jobs_per_s"] for run in noop["ceiling"]["runs"]]
    names = [f"ceiling\n{'before' if i == 0 else 'after'}" for i in range(len(ceiling_runs))]
    values = list(ceiling_runs)
    for variant in ("async", "thread", "process", "official"):
        names.append(variant if variant != "official" else "official\nSDK")
        values.append(noop[variant]["jobs_per_s"])
    colors = ["#999999"] * len(ceiling_runs) + ["#1f77b4", "#2ca02c", "#9467bd", "#d62728"]
    bars = axis.bar(names, values, color=colors)
    axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_title("No-op handler, max_concurrent_jobs 32")
    axis.set_ylabel("jobs/s")


def _io(axis: Any, results: dict[str, Any]) -> None:
    series = results["io"]
    keys = list(series["async"])
    x = [int(key) for key in keys]
    axis.plot(x, [series["async"][k]["ideal_jobs_per_s"] for k in keys], "k--", label="ideal")
    axis.plot(x, [series["async"][k]["jobs_per_s"] for k in keys], "o-", label="async")
    axis.plot(x, [series["thread"][k]["jobs_per_s"] for k in keys], "s-", label="thread")
    if "noop" in results:
        axis.axhline(results["noop"]["ceiling"]["jobs_per_s"], color="#999999", label="ceiling")
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_xticks(x, [str(value) for value in x])
    axis.set_title("I/O-bound handler (20 ms sleep)")
    axis.set_xlabel("max_concurrent_jobs")
    axis.set_ylabel("jobs/s")
    axis.legend(fontsize=8)


def _cpu(axis: Any, results: dict[str, Any]) -> None:
    cpu = results["cpu"]
    bars = axis.bar(
        ["thread", "process"],
        [cpu["thread"]["jobs_per_s"], cpu["process"]["jobs_per_s"]],
        color=["#2ca02c", "#9467bd"],
    )
    axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_title("CPU-bound handler (~10 ms)")
    axis.set_ylabel("jobs/s")
