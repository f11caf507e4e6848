"""Checks of a mapping entry that need nothing of the resolver's state: each returns the
problems it finds, as messages (the resolver names the entry)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

from codegen.mapping import MethodDecl
from codegen.spec import Operation, snake

__all__ = ["documented_args", "impl_doc", "sdk_call", "sdk_covers", "sdk_version", "validated_once"]


def documented_args(doc: str) -> list[str]:
    """The parameter names a Google-style docstring's ``Args:`` section documents."""
    lines = doc.splitlines()
    if "Args:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Args:") + 1 :]:
        if line and not line.startswith(" "):
            break  # the next section
        match = re.match(r" {4}\*{0,2}(\w+)(?: \([^)]*\))?:", line)
        if match:
            names.append(match.group(1))
    return names


def validated_once(m: MethodDecl) -> list[str]:
    """A binding must not call the validator the parameter's ``validate:`` runs already."""
    validators = {p.name: p.validate for p in m.params if p.validate}
    problems = []
    for key, expr in m.bind.items():
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError:
            continue  # check_expr reports it
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "validate"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                continue
            param = node.args[0].id
            if validators.get(param) == node.func.attr:
                problems.append(
                    f"binds {key} to {expr!r}: {param}'s validate: runs "
                    f"{node.func.attr} already (a converter rebinds {param}): bind {param}"
                )
    return problems


def impl_doc(m: MethodDecl, node: ast.FunctionDef) -> list[str]:
    """``node``'s first parameter is the resource; its docstring is the method's: a summary
    and an ``Args:`` entry for each parameter after the first, none for another name."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if not positional:
        return [f"{m.impl} must take the {m.resource} as its first parameter"]
    params = [a.arg for a in [*positional[1:], *args.kwonlyargs]]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    doc = ast.get_docstring(node)
    if not doc:
        return [f"{m.impl} has no docstring (it is the method's)"]
    documented = documented_args(doc)
    problems = [
        f"{m.impl}'s docstring documents no {missing!r} under Args:"
        for missing in params
        if missing not in documented
    ]
    problems += [
        f"{m.impl}'s docstring documents {extra!r}, not a parameter"
        for extra in documented
        if extra not in params
    ]
    sections = {line.rstrip(":") for line in doc.splitlines() if re.fullmatch(r"\w+:", line)}
    returns = ast.unparse(node.returns) if node.returns is not None else "None"
    if returns != "None" and not {"Returns", "Yields"} & sections:
        problems.append(f"{m.impl}'s docstring has no Returns: (it returns {returns})")
    if (m.uses or params) and "Raises" not in sections:
        problems.append(
            f"{m.impl}'s docstring has no Raises: (it "
            + ("sends requests" if m.uses else "takes arguments")
            + ": say what a caller would catch)"
        )
    return problems


def sdk_call(
    op: Operation, keywords: list[str], paginated: bool, sdk: str | None, spec_version: str
) -> list[str]:
    """The keywords a generated call passes must be parameters of the ``lakefs_sdk`` method
    it calls, when the installed lakefs_sdk (``sdk``) is one the generated code runs on: the
    spec's version or a newer one of its major (pyproject's range; a test's own spec is
    skipped)."""
    if not sdk_covers(sdk, spec_version):
        return []
    try:
        api_module = importlib.import_module(f"lakefs_sdk.api.{snake(op.sdk_api[:-3])}_api")
    except ImportError:
        return []  # not a group of lakeFS's API (a test's own spec)
    try:
        method = getattr(getattr(api_module, op.sdk_api), f"{op.sdk_method}_with_http_info")
    except AttributeError:
        return [f"lakefs_sdk has no {op.sdk_api}.{op.sdk_method}_with_http_info"]
    accepted = set(inspect.signature(method).parameters)
    wanted = [*keywords, *(["after", "amount"] if paginated else [])]
    if op.body is not None:
        wanted.append(snake(op.body.name))
    return [
        f"lakefs_sdk's {op.sdk_api}.{op.sdk_method} takes no {keyword!r}"
        for keyword in wanted
        if keyword not in accepted
    ]


def sdk_version() -> str | None:
    """The installed lakefs_sdk's version."""
    try:
        import lakefs_sdk
    except ImportError:  # pragma: no cover - the SDK's dependencies include it
        return None
    return str(lakefs_sdk.__version__)


def sdk_covers(sdk: str | None, spec: str) -> bool:
    """Whether lakefs_sdk ``sdk`` is of the range generated from ``spec``: same major, not older."""
    parsed = [re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", v or "") for v in (sdk, spec)]
    if parsed[0] is None or parsed[1] is None:
        return False
    have, want = (tuple(map(int, m.groups())) for m in parsed if m is not None)
    return have[0] == want[0] and have >= want
