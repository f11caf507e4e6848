"""Routes: every operation this SDK sends, as a function that builds its method and URL from
the spec.

``_generated/operations.py`` gets one function per operation a generated method sends and per
operation the mapping lists under ``operations:`` (those hand-written code sends itself: streamed
bodies, raw answers, lakeFS's own login). Both call them by name, so paths and parameters are
never typed by hand, and :func:`calls` finds every operation the hand-written code uses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from codegen.spec import Operation, Param, Spec, snake

__all__ = ["calls", "direct_operation", "routes_module"]

_PY_TYPES = {"boolean": "bool", "integer": "int", "number": "float", "array": "list[str]"}
_PY_FORMATS = {"date-time": "datetime.datetime"}

_HEADER = '''# Generated from the lakeFS {version} OpenAPI document by codegen/ (make generate). \
Do not edit.
"""The method and URL of each operation this SDK sends (those of codegen/mapping.yaml's methods,
and those listed under its ``operations:``): paths and parameters come from the spec."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lakefs._transport import Transport

__all__ = [{names}]


class Route(NamedTuple):
    """An operation's HTTP method and URL."""

    method: str
    url: str


def _text(value: object) -> str:
    """A query value as lakeFS parses it: ``true``/``false``; a datetime in UTC, RFC 3339 (a
    naive one taken as UTC, as everywhere in this SDK, never as local time)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        utc = datetime.timezone.utc
        moment = value.replace(tzinfo=utc) if value.tzinfo is None else value.astimezone(utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def _query(values: dict[str, object]) -> list[tuple[str, str]]:
    """Query parameters: a list as the parameter repeated (``objects=a&objects=b``), None left
    out."""
    return [
        (key, _text(item))
        for key, value in values.items()
        for item in (value if isinstance(value, (list, tuple)) else [value])
        if item is not None
    ]
'''


def _py_type(param: Param) -> str:
    return _PY_FORMATS.get(param.format) or _PY_TYPES.get(param.type, "str")


def _function(op: Operation) -> str:
    path_params = re.findall(r"{(\w+)}", op.path)
    query = [p for p in op.params.values() if p.location == "query"]
    args = ["transport: Transport", *(f"{snake(n)}: str" for n in path_params)]
    if query:
        args.append("*")
    required = [p for p in query if p.required]
    optional = [p for p in query if not p.required]
    args += [f"{snake(p.name)}: {_py_type(p)}" for p in required]
    args += [f"{snake(p.name)}: {_py_type(p)} | None = None" for p in optional]
    segments = [
        snake(part[1:-1]) if part.startswith("{") else repr(part)
        for part in op.path.strip("/").split("/")
    ]
    values = ", ".join(f'"{p.name}": {snake(p.name)}' for p in query)
    query_expr = f"_query({{{values}}})" if query else "None"
    summary = (op.summary or op.id).rstrip(".") + "."
    return (
        f"\n\ndef {snake(op.id)}({', '.join(args)}) -> Route:\n"
        f'    """{summary}\n\n    ``{op.id}``:\n    ``{op.method} {op.path}``\n    """\n'
        f"    url = transport.api_url([{', '.join(segments)}], {query_expr})\n"
        f'    return Route("{op.method}", url)\n'
    )


def routes_module(spec: Spec, operations: list[str], version: str) -> str:
    """The source of ``operations.py`` (unformatted)."""
    ops = [spec.operations[o] for o in sorted(operations) if o in spec.operations]
    names = ", ".join(f'"{n}"' for n in ["Route", *(snake(op.id) for op in ops)])
    return _HEADER.format(version=version, names=names) + "".join(_function(op) for op in ops)


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
