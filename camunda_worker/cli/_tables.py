"""Plain-text tables for a terminal: a header, a rule, numbers right-aligned, text left."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["render_table"]


def _numeric(values: Sequence[str]) -> bool:
    present = [value for value in values if value not in ("", "-")]
    return bool(present) and all(value.lstrip("-").isdigit() for value in present)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table of ``rows`` under ``headers``; ``None`` cells read ``-``.

    Columns whose values are all integers are right-aligned (counts, versions, retries); keys
    are integers too, so they line up on their last digit.
    """
    cells = [["-" if value is None else str(value) for value in row] for row in rows]
    columns = range(len(headers))
    widths = [max([len(headers[c]), *(len(row[c]) for row in cells)]) for c in columns]
    right = [_numeric([row[c] for row in cells]) for c in columns]

    def render(row: Sequence[str]) -> str:
        parts = (
            value.rjust(width) if align else value.ljust(width)
            for value, width, align in zip(row, widths, right, strict=True)
        )
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(list(headers)), rule, *(render(row) for row in cells)])
