"""A griffe extension that renders the Sphinx roles of the docstrings as inline code.

The sources cross-reference in Sphinx style (``:class:`JobContext```, ``:meth:`close```,
``:func:`~camunda_worker.engine.serve```), which Markdown would show verbatim, role and all.
This turns each into plain inline code before rendering: ``JobContext``, ``close()``, ``serve()``
(a leading ``~`` keeps only the last component, as Sphinx does), and ``text::`` before a
literal block becomes ``text:``. Links are not attempted: a
target that is not on a reference page would be a broken link, and the strict build fails on
those. Used by mkdocs.yml only; not part of the package.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?P<role>[a-z]+):`(?P<tilde>~?)(?P<target>[^`]+)`")
_CALLABLE_ROLES = frozenset({"func", "meth"})
_LITERAL_BLOCK = re.compile(r"(?<=\S)::\n\n")


def _code(match: re.Match[str]) -> str:
    target = match["target"].strip()
    if match["tilde"]:
        target = target.rsplit(".", 1)[-1]
    if match["role"] in _CALLABLE_ROLES and not target.endswith(")"):
        target += "()"
    return f"`{target}`"


def _walk(obj: griffe.Object, seen: set[str]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if obj.docstring is not None:
        text = _ROLE.sub(_code, obj.docstring.value)
        # "text::" introduces a literal block in reST; in Markdown the indentation does that.
        obj.docstring.value = _LITERAL_BLOCK.sub(":\n\n", text)
    for member in obj.members.values():
        if not member.is_alias:
            _walk(member, seen)  # type: ignore[arg-type]


class SphinxRolesAsCode(griffe.Extension):
    """Rewrites the Sphinx roles of every docstring of a loaded package as inline code."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package once it is loaded."""
        _walk(pkg, set())
