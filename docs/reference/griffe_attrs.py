"""A griffe extension that gives attrs classes the ``__init__`` attrs generates at run time.

griffe reads the sources without importing them, so it cannot see the ``__init__`` that
``@attrs.define`` / ``@attrs.frozen`` create: the reference would show ``WorkerConfig()`` with no
parameters, and an ``Args:`` section documenting them would warn (and fail the strict build).
This rebuilds the signature from the class body, as attrs does: annotated attributes in order,
base classes' fields first, ``init=False`` fields left out, leading underscores dropped from
parameter names, ``alias=``, ``default=``, ``factory=`` and ``kw_only=`` honoured.
Used by mkdocs.yml only; not part of the package.
"""

from __future__ import annotations

from typing import Any

import griffe

_ATTRS_DECORATORS = frozenset(
    {
        "attr.attrs",
        "attr.define",
        "attr.frozen",
        "attr.mutable",
        "attr.s",
        "attrs.define",
        "attrs.frozen",
        "attrs.mutable",
    }
)
_FIELD_FUNCTIONS = frozenset({"attr.ib", "attr.attrib", "attr.field", "attrs.field"})
_FACTORY_FUNCTIONS = frozenset({"attr.Factory", "attrs.Factory"})


def _attrs_decorator(cls: griffe.Class) -> griffe.Decorator | None:
    for decorator in cls.decorators:
        if decorator.callable_path in _ATTRS_DECORATORS:
            return decorator
    return None


def _call_arguments(value: object, functions: frozenset[str]) -> dict[str, Any] | None:
    if isinstance(value, griffe.ExprCall) and value.function.canonical_path in functions:
        return {
            argument.name: argument.value
            for argument in value.arguments
            if isinstance(argument, griffe.ExprKeyword)
        }
    return None


def _default(field: dict[str, Any] | None, plain_value: object) -> object:
    if field is None:  # `name: int = 3`: the value is the default (None: required)
        return plain_value
    if "factory" in field:
        return f"{field['factory']}()"
    default = field.get("default")
    if (
        isinstance(default, griffe.ExprCall)
        and default.function.canonical_path in _FACTORY_FUNCTIONS
    ):
        return f"{default.arguments[0]}()"
    return default


def _own_parameters(cls: griffe.Class, kw_only: bool) -> list[griffe.Parameter]:
    parameters = []
    for member in cls.members.values():
        if member.is_alias or not isinstance(member, griffe.Attribute):
            continue
        if member.annotation is None or "property" in member.labels:
            continue
        if "class-attribute" in member.labels and "instance-attribute" not in member.labels:
            continue  # ClassVar
        field = _call_arguments(member.value, _FIELD_FUNCTIONS)
        options = field or {}
        if str(options.get("init")) == "False":
            continue
        name = str(options["alias"]).strip("'\"") if "alias" in options else member.name.lstrip("_")
        keyword_only = kw_only or str(options.get("kw_only")) == "True"
        parameters.append(
            griffe.Parameter(
                name,
                annotation=member.annotation,
                kind=griffe.ParameterKind.keyword_only
                if keyword_only
                else griffe.ParameterKind.positional_or_keyword,
                default=_default(field, member.value),  # type: ignore[arg-type]
                docstring=member.docstring,
            )
        )
    return parameters


def _set_init(cls: griffe.Class) -> None:
    decorator = _attrs_decorator(cls)
    if decorator is None or "__init__" in cls.members:
        return
    by_name: dict[str, griffe.Parameter] = {}
    try:
        lineage = [*reversed(cls.mro()), cls]
    except ValueError:
        lineage = [cls]
    for klass in lineage:
        own = _attrs_decorator(klass)
        if own is None:
            continue
        options = _call_arguments(own.value, _ATTRS_DECORATORS) or {}
        for parameter in _own_parameters(klass, str(options.get("kw_only")) == "True"):
            by_name.pop(parameter.name, None)  # a redefined field moves to the end, as in attrs
            by_name[parameter.name] = parameter
    ordered = sorted(by_name.values(), key=lambda p: p.kind is griffe.ParameterKind.keyword_only)
    cls.set_member(
        "__init__",
        griffe.Function(
            "__init__",
            lineno=0,
            endlineno=0,
            parent=cls,
            parameters=griffe.Parameters(
                griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword),
                *ordered,
            ),
            returns="None",
        ),
    )


def _walk(obj: griffe.Module | griffe.Class, seen: set[str]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if isinstance(obj, griffe.Class):
        _set_init(obj)
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, griffe.Module | griffe.Class):
            _walk(member, seen)


class AttrsInit(griffe.Extension):
    """Adds the attrs-generated ``__init__`` to every attrs class of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package once it is loaded (base classes are known by then)."""
        _walk(pkg, set())
