"""Which operations a hand-written function sends, itself or through what it calls.

A static call graph over ``src/lakefs`` (parsed, never imported). A function reaches an operation
when its body names a route (``operations.<name>``) or a ``lakefs_sdk`` method
(``<X>Api(...).<method>_with_http_info``), or names another function or class of the package that
does: a plain name or an imported one, ``module.function``, ``self.method`` / ``cls.method`` in a
class (its bases included), ``Class.method``. Naming a class counts all its methods: who builds a
reader may call any of them. Generated resource classes are not followed (what their methods send
is declared by their own mapping entries); the names of methods called on values of unknown type
(``branch.commit(...)``) are collected instead, to be matched with the generated methods.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from codegen.routes import direct_operation
from codegen.spec import Spec, snake

__all__ = ["CallGraph"]

Node = tuple[str, str]  # (module, "function" | "Class" | "Class.method")

# Not followed: the client's own requests (the IAM login of the credentials chain) belong to
# every request, not to the method that sends one.
ROUTES = "lakefs._generated.operations"  # generated: one function per operation sent by hand
STOP: frozenset[Node] = frozenset({("lakefs._client", "Client")})


@dataclass
class _Module:
    name: str
    tree: ast.Module
    functions: dict[str, ast.AST] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imported: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (mod, attr)


class CallGraph:
    """The package's functions and what they reach; see the module's docstring."""

    def __init__(self, src: Path, spec: Spec) -> None:
        self.spec = spec
        self.by_route = {snake(op.id): op.id for op in spec.operations.values()}
        self.by_sdk = {(op.sdk_api, op.sdk_method): op.id for op in spec.operations.values()}
        paths = {_dotted(src, path): path for path in sorted((src / "lakefs").rglob("*.py"))}
        self.module_names = {*paths, ROUTES}
        self.modules: dict[str, _Module] = {
            name: self._index(name, ast.parse(path.read_text()))
            for name, path in paths.items()
            if "_generated" not in path.parts
        }
        self._memo: dict[Node, frozenset[str]] = {}

    def _index(self, name: str, tree: ast.Module) -> _Module:
        module = _Module(name, tree)
        package = name if name.count(".") == 0 else name.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                base = node.module
                if node.level:  # relative: from .x import y
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    local = alias.asname or alias.name
                    # ``from lakefs.lib import writer``: a module; else a name in ``base``
                    is_module = self._is_module(full)
                    module.imported[local] = (full, None) if is_module else (base, alias.name)
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                module.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                module.classes[stmt.name] = stmt
        return module

    def _is_module(self, dotted: str) -> bool:
        return dotted in self.module_names

    # -- reaching ----------------------------------------------------------------------------

    def operations(self, module: str, function: str) -> frozenset[str]:
        """What ``module.function`` sends, itself or through what it calls (empty if unknown)."""
        return frozenset(
            x[3:] for x in self._reach((module, function), set()) if x.startswith("op:")
        )

    def methods_called(self, module: str, function: str) -> frozenset[str]:
        """The names of methods ``module.function`` (or what it calls) calls on values of
        unknown type (``branch.commit(...)``): perhaps methods of generated resources."""
        return frozenset(
            x[7:] for x in self._reach((module, function), set()) if x.startswith("method:")
        )

    def reached(self, module: str, function: str) -> frozenset[Node]:
        """The package's functions, classes and methods ``module.function`` names, itself or
        through what it calls (``function`` is ``name`` or ``Class.method``): a check such as
        "does it raise ValidationError" asks whether ``("lakefs._exceptions",
        "ValidationError")`` is among them."""
        start: Node = (module, function)
        seen: set[Node] = {start}
        stack = [start]
        while stack:
            for kind, target in self._edges(stack.pop()):
                if kind == "fn" and target not in seen and target not in STOP:
                    seen.add(target)
                    stack.append(target)
        seen.discard(start)
        return frozenset(seen)

    def _reach(self, node: Node, visiting: set[Node]) -> frozenset[str]:
        if node in self._memo:
            return self._memo[node]
        if node in visiting:
            return frozenset()
        visiting.add(node)
        found: set[str] = set()
        for kind, target in self._edges(node):
            if kind == "fn":
                if target not in STOP:
                    found |= self._reach(target, visiting)
            else:
                found.add(f"{kind}:{target[1]}")
        visiting.discard(node)
        result = frozenset(found)
        self._memo[node] = result
        return result

    def _edges(self, node: Node) -> list[tuple[str, Node]]:
        module = self.modules.get(node[0])
        if module is None:
            return []
        name, _, method = node[1].partition(".")
        if name in module.classes and not method:  # a class: all its methods, bases' too
            cls = module.classes[name]
            edges = [("fn", (module.name, f"{name}.{m.name}")) for m in _methods(cls)]
            edges += [("fn", base) for base in self._bases(module, cls)]
            return edges
        if method:
            cls = module.classes.get(name)
            body = next((m for m in _methods(cls) if m.name == method), None) if cls else None
            if body is None:  # inherited: look in the bases
                bases = self._bases(module, cls) if cls else []
                return [("fn", (b[0], f"{b[1]}.{method}")) for b in bases]
            return self._body_edges(module, body, cls)
        func = module.functions.get(name)
        return self._body_edges(module, func, None) if func is not None else []

    def _bases(self, module: _Module, cls: ast.ClassDef) -> list[Node]:
        out = []
        for base in cls.bases:
            target = self._resolve_name(module, base.id) if isinstance(base, ast.Name) else None
            if target is not None:
                out.append(target)
        return out

    def _resolve_name(self, module: _Module, name: str) -> Node | None:
        """A function or class ``name`` means in ``module``, if it is one of the package's."""
        if name in module.functions or name in module.classes:
            return (module.name, name)
        origin = module.imported.get(name)
        if origin is None or origin[1] is None or origin[0] not in self.modules:
            return None
        target = self.modules[origin[0]]
        if origin[1] in target.functions or origin[1] in target.classes:
            return (target.name, origin[1])
        return self._resolve_name(target, origin[1]) if origin[1] in target.imported else None

    def _body_edges(
        self, module: _Module, body: ast.AST, cls: ast.ClassDef | None
    ) -> list[tuple[str, Node]]:
        edges: list[tuple[str, Node]] = []
        routes = {local for local, origin in module.imported.items() if origin == (ROUTES, None)}
        for sub in _code(body):
            if isinstance(sub, ast.Attribute):
                op = direct_operation(sub, routes, self.by_route, self.by_sdk)
                if op is not None:
                    edges.append(("op", ("", op)))
                    continue
                edges += self._attribute_edges(module, sub, cls)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                target = self._resolve_name(module, sub.id)
                if target is not None:
                    edges.append(("fn", target))
        return edges

    def path(self, module: str, function: str, operation: str) -> list[str]:
        """How ``module.function`` reaches ``operation``: the chain of functions, for messages."""
        start: Node = (module, function)
        queue, seen = [(start, [f"{module}:{function}"])], {start}
        while queue:
            node, trail = queue.pop(0)
            for kind, target in self._edges(node):
                if kind == "op" and target[1] == operation:
                    return trail
                if kind != "fn" or target in seen or target in STOP:
                    continue
                if f"op:{operation}" in self._reach(target, set()):
                    seen.add(target)
                    queue.append((target, [*trail, f"{target[0]}:{target[1]}"]))
        return []

    def _attribute_edges(
        self, module: _Module, node: ast.Attribute, cls: ast.ClassDef | None
    ) -> list[tuple[str, Node]]:
        base = node.value
        if not isinstance(base, ast.Name):
            return [("method", ("", node.attr))]
        if base.id in ("self", "cls") and cls is not None:
            return [("fn", (module.name, f"{cls.name}.{node.attr}"))]
        origin = module.imported.get(base.id)
        if origin is not None and origin[1] is None and origin[0] in self.modules:
            target = self._resolve_name(self.modules[origin[0]], node.attr)
            return [("fn", target)] if target is not None else []
        owner = self._resolve_name(module, base.id)
        if owner is not None and "." not in owner[1]:
            owner_module = self.modules[owner[0]]
            if owner[1] in owner_module.classes:
                return [("fn", (owner[0], f"{owner[1]}.{node.attr}"))]
        return [("method", ("", node.attr))]


def _code(function: ast.AST) -> list[ast.AST]:
    """The nodes of a function's code: its body and defaults, not its annotations; a name that
    is the base of an attribute (``Class.method``, ``module.function``) is left to the
    attribute."""
    skip: set[int] = set()
    out: list[ast.AST] = []
    is_function = isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    roots = _code_roots(function) if is_function else [function]  # type: ignore[arg-type]
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack += reversed(_code_roots(node))
            continue
        if id(node) in skip:
            continue
        out.append(node)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            skip.add(id(node.value))
        for name, child in ast.iter_fields(node):
            if isinstance(node, ast.AnnAssign) and name == "annotation":
                continue
            children = child if isinstance(child, list) else [child]
            stack += [c for c in reversed(children) if isinstance(c, ast.AST)]
    return out


def _code_roots(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
    roots: list[ast.AST] = [*function.args.defaults, *filter(None, function.args.kw_defaults)]
    if isinstance(function, ast.Lambda):
        return [*roots, function.body]
    return [*roots, *function.body]


def _methods(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [s for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]


def _dotted(src: Path, path: Path) -> str:
    """``lakefs.lib.writer`` for ``src/lakefs/lib/writer.py`` (a package for its __init__)."""
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
