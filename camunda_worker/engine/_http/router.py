"""Routing of the engine's app by hand: a dict lookup for fixed paths, a few templates for keys."""

from __future__ import annotations

import re

from camunda_worker.engine._http.answers import HttpError
from camunda_worker.engine._http.call import Route

__all__ = ["Router"]


class Router:
    """Finds the route of a request: a dict for fixed paths, templates for paths with keys.

    Args:
        routes: the routes to serve.
    """

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self._static: dict[str, dict[str, Route]] = {}
        self._templates: dict[str, tuple[re.Pattern[str], dict[str, Route]]] = {}
        for route in routes:
            if "{" not in route.template:
                self._static.setdefault(route.template, {})[route.method] = route
                continue
            if route.template not in self._templates:
                self._templates[route.template] = (_pattern(route.template), {})
            self._templates[route.template][1][route.method] = route

    def match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        """Return the route and the path parameters of a request.

        Raises:
            HttpError: 404 for an unknown path, 405 (with ``Allow``) for a wrong method.
        """
        methods = self._static.get(path)
        params: tuple[str, ...] = ()
        if methods is None:
            for pattern, candidates in self._templates.values():
                found = pattern.fullmatch(path)
                if found is not None:
                    params, methods = found.groups(), candidates
                    break
            else:
                raise HttpError(404, "Not Found", f"No endpoint {method} {path}.")
        route = methods.get(method)
        if route is None:
            allowed = ", ".join(sorted(methods))
            raise HttpError(
                405,
                "Method Not Allowed",
                f"Method '{method}' is not supported.",
                headers={"Allow": allowed},
            )
        return route, params


def _pattern(template: str) -> re.Pattern[str]:
    # "/v2/jobs/{jobKey}/completion" -> r"/v2/jobs/([^/]+)/completion"
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("([^/]+)".join(re.escape(part) for part in parts))
