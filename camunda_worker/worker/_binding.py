"""Handlers the way Python users write them: their parameters bound from the signature.

:func:`bind_handler` reads a handler's signature once, when its worker is built, and decides
what each parameter receives (in this order):

1. ``Annotated[T, Variable("name")]``: the variable ``name`` (the parameter's name when the
   marker has none), validated as ``T``;
2. a parameter annotated with a job context class receives the job's context; with
   :class:`~camunda_worker.CamundaAsyncClient` or :class:`~camunda_worker.CamundaClient`, its
   client; with :class:`~camunda_worker.JobLogger`, its bound logger;
3. a parameter annotated with exactly a type that is a key of ``dependencies``, or named like a
   string key of ``dependencies``, receives that dependency (given once per worker);
4. the reserved names, unannotated (or ``Any``): ``job`` (the context), ``client``, ``log``,
   ``custom_headers`` (also annotated ``dict``/``Mapping``) and ``variables`` (all the
   variables as a dict, also annotated ``dict``/``Mapping``);
5. a parameter annotated with a pydantic model receives all the variables validated as it;
6. any other parameter receives the variable of its name, validated and coerced by pydantic
   from its annotation; a default makes it optional.

The plain form ``def handler(job)`` (one positional parameter, unannotated or annotated with a
job context or ``Any``) is not wrapped at all: it costs nothing more than before. Otherwise the
worker calls a :class:`BoundHandler`, which validates all the named variables in one pydantic
call per job. A missing required variable or one that does not validate fails the job with a
message naming the variable and the field (never its value), with no retries left by default
(``invalid_variables="incident"``): the same data would fail again, so an operator fixes it and
resolves the incident; ``invalid_variables="retry"`` leaves one retry fewer instead.

A :class:`BoundHandler` also runs the middleware around the handler and turns exceptions into
outcomes (:mod:`._policies`). It is pickled as its handler and its options: a child process of
the ``process`` strategy builds its own binding from them.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, Protocol

import attrs
import pydantic
import typing_extensions
from pydantic import BaseModel

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.logs import JobLogger
from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker.worker._context import JobContext
from camunda_worker.worker._outcomes import JobFailure
from camunda_worker.worker._policies import OutcomePolicy
from camunda_worker.worker._strategy import returns_awaitable

__all__ = [
    "BoundHandler",
    "HandlerPlan",
    "InvalidVariables",
    "Middleware",
    "Variable",
    "bind_handler",
]

InvalidVariables = Literal["incident", "retry"]
"""What a job whose variables do not fit the handler's parameters gets: an incident at once
(``retries=0``, the default) or one retry fewer (``retry``)."""


class Middleware(Protocol):
    """An around-handler hook: ``def mw(job, call_next)`` (``async def`` for async handlers).

    It gets the job's context and a function that runs the rest of the chain (the next
    middleware, then the handler) and returns the handler's result (an awaitable of it for
    async handlers); what the middleware returns is the job's result, and what it raises
    decides the outcome (a :class:`JobError`, a :class:`JobFailure`, any other exception).
    """

    def __call__(self, job: Any, call_next: Callable[[], Any], /) -> Any:
        """Run around one job's handler."""


_RESERVED_MAPPINGS: Final = (dict, Mapping, typing.Mapping, typing.Dict)  # noqa: UP006


@attrs.frozen
class Variable:
    """Marks a handler parameter as one process variable: ``Annotated[T, Variable("orderId")]``.

    Needed when the variable's name is not the parameter's (camelCase variables, snake_case
    parameters), or to receive one variable that holds an object as a pydantic model (a bare
    model annotation receives all the variables as that model).

    Attributes:
        name: the variable's name; ``None`` means the parameter's name.
    """

    name: str | None = None


_ABSENT: Final = object()
_Getter = Callable[[Any, dict[str, Any], dict[str, Any]], Any]

_Kind = Literal["context", "client", "log", "headers", "dependency", "all", "model", "variable"]


@attrs.frozen
class _Parameter:
    name: str
    kind: _Kind
    positional: bool
    variable: str = ""  # the variable's name (kind "variable")
    annotation: Any = Any
    required: bool = True
    value: Any = None  # the dependency (kind "dependency")


