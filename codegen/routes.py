"""Routes: every operation this SDK sends, as a function that builds its method and URL from
the spec (``templates/operations.py.jinja`` writes them).

``_generated/operations.py`` gets one function per operation a generated method sends and per
operation the mapping lists under ``operations:`` (those hand-written code sends itself: streamed
bodies, raw answers, lakeFS's own login). Both call them by name, so paths and parameters are
never typed by hand, and :func:`calls` finds every operation the hand-written code uses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from codegen.model import QueryParam, Route
from codegen.spec import Operation, Param, Spec, snake

__all__ = ["calls", "direct_operation", "route", "routes"]

_PY_TYPES = {"boolean": "bool", "integer": "int", "number": "float", "array": "list[str]"}
_PY_FORMATS = {"date-time": "datetime.datetime"}


def _py_type(param: Param) -> str:
    return _PY_FORMATS.get(param.format) or _PY_TYPES.get(param.type, "str")


def route(op: Operation) -> Route:
    """The route function of ``op``."""
    query = [
        QueryParam(p.name, snake(p.name), _py_type(p), p.required)
        for p in op.params.values()
        if p.location == "query"
    ]
    parts = op.path.strip("/").split("/")
    return Route(
        name=snake(op.id),
        operation=op.id,
        method=op.method,
        path=op.path,
        summary=op.summary,
        path_params=tuple(snake(n) for n in re.findall(r"{(\w+)}", op.path)),
        segments=tuple(
            (snake(part[1:-1]), True) if part.startswith("{") else (part, False) for part in parts
        ),
        query=tuple(query),
    )


def routes(spec: Spec, operations: list[str]) -> list[Route]:
    """The routes of ``operations`` (those the spec has), by name."""
    return [route(spec.operations[o]) for o in sorted(operations) if o in spec.operations]


def calls(src: Path, spec: Spec) -> dict[str, list[str]]:
    """Every operation hand-written code under ``src/lakefs`` calls -> where (``module:line``).

    Two forms count: a route (``operations.<name>(``, however the module is imported) and a
    ``lakefs_sdk`` API method (``<X>Api(...).<method>_with_http_info``).
    """
    by_route = {snake(op.id): op.id for op in spec.operations.values()}
    by_sdk = {(op.sdk_api, op.sdk_method): op.id for op in spec.operations.values()}
    found: dict[str, list[str]] = {}
    root = src / "lakefs"
    for path in sorted(root.rglob("*.py")):
        if "_generated" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        aliases = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "lakefs._generated"
            for a in node.names
            if a.name == "operations"
        }
        where = str(path.relative_to(src))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                op_id = direct_operation(node, aliases, by_route, by_sdk)
                if op_id is not None:
                    found.setdefault(op_id, []).append(f"{where}:{node.lineno}")
    return found


def direct_operation(
    node: ast.Attribute,
    routes: set[str],
    by_route: dict[str, str],
    by_sdk: dict[tuple[str, str], str],
) -> str | None:
    """The operation ``node`` names: a route (``operations.<name>``, ``routes`` being the
    names ``operations`` is imported as) or a ``lakefs_sdk`` method
    (``<X>Api(...).<method>_with_http_info``)."""
    base = node.value
    if isinstance(base, ast.Name) and base.id in routes:
        return by_route.get(node.attr)
    if node.attr.endswith("_with_http_info"):
        api = _api_name(base)
        return by_sdk.get((api, node.attr.removesuffix("_with_http_info"))) if api else None
    return None


def _api_name(node: ast.expr) -> str | None:
    """``XxxApi`` for ``XxxApi(...)`` or a name bound to one (``api = XxxApi(...)``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id if node.func.id.endswith("Api") else None
    return None
