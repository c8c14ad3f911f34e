"""The chart of a run: no-op throughput per load, I/O-bound points, CPU-bound strategies.

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
    figure, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 4.4), squeeze=False)
    for axis, key in zip(axes[0], panels, strict=True):
        {"noop": _noop, "io": _io, "cpu": _cpu}[key](axis, results)
        axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


_COLORS = {
    "limit": "#555555",
    "async": "#1f77b4",
    "thread": "#2ca02c",
    "process": "#9467bd",
    "official_py": "#d62728",
    "official_ts": "#ff7f0e",
    "sync_httpx": "#bbbbbb",
}
_NAMES = {
    "limit": "limit\n(raw client)",
    "official_py": "official\nPython",
    "official_ts": "official\nTypeScript",
    "sync_httpx": "sync httpx\n(reference)",
}


def _noop(axis: Any, results: dict[str, Any]) -> None:
    noop = {key: entry for key, entry in results["noop"].items() if "skipped" not in entry}
    names = [_NAMES.get(key, key) for key in noop]
    bars = axis.bar(
        names,
        [entry["jobs_per_s"] for entry in noop.values()],
        color=[_COLORS[key] for key in noop],
    )
    axis.bar_label(bars, labels=[f"{entry['x_limit']:.2f}x" for entry in noop.values()], fontsize=8)
    axis.set_title("No-op handler: jobs/s (median), x the engine's limit")
    axis.set_ylabel("jobs/s")
    axis.tick_params(axis="x", labelsize=7)


def _io(axis: Any, results: dict[str, Any]) -> None:
    series = results["io"]
    keys = list(series["async"])
    width = 0.27
    positions = range(len(keys))
    bound = [series["async"][key]["bound_jobs_per_s"] for key in keys]
    axis.bar(
        [p - width for p in positions], bound, width, color="#cccccc", label="min(ideal, limit)"
    )
    for offset, strategy in ((0.0, "async"), (width, "thread")):
        values = [series[strategy][key]["jobs_per_s"] for key in keys]
        bars = axis.bar(
            [p + offset for p in positions], values, width, color=_COLORS[strategy], label=strategy
        )
        axis.bar_label(
            bars,
            labels=[f"{series[strategy][key]['x_bound']:.2f}x" for key in keys],
            fontsize=8,
        )
    axis.set_xticks(list(positions), [f"{key} in flight" for key in keys])
    axis.set_title("I/O-bound handler (50 ms sleep)")
    axis.set_ylabel("jobs/s")
    axis.legend(fontsize=8)


def _cpu(axis: Any, results: dict[str, Any]) -> None:
    cpu = results["cpu"]
    names, values, colors = ["thread", "process"], [], [_COLORS["thread"], _COLORS["process"]]
    values = [cpu["thread"]["jobs_per_s"], cpu["process"]["jobs_per_s"]]
    scale = results.get("scale_out", {})
    if "skipped" not in scale and scale:
        names += ["run\n--processes 1", "run\n--processes 2"]
        values += [scale["1"]["jobs_per_s"], scale["2"]["jobs_per_s"]]
        colors += ["#8c564b", "#e377c2"]
    bars = axis.bar(names, values, color=colors)
    axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_title("CPU-bound handler (~10 ms)")
    axis.set_ylabel("jobs/s")
    axis.tick_params(axis="x", labelsize=7)