@attrs.frozen
class HandlerPlan:
    """What a handler's signature asks for, read once when its worker is built.

    Attributes:
        plain: the handler takes the job's context as its one argument (the plain form).
        variables: the variables its parameters name, in order.
        fetch_variables: the variables to fetch, or ``None`` for all of them (a parameter takes
            all the variables, or none names any).
        description: one line for logs, e.g. ``order_id: str, job: context``.
    """

    plain: bool
    variables: tuple[str, ...] = ()
    fetch_variables: tuple[str, ...] | None = None
    description: str = "job: context"


def _hints(callback: Callable[..., Any]) -> dict[str, Any]:
    target: Any = callback
    if isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    elif not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = inspect.unwrap(type(target).__call__)
    else:
        target = inspect.unwrap(target)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - an unresolvable annotation: reported where it matters
        return {}


def _signature(callback: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(callback)
    except (TypeError, ValueError):
        return None


def _is_context_type(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, JobContext)


def _is_plain(signature: inspect.Signature | None, hints: Mapping[str, Any]) -> bool:  # noqa: PLR0911 - one rule per return
    if signature is None:
        return True
    parameters = [
        p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not parameters:  # (*args, **kwargs): a wrapper or a mock, called as before
        return len(signature.parameters) > 0
    if len(parameters) != 1:
        return False
    if len(signature.parameters) > 1:  # (job, *rest): bound by name it could not be
        return False
    (parameter,) = parameters
    if parameter.kind is parameter.KEYWORD_ONLY:
        return False
    if parameter.annotation is inspect.Parameter.empty:
        return True
    annotation = hints.get(parameter.name, parameter.annotation)
    # An annotation that could not be resolved (a string): the form of old handlers.
    return isinstance(annotation, str) or annotation is Any or _is_context_type(annotation)


def _marker(annotation: Any) -> tuple[Any, Variable | None]:
    if typing_extensions.get_origin(annotation) is typing_extensions.Annotated:
        args = typing_extensions.get_args(annotation)
        markers = [arg for arg in args[1:] if isinstance(arg, Variable)]
        if markers:
            return annotation, markers[0]
    return annotation, None


def _bare(annotation: Any) -> Any:
    if typing_extensions.get_origin(annotation) is typing_extensions.Annotated:
        return typing_extensions.get_args(annotation)[0]
    return annotation


def _is_mapping_annotation(annotation: Any) -> bool:
    if annotation is Any or annotation is inspect.Parameter.empty:
        return True
    origin = typing_extensions.get_origin(annotation) or annotation
    return origin in _RESERVED_MAPPINGS


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _classify(  # noqa: PLR0911 - one rule per return, in the documented order
    parameter: inspect.Parameter,
    annotation: Any,
    dependencies: Mapping[str | type, object],
) -> _Parameter:
    name = parameter.name
    positional = parameter.kind is parameter.POSITIONAL_ONLY
    required = parameter.default is inspect.Parameter.empty
    annotation, marker = _marker(annotation)
    if marker is not None:
        return _Parameter(name, "variable", positional, marker.name or name, annotation, required)
    bare = _bare(annotation)
    unannotated = annotation is inspect.Parameter.empty or bare is Any
    if _is_context_type(bare):
        return _Parameter(name, "context", positional)
    if inspect.isclass(bare) and issubclass(bare, (CamundaAsyncClient, CamundaClient)):
        return _Parameter(name, "client", positional)
    if bare is JobLogger:
        return _Parameter(name, "log", positional)
    if not unannotated and isinstance(bare, type) and bare in dependencies:
        return _Parameter(name, "dependency", positional, value=dependencies[bare])
    if name in dependencies:
        return _Parameter(name, "dependency", positional, value=dependencies[name])
    if unannotated and name in ("job", "client", "log"):
        kinds: dict[str, _Kind] = {"job": "context", "client": "client", "log": "log"}
        return _Parameter(name, kinds[name], positional)
    if name == "custom_headers" and _is_mapping_annotation(bare):
        return _Parameter(name, "headers", positional)
    if name == "variables" and _is_mapping_annotation(bare):
        return _Parameter(name, "all", positional)
    if _is_model(bare):
        return _Parameter(name, "model", positional, annotation=bare)
    if unannotated:
        annotation = Any
    elif isinstance(annotation, str):
        raise ConfigurationError(
            f"the annotation {annotation!r} of the parameter {name!r} cannot be resolved; "
            "import its type at module level",
            variable="callback",
        )
    return _Parameter(name, "variable", positional, name, annotation, required)


def _model_fields(model: type[BaseModel]) -> tuple[str, ...] | None:
    """The variables a model reads, by alias; ``None`` when it may read any."""
    if model.model_config.get("extra") == "allow":
        return None
    names: list[str] = []
    by_name = bool(model.model_config.get("populate_by_name"))
    for field_name, field in model.model_fields.items():
        alias = field.validation_alias if field.validation_alias is not None else field.alias
        if alias is not None and not isinstance(alias, str):
            return None  # AliasPath / AliasChoices: fetch everything rather than guess
        names.append(alias or field_name)
        if by_name and alias and alias != field_name:
            names.append(field_name)
    return tuple(names)


def _type_name(annotation: Any) -> str:
    bare = _bare(annotation)
    if inspect.isclass(bare) and not typing_extensions.get_args(bare):
        return bare.__name__
    return str(bare).replace("typing.", "").replace("typing_extensions.", "")


def _describe(parameter: _Parameter) -> str:
    if parameter.kind == "variable":
        shown = "any" if parameter.annotation is Any else _type_name(parameter.annotation)
        optional = "" if parameter.required else " = default"
        named = "" if parameter.variable == parameter.name else f" (variable {parameter.variable})"
        return f"{parameter.name}: {shown}{named}{optional}"
    if parameter.kind == "model":
        return f"{parameter.name}: {parameter.annotation.__name__} (all variables)"
    labels = {
        "context": "context",
        "client": "client",
        "log": "logger",
        "headers": "custom headers",
        "dependency": "dependency",
        "all": "all variables",
    }
    return f"{parameter.name}: {labels[parameter.kind]}"


def _fetched(
    variables: tuple[str, ...], parameters: Sequence[_Parameter]
) -> tuple[str, ...] | None:
    """The variables to fetch; ``None`` for all (a parameter takes them all, or none is named)."""
    fetch = list(variables)
    for bound in parameters:
        if bound.kind == "all":
            return None
        if bound.kind == "model":
            fields = _model_fields(bound.annotation)
            if fields is None:
                return None
            fetch.extend(fields)
    return tuple(dict.fromkeys(fetch)) if fetch else None


def _plan(
    callback: Callable[..., Any], dependencies: Mapping[str | type, object]
) -> tuple[HandlerPlan, tuple[_Parameter, ...]]:
    signature = _signature(callback)
    hints = _hints(callback)
    if _is_plain(signature, hints):
        return HandlerPlan(plain=True), ()
    declared = list(signature.parameters.values()) if signature is not None else []
    if isinstance(callback, functools.partial):  # what the partial binds is not asked for
        declared = [p for p in declared if p.name not in callback.keywords]
    parameters: list[_Parameter] = []
    for parameter in declared:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ConfigurationError(
                f"the handler {_name(callback)} takes *{parameter.name}: a handler whose "
                "parameters are bound by name lists them one by one (or takes one argument, "
                "the job)",
                variable="callback",
            )
        annotation = hints.get(parameter.name, parameter.annotation)
        parameters.append(_classify(parameter, annotation, dependencies))
    variables = tuple(p.variable for p in parameters if p.kind == "variable")
    fetch_variables = _fetched(variables, parameters)
    plan = HandlerPlan(
        plain=False,
        variables=variables,
        fetch_variables=fetch_variables,
        description=", ".join(_describe(p) for p in parameters) or "(no parameters)",
    )
    return plan, tuple(parameters)


def _name(callback: Any) -> str:
    return str(getattr(callback, "__qualname__", None) or repr(callback))


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def describe_validation(error: pydantic.ValidationError, *, model: str | None = None) -> str:
    """Name each variable and field that failed, never their values (they may be secrets)."""
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        loc = detail["loc"]
        variable, rest = (str(loc[0]), loc[1:]) if loc else ("?", ())
        where = f" at {_location(rest).lstrip('.')}" if rest else ""
        of_model = f" (a field of {model})" if model else ""
        if detail["type"] == "missing" and not rest:
            problems.append(f"the required variable {variable!r}{of_model} is missing")
        else:
            problems.append(f"variable {variable!r}{of_model}{where}: {detail['msg']}")
    return "; ".join(problems)


class BoundHandler:
    """Calls a handler with the arguments its signature asks for, through the middleware.

    Built once per worker (and once per child process) by :func:`bind_handler`; called with the
    job's context, like a plain handler.
    """

    def __init__(
        self,
        callback: Callable[..., Any],
        *,
        dependencies: Mapping[str | type, object],
        invalid_variables: InvalidVariables,
        middleware: Sequence[Middleware],
        policy: OutcomePolicy | None,
        back_off: int = 0,
    ) -> None:
        self.callback = callback
        self._dependencies = dependencies
        self._invalid_variables = invalid_variables
        self._middleware = tuple(middleware)
        self._policy = policy
        self.plan, self._parameters = _plan(callback, dependencies)
        self.is_async = returns_awaitable(callback)
        self._back_off = back_off
        named = [p for p in self._parameters if p.kind == "variable"]
        self._adapter: pydantic.TypeAdapter[Any] | None = None
        if named:
            fields = {
                p.variable: (
                    typing_extensions.Required[p.annotation]
                    if p.required
                    else typing_extensions.NotRequired[p.annotation]
                )
                for p in named
            }
            make_typed_dict: Any = typing_extensions.TypedDict
            typed = make_typed_dict(f"{_name(callback)}Variables", fields)
            self._adapter = pydantic.TypeAdapter(typed)
        self._getters = tuple((p.name, p.positional, self._getter(p)) for p in self._parameters)
        inner: Callable[[Any], Any] = self._call_async if self.is_async else self._call
        for middleware_fn in reversed(self._middleware):
            inner = _link(middleware_fn, inner)
        self._chain = inner

    def __reduce__(self) -> tuple[Any, ...]:
        # A child process builds its own binding (pydantic adapters do not pickle).
        return (
            _rebind,
            (
                self.callback,
                dict(self._dependencies),
                self._invalid_variables,
                self._middleware,
                self._policy,
                self._back_off,
            ),
        )

    def __repr__(self) -> str:
        return f"BoundHandler({_name(self.callback)}({self.plan.description}))"

    def arguments(self, context: Any) -> tuple[list[Any], dict[str, Any]]:
        """The handler's arguments for the job of ``context``.

        Raises:
            JobFailure: a required variable is missing or does not validate (the message names
                it and the field; retries as ``invalid_variables`` says).
        """
        variables: dict[str, Any] = context.job.variables
        validated: dict[str, Any] = {}
        if self._adapter is not None:
            try:
                validated = self._adapter.validate_python(variables)
            except pydantic.ValidationError as error:
                raise self._invalid(describe_validation(error), context) from None
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for name, positional, get in self._getters:
            value = get(context, variables, validated)
            if value is _ABSENT:
                continue  # an optional variable that is absent: the parameter's default applies
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        return args, kwargs

    def _getter(self, parameter: _Parameter) -> _Getter:
        kind = parameter.kind
        if kind == "variable":
            variable = parameter.variable
            return lambda _context, _variables, validated: validated.get(variable, _ABSENT)
        if kind == "model":
            return self._model_getter(parameter.annotation)
        if kind == "dependency":
            value = parameter.value
            return lambda _context, _variables, _validated: value
        getters: dict[str, _Getter] = {
            "context": lambda context, _variables, _validated: context,
            "client": lambda context, _variables, _validated: context.client,
            "log": lambda context, _variables, _validated: context.log,
            "headers": lambda context, _variables, _validated: context.job.custom_headers,
            "all": lambda _context, variables, _validated: variables,
        }
        return getters[kind]

    def _model_getter(self, model: type[BaseModel]) -> _Getter:
        adapter = pydantic.TypeAdapter(model)

        def get(context: Any, variables: dict[str, Any], _validated: dict[str, Any]) -> Any:
            try:
                return adapter.validate_python(variables)
            except pydantic.ValidationError as error:
                raise self._invalid(
                    describe_validation(error, model=model.__name__), context
                ) from None

        return get

    def _invalid(self, problems: str, context: Any) -> JobFailure:
        message = f"the job's variables do not fit the handler {_name(self.callback)}: {problems}"
        if self._invalid_variables == "incident":
            return JobFailure(message, retries=0)
        policy = self._policy.retry_back_off if self._policy is not None else None
        back_off = policy.back_off(context.job.retries) if policy is not None else self._back_off
        return JobFailure(message, retry_back_off=back_off)

    def _call(self, context: Any) -> Any:
        if self.plan.plain:
            return self.callback(context)
        args, kwargs = self.arguments(context)
        return self.callback(*args, **kwargs)

    async def _call_async(self, context: Any) -> Any:
        result = self._call(context)
        if inspect.isawaitable(result):
            result = await result
        return result

    def __call__(self, context: Any) -> Any:
        """Run the chain for one job: a result, or an awaitable of it for async handlers."""
        if self.is_async:
            return self._around_async(context)
        policy = self._policy
        if policy is None:
            return self._chain(context)
        try:
            return self._chain(context)
        except Exception as error:
            outcome = policy.outcome(error, context)
            if outcome is error:
                raise
            raise outcome from error

    async def _around_async(self, context: Any) -> Any:
        policy = self._policy
        if policy is None:
            return await self._chain(context)
        try:
            return await self._chain(context)
        except Exception as error:
            outcome = policy.outcome(error, context)
            if outcome is error:
                raise
            raise outcome from error


def _link(middleware: Middleware, inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(context: Any) -> Any:
        return middleware(context, lambda: inner(context))

    return call


def _rebind(
    callback: Callable[..., Any],
    dependencies: Mapping[str | type, object],
    invalid_variables: InvalidVariables,
    middleware: Sequence[Middleware],
    policy: OutcomePolicy | None,
    back_off: int,
) -> BoundHandler:
    return BoundHandler(
        callback,
        dependencies=dependencies,
        invalid_variables=invalid_variables,
        middleware=middleware,
        policy=policy,
        back_off=back_off,
    )


def bind_handler(
    callback: Callable[..., Any],
    *,
    dependencies: Mapping[str | type, object] | None = None,
    invalid_variables: InvalidVariables = "incident",
    middleware: Sequence[Middleware] = (),
    policy: OutcomePolicy | None = None,
    back_off: int = 0,
) -> tuple[Callable[[Any], Any], HandlerPlan]:
    """What the runners call for ``callback``, and what its signature asks for.

    The plain form with no middleware and no outcome policy is returned as is (no cost per job).

    Args:
        callback: the user's handler.
        dependencies: objects given to parameters by name (``str`` keys) or by annotation
            (``type`` keys), once per worker.
        invalid_variables: ``incident`` (no retries left) or ``retry`` (one fewer) for a job
            whose variables do not fit the parameters.
        middleware: around-handler hooks, the first one outermost.
        policy: how exceptions become outcomes (BPMN error codes, back-off, ``on_error``).
        back_off: the worker's back-off (ms) for a retried job whose variables do not fit, when
            ``policy`` has no back-off policy.

    Returns:
        The callable the runners call with a context, and the handler's plan.

    Raises:
        ConfigurationError: the signature cannot be bound (``*args``, an unresolvable
            annotation, an annotation pydantic cannot validate), or the middleware does not
            match the handler (async middleware for an async handler, sync for a sync one).
    """
    if invalid_variables not in ("incident", "retry"):
        raise ConfigurationError(
            f"invalid_variables must be 'incident' or 'retry', got {invalid_variables!r}",
            variable="invalid_variables",
        )
    is_async = returns_awaitable(callback)
    for hook in middleware:
        if not callable(hook):
            raise ConfigurationError(f"a middleware is not callable: {hook!r}")
        if returns_awaitable(hook) != is_async:
            kind = "async" if is_async else "sync"
            raise ConfigurationError(
                f"the middleware {_name(hook)} must be {kind} like the handler "
                f"{_name(callback)}: an async handler takes `async def mw(job, call_next)`, a "
                "sync one `def mw(job, call_next)`",
                variable="middleware",
            )
    deps = dict(dependencies or {})
    for key in deps:
        if not isinstance(key, (str, type)):
            raise ConfigurationError(
                f"dependencies are keyed by parameter name (a str) or by type, got {key!r}",
                variable="dependencies",
            )
    plan, _ = _plan(callback, deps)
    if plan.plain and not middleware and policy is None:
        return callback, plan
    try:
        bound = BoundHandler(
            callback,
            dependencies=deps,
            invalid_variables=invalid_variables,
            middleware=middleware,
            policy=policy,
            back_off=back_off,
        )
    except pydantic.PydanticSchemaGenerationError as error:
        raise ConfigurationError(
            f"the parameters of the handler {_name(callback)} cannot be validated: {error}",
            variable="callback",
        ) from error
    return bound, bound.plan
