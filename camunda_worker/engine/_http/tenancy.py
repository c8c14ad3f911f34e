"""Tenants as a cluster's gateway checks them, with multi-tenancy off or on.

* **Off** (the default, as a cluster started from the stock configuration): only the default
  tenant ``<default>`` exists. A request naming any other tenant is a 400 ``INVALID_ARGUMENT``
  (``Expected to handle request Create Process Instance with tenant identifier 'a', but
  multi-tenancy is disabled``); so is an activation with the ``ASSIGNED`` tenant filter.
* **On** (``Engine(tenants=[...])``, ``camunda-worker engine --multi-tenancy a,b``): a request
  must name its tenant (400 ``... with multi-tenancy enabled, but no tenant identifier was
  provided.``), be at most 31 characters, and exist (``<default>`` always does): another is
  a 401 ``UNAUTHORIZED`` (``... but tenant is not authorized to perform this request``), as
  the REST gateway answers a tenant the caller is not assigned to. ``ASSIGNED`` activates
  jobs of every tenant the engine has.
"""

from __future__ import annotations

from collections.abc import Sequence

from camunda_worker.engine._http.answers import HttpError, invalid_argument
from camunda_worker.engine._runtime.core import Engine

__all__ = ["DEFAULT_TENANT", "check_tenant", "check_tenant_ids"]

DEFAULT_TENANT = "<default>"
_MAX_TENANT_LENGTH = 31


def check_tenant(engine: Engine, request: str, tenant_id: str | None) -> None:
    """Check the tenant of a command (deploy, create an instance, publish a message...).

    Args:
        engine: the engine, whose :attr:`~camunda_worker.engine.Engine.tenants` say whether
            multi-tenancy is on.
        request: the gateway's name of the request, e.g. ``"Create Process Instance"``.
        tenant_id: the tenant the request names, ``None`` when it names none.

    Raises:
        HttpError: 400 or 403 as described in the module.
    """
    tenants = engine.tenants
    if tenants is None:
        if tenant_id is not None and tenant_id != DEFAULT_TENANT:
            raise _disabled(f"{request} with tenant identifier '{tenant_id}'")
        return
    if tenant_id is None:
        raise _missing(request)
    _check_known(tenants, request, tenant_id)


def check_tenant_ids(
    engine: Engine, request: str, tenant_ids: Sequence[str] | None, tenant_filter: str | None
) -> Sequence[str] | None:
    """Check the tenants of a job activation; return those to activate jobs of.

    Args:
        engine: the engine.
        request: the gateway's name of the request (``"Activate Jobs"``).
        tenant_ids: the request's ``tenantIds``.
        tenant_filter: the request's ``tenantFilter`` (``PROVIDED``, ``ASSIGNED`` or ``None``).

    Returns:
        The tenants to activate jobs of (``None``: any, with multi-tenancy off).

    Raises:
        HttpError: 400 or 403 as described in the module.
    """
    tenants = engine.tenants
    if tenant_filter == "ASSIGNED":
        if tenants is None:
            raise invalid_argument(
                f"Expected to handle request {request} with ASSIGNED tenant filter,"
                " but multi-tenancy is disabled"
            )
        return sorted(tenants | {DEFAULT_TENANT})
    if tenants is None:
        if tenant_ids and any(tenant != DEFAULT_TENANT for tenant in tenant_ids):
            raise _disabled(f"{request} with tenant identifiers [{', '.join(tenant_ids)}]")
        return tenant_ids
    if not tenant_ids:
        raise _missing(request)
    for tenant in tenant_ids:
        _check_known(tenants, request, tenant)
    return tenant_ids


def _check_known(tenants: frozenset[str], request: str, tenant_id: str) -> None:
    if len(tenant_id) > _MAX_TENANT_LENGTH:
        raise invalid_argument(
            f"Expected to handle request {request} with tenant identifier '{tenant_id}',"
            f" but tenant identifier is longer than {_MAX_TENANT_LENGTH} characters"
        )
    if tenant_id != DEFAULT_TENANT and tenant_id not in tenants:
        raise HttpError(
            401,
            "UNAUTHORIZED",
            f"Expected to handle request {request} with tenant identifier '{tenant_id}',"
            " but tenant is not authorized to perform this request",
        )


def _disabled(what: str) -> HttpError:
    # The gateway's wording, without the period ``invalid_argument`` adds.
    return HttpError(
        400, "INVALID_ARGUMENT", f"Expected to handle request {what}, but multi-tenancy is disabled"
    )


def _missing(request: str) -> HttpError:
    return invalid_argument(
        f"Expected to handle request {request} with multi-tenancy enabled,"
        " but no tenant identifier was provided."
    )
