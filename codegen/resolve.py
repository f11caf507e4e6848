"""Stage 2: resolve every mapping entry against the spec into ready-to-render methods.

Every problem is collected (not raised on the first) and names its mapping entry and, where one is
involved, the spec operation and path. The result is a model of values (:mod:`codegen.model`):
what each method checks, sends and returns; ``templates/`` writes it as code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from codegen import docs, verify
from codegen.imports import STANDARD_TYPES, Imports, is_builtin, names_in
from codegen.mapping import Mapping, MethodDecl, ParamDecl, ResourceDecl, Result
from codegen.model import (
    BoundFunction,
    Call,
    Check,
    Doc,
    Init,
    Method,
    PageBody,
    Param,
    RequestBody,
    Resource,
    ReturnBody,
    Signature,
    Value,
)
from codegen.spec import Operation, Spec, snake

__all__ = ["Method", "Problem", "Resolved", "Resource", "resolve"]

# Names an expression in the mapping may use besides ``self``, ``data``, ``item`` and parameters.
HELPERS = frozenset({"ref_id", "str", "int", "dict", "list", "bytes", "None", "True", "False"})
PAGINATION = ("after", "amount")
CALL_OPTIONS = (
    ("timeout", "RequestTimeout | None"),
    ("extra_headers", "Mapping[str, str] | None"),
)


@dataclass(frozen=True)
class Problem:
    """Something wrong in the mapping, found while resolving it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Resolved:
    """The result of resolving: resources to render, problems, and the operations reached."""

    resources: list[Resource]
    problems: list[Problem]
    reached: set[str]
    answers: set[str] = field(default_factory=set)  # response schemas read: typed answers
    operations: set[str] = field(default_factory=set)  # sent by generated methods: routes


class _Resolver:
    def __init__(self, spec: Spec, mapping: Mapping, src: Path) -> None:
        self.spec = spec
        self.mapping = mapping
        self.src = src
        self.problems: list[Problem] = []
        self.reached: set[str] = set()
        self.resources = {r.name: r for r in mapping.resources}
        self._functions: dict[str, dict[str, ast.FunctionDef]] = {}
        self.validators = self._module_functions("lakefs._validation")
        self.errors = self._error_classes()
        # validators that return the value to use (``utc``: a datetime in UTC): converters
        self.converters = {
            name
            for name, node in self.validators.items()
            if node.returns is not None and ast.unparse(node.returns) != "None"
        }
        self.sdk_version = verify.sdk_version()
        self.answers: set[str] = set()  # response schemas generated code reads (typed answers)
        self.operations: set[str] = set()  # operations generated methods send (their routes)
        self.current = ""  # the resource being resolved, and what its module imports
        self.imp = Imports()

    # -- helpers -------------------------------------------------------------------------------

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def _module_file(self, module: str) -> Path:
        return self.src / (module.replace(".", "/") + ".py")

    def _module_functions(self, module: str) -> dict[str, ast.FunctionDef]:
        """The top-level functions of a hand-written module, parsed (never imported): for an
        overloaded name, its implementation (the last ``def``)."""
        if module not in self._functions:
            path = self._module_file(module)
            if not path.is_file():
                self.problem("mapping", f"module {module} ({path}) does not exist")
                return {}
            tree = ast.parse(path.read_text())
            self._functions[module] = {
                node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
            }
        return self._functions[module]

    def _error_classes(self) -> set[str]:
        """The names of the SDK's exception classes (``Raises:`` may name only those)."""
        path = self._module_file("lakefs._exceptions")
        if not path.is_file():
            return set()
        tree = ast.parse(path.read_text())
        return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}

    def raises(self, m: MethodDecl, op: Operation | None, validated: bool) -> list[tuple[str, str]]:
        """The ``Raises:`` entries (see :func:`codegen.docs.raises`)."""
        entries, problems = docs.raises(m, op, validated, self.errors)
        for message in problems:
            self.problem(m.where, message)
        return entries

    def check_expr(self, where: str, expr: str, names: set[str]) -> None:
        """An expression of the mapping, emitted as is: its names must be known, and the ones
        that need an import (``ref_id``, ``validate``) get it."""
        try:
            tree = ast.parse(expr, mode="eval")
        except SyntaxError:
            self.problem(where, f"expression {expr!r} is not valid Python")
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in names | HELPERS | {"validate"}:
                self.problem(where, f"expression {expr!r} uses unknown name {node.id!r}")
            elif isinstance(node, ast.Name) and node.id == "ref_id":
                self.imp.runtime("lakefs._resource", "ref_id")
            elif isinstance(node, ast.Name) and node.id == "validate":
                self.imp.runtime("lakefs", "_validation", alias="validate")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "validate"
                and node.attr not in self._module_functions("lakefs._validation")
            ):
                self.problem(where, f"expression {expr!r}: lakefs._validation has no {node.attr}")

    def check_fields(self, where: str, expr: str, var: str, schema: str | None) -> None:
        """Fields read from the answer (``data['x']``, ``item['x']``) must be in its schema."""
        known = self.spec.schemas.get(schema or "")
        if known is None:
            return
        for field_name in re.findall(rf"\b{var}\[['\"](\w+)['\"]\]", expr):
            if field_name not in known.properties:
                self.problem(where, f"{expr!r} reads {field_name!r}, which {known.name} lacks")

    def checks(self, where: str, params: list[tuple[str, str | None]]) -> tuple[Check, ...]:
        """A check per validated parameter, in order; a validator that returns the value to use
        (a converter: ``utc``, ``unix_seconds``) rebinds the parameter to it."""
        checks = []
        for name, validator in params:
            if validator is None:
                continue
            if validator not in self.validators:
                self.problem(where, f"validator {validator!r} does not exist in lakefs._validation")
                continue
            checks.append(Check(name, validator, converts=validator in self.converters))
            self.imp.runtime("lakefs", "_validation", alias="validate")
        return tuple(checks)

    # -- names and their imports ---------------------------------------------------------

    def annotation(self, where: str, text: str) -> str:
        """``text``, an annotation: each name in it is imported for type checking."""
        names = names_in(text)
        if names is None:
            self.problem(where, f"annotation {text!r} is not valid Python")
            return text
        for name in names:
            if name == self.current or is_builtin(name):
                continue
            module = self.module_of(name)
            if module is None:
                self.problem(
                    where,
                    f"annotation {text!r} uses {name!r}: neither a resource, a types: entry "
                    "nor a builtin",
                )
                continue
            self.imp.typing(module, name)
        return text

    def default(self, where: str, text: str) -> str:
        """``text``, a default value: evaluated when the class is made, so a constant it names
        is imported at run time (and must be declared under ``constants:``)."""
        names = names_in(text)
        if names is None:
            self.problem(where, f"default {text!r} is not valid Python")
            return text
        for name in names:
            if name in self.mapping.constants:
                self.imp.runtime(self.mapping.constants[name], name)
            elif not is_builtin(name):
                self.problem(where, f"default {text!r} uses {name!r}, not under constants:")
        return text

    def module_of(self, name: str) -> str | None:
        """Where an annotation's ``name`` is defined, or None when it is unknown."""
        if name in self.resources:
            return f"lakefs._generated.{self.resources[name].module}"
        return self.mapping.types.get(name) or STANDARD_TYPES.get(name)

    def use_resource(self, name: str) -> None:
        """Code builds a ``name`` resource (or inherits from it): imported at run time."""
        if name != self.current:
            self.imp.runtime(f"lakefs._generated.{self.resources[name].module}", name)

    # -- results -----------------------------------------------------------------------------

    def result(
        self,
        m: MethodDecl,
        result: Result,
        var: str,
        names: set[str],
        schema: str | None,
        page: bool = False,
    ) -> tuple[str, Value]:
        """The annotation and the value the result is built as from ``var`` (``page``: an
        item of a listed page, built with the value's ``build_many`` when it has one)."""
        where = m.where
        if result.kind in ("self", "none"):
            return (m.resource if result.kind == "self" else "None"), Value(result.kind)
        if result.kind == "value":
            self.check_expr(where, result.expr or "", names | {var})
            self.check_fields(where, result.expr or "", var, schema)
            if result.expr is None:
                return result.target or "Any", Value("none")
            return result.target or "Any", Value("value", expr=result.expr)
        if result.kind == "new":
            target = self.resources.get(result.target or "")
            if target is None:
                self.problem(where, f"wrapper type {result.target!r} is not a resource")
                return "Any", Value("none")
            if len(result.args) != len(target.identity):
                self.problem(
                    where,
                    f"{target.name} takes {len(target.identity)} identity arguments, "
                    f"{len(result.args)} given",
                )
            for arg in result.args:
                self.check_expr(where, arg, names | {var})
                self.check_fields(where, arg, var, schema)
            self.use_resource(target.name)
            return target.name, Value("new", target=target.name, args=result.args)
        # build: a hand-written value type
        value = self.mapping.values.get(result.target or "")
        if value is None:
            self.problem(where, f"wrapper type {result.target!r} does not exist (see values:)")
            return "Any", Value("none")
        if schema is not None and value.schema != schema:
            self.problem(
                where, f"{value.name} is built from {value.schema}, but the response is {schema}"
            )
        builder = value.build_many if page and value.build_many else value.build
        self.imp.runtime(value.module, builder.split(".")[0])
        return value.annotation, Value("build", target=value.build, var=var)

    # -- methods ----------------------------------------------------------------------------

    def signature(self, where: str, params: tuple[ParamDecl, ...], options: bool) -> Signature:
        """The parameters, keyword-only from the first one declared so; ``options``: with
        ``timeout=`` and ``extra_headers=``."""
        positional: list[Param] = []
        keyword: list[Param] = []
        for p in params:
            annotation = self.annotation(where, p.type)  # problems in the signature's order
            default = self.default(where, p.default) if p.default is not None else None
            param = Param(p.name, annotation, default)
            (keyword if p.keyword or keyword else positional).append(param)
        if options:
            keyword += [Param(n, self.annotation(where, a), "None") for n, a in CALL_OPTIONS]
        return Signature(tuple(positional), tuple(keyword))

    def method(self, res: ResourceDecl, m: MethodDecl) -> Method | None:
        names = {"self", *(p.name for p in m.params)}
        checks = self.checks(m.where, [(p.name, p.validate) for p in m.params])
        if m.child is not None:
            method = self.child_method(res, m, names, checks)
        elif m.impl is not None:
            method = self.impl_method(m)
        else:
            method = self.api_method(m, names, checks)
        if method is not None and method.function is None:
            self.annotation(m.where, method.returns)
        return method

    def child_method(
        self, res: ResourceDecl, m: MethodDecl, names: set[str], checks: tuple[Check, ...]
    ) -> Method | None:
        annotation, value = self.result(m, Result("new", m.child, m.returns.args), "", names, None)
        if not m.doc:
            self.problem(m.where, "has no doc: (its docstring's summary)")
        args = [(p.name, p.doc or "") for p in m.params]
        for name in [n for n, d in args if not d]:
            self.problem(m.where, f"parameter {name!r} has no doc:")
        target = self.resources.get(m.child or "")
        validated = bool(checks) or bool(target and any(i.validate for i in target.identity))
        doc = docs.doc(
            m.doc or f"The {m.child} named by the arguments (no request is sent).",
            "",
            args,
            m.returns_doc or f"The {m.child} (no request is sent)",
            self.raises(m, None, validated and bool(m.params)),
            m.example,
        )
        signature = self.signature(m.where, m.params, False)
        return Method(m.name, signature, annotation, doc, checks, ReturnBody(value))

    def impl_method(self, m: MethodDecl) -> Method | None:
        """The function bound in the class: its signature and docstring, written once in
        ``lakefs.lib``, are the method's. Checked here: it exists under the method's name,
        takes the resource first, and its docstring's ``Args:`` documents each other parameter
        (and no other)."""
        module, _, func = (m.impl or "").partition(":")
        node = self._module_functions(module).get(func)
        if node is None:
            self.problem(m.where, f"implementation {m.impl} does not exist")
            return None
        for op in m.uses:
            if op not in self.spec.operations:
                self.problem(m.where, f"uses unknown operationId {op!r}")
            self.reached.add(op)
        if func != m.name:  # repr, tracebacks and pickled bound methods go by __name__
            self.problem(m.where, f"{m.impl} must be named {m.name!r}, as the method it is")
        for message in verify.impl_doc(m, node):
            self.problem(m.where, message)
        package, _, name = module.rpartition(".")
        alias = "_" + name.lstrip("_")
        self.imp.runtime(package, name, alias=alias)
        return Method(m.name, function=BoundFunction(alias, func))

    def api_method(
        self, m: MethodDecl, names: set[str], checks: tuple[Check, ...]
    ) -> Method | None:
        op = self.spec.operations.get(m.operation or "")
        if op is None:
            self.problem(m.where, f"unknown operationId {m.operation!r}")
            return None
        self.reached.add(op.id)
        where = f"{m.where} ({op.id}: {op.method} {op.path})"
        for message in verify.validated_once(m):
            self.problem(where, message)
        call, arg_docs = self.bindings(m, op, where, names)
        if m.paginate is not None:
            return self.paginated(m, op, where, names, checks, call, arg_docs)
        schema = op.response.name if op.response else None
        annotation, value = self.result(m, m.returns, "data", names, schema)
        call = self.request(op, replace(call, raw=op.response is None and value.computed))
        params = m.params
        if m.exist_ok:
            params = (*params, ParamDecl("exist_ok", "bool", "False", keyword=True))
            arg_docs.append(("exist_ok", "return it as it is when it exists already (never moved)"))
            self.imp.runtime("lakefs._exceptions", "ConflictError")
            body = RequestBody(call, result=Value("self"), exist_ok=True)
        elif not value.computed:
            body = RequestBody(call, result=value if value.kind == "self" else None)
        elif m.missing is not None:  # a 404 is an answer: it does not exist
            self.check_expr(m.where, m.missing, names)
            assign = _reads(value, "data")
            answer = self.typed(op) if assign else None
            self.imp.runtime("lakefs._exceptions", "NotFoundError")
            body = RequestBody(call, assign, answer, value, missing=m.missing)
        else:
            body = RequestBody(call, True, self.typed(op), value)
        returns = self.returns_doc(m, m.returns, annotation)
        doc = self.method_doc(m, op, arg_docs, bool(checks), returns)
        signature = self.signature(where, params, True)
        return Method(m.name, signature, annotation, doc, checks, body)

    def returns_doc(self, m: MethodDecl, result: Result, annotation: str) -> str | None:
        """The ``Returns:`` text (see :func:`codegen.docs.returns`)."""
        text, problems = docs.returns(m, result, annotation)
        for message in problems:
            self.problem(m.where, message)
        return text

    def method_doc(
        self,
        m: MethodDecl,
        op: Operation,
        arg_docs: list[tuple[str, str]],
        validated: bool,
        returns: str | None,
    ) -> Doc:
        """The docstring of an operation's method; a parameter without a doc (the mapping's or
        the spec's) is a problem: its ``Args:`` entry would be missing."""
        for name in [n for n, d in arg_docs if not d]:
            self.problem(m.where, f"parameter {name!r} has no doc: (and the spec says nothing)")
        if not (m.doc or op.summary):
            self.problem(m.where, "has no doc: (and the spec's operation has no summary)")
        return docs.doc(
            m.doc or op.summary,
            op.description,
            [*arg_docs, *docs.CALL_OPTION_DOCS],
            returns,
            self.raises(m, op, validated),
            m.example,
        )

    def paginated(
        self,
        m: MethodDecl,
        op: Operation,
        where: str,
        names: set[str],
        checks: tuple[Check, ...],
        call: Call,
        arg_docs: list[tuple[str, str]],
    ) -> Method | None:
        assert m.paginate is not None
        declared = {p.name for p in m.params}
        if "max_amount" not in declared:
            self.problem(where, "a paginated method must declare max_amount")
        for p in PAGINATION:
            if p not in op.params:
                self.problem(where, f"paginate: the operation has no {p!r} parameter")
        if op.response is None or op.response.list_item is None:
            self.problem(where, "paginate: the response is not a paginated list")
            return None
        item_schema = op.response.list_item
        annotation, item = self.result(m, m.paginate, "item", names, item_schema, page=True)
        call = self.request(op, replace(call, paginated=True))
        self.imp.runtime("lakefs._pagination", "Page")
        self.imp.runtime("lakefs._pagination", "Paginator")
        if m.lists is None:
            self.problem(where, "a paginated method must say what it lists (lists:)")
        else:
            self.check_expr(where, m.lists, names)
        value = self.mapping.values.get(m.paginate.target or "") if item.kind == "build" else None
        build_many = value.build_many if value is not None else None
        answer = self.typed(op)
        body = PageBody(call, answer, annotation, item, build_many, "after" in declared, m.lists)
        defaults = [
            ("max_amount", "the most items to yield (None for all)"),
            ("after", "start after this value"),
        ]
        known = {n: d for n, d in defaults if n in declared}
        arg_docs = [(n, d or known.get(n, "")) for n, d in arg_docs if n in declared]
        doc = self.method_doc(m, op, arg_docs, True, self.returns_doc(m, m.paginate, annotation))
        signature = self.signature(where, m.params, True)
        return Method(m.name, signature, annotation, doc, checks, body)

    def typed(self, op: Operation) -> str | None:
        """The annotation of an operation's parsed answer (``wire.Schema``), or None: not JSON."""
        if op.response is None:
            return None
        self.answers.add(op.response.name)
        self.imp.typing("lakefs._generated", "schemas", alias="wire")
        return f"wire.{op.response.name}"

    def bindings(
        self, m: MethodDecl, op: Operation, where: str, names: set[str]
    ) -> tuple[Call, list[tuple[str, str]]]:
        """The route call's arguments (path parameters positional, in the path's order; query
        ones by keyword; ``body=`` a dict), and the docs of the method's parameters."""
        path_args: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        body_fields: list[tuple[str, str]] = []
        param_docs: dict[str, str] = {}
        for key, expr in m.bind.items():
            self.check_expr(where, expr, names)
            if key.startswith("body."):
                prop = key[5:]
                if op.body is None:
                    self.problem(where, f"binds {key} but the operation takes no body")
                    continue
                if prop not in op.body.properties:
                    self.problem(where, f"binds {key}: {op.body.name} has no property {prop!r}")
                    continue
                body_fields.append((prop, expr))
                if expr in names:
                    param_docs.setdefault(expr, op.body.properties[prop])
                continue
            param = op.params.get(key)
            if param is None:
                self.problem(where, f"binds {key!r}, which is not a parameter of the operation")
                continue
            if param.location == "path":
                path_args[key] = expr
            elif param.location == "query":
                query.append((snake(key), expr))
            else:
                self.problem(where, f"binds {param.location} parameter {key!r}: not sent")
                continue
            if expr in names:
                param_docs.setdefault(expr, param.description)
        paginated = m.paginate is not None
        for param in op.params.values():
            if param.name in m.bind or (paginated and param.name in PAGINATION):
                continue
            if param.required:
                self.problem(where, f"required {param.location} parameter {param.name!r} unbound")
        keywords = [snake(k) for k in m.bind if not k.startswith("body.")]
        sdk = verify.sdk_call(op, keywords, paginated, self.sdk_version, self.spec.version)
        for message in sdk:
            self.problem(where, message)
        path = [path_args[n] for n in re.findall(r"{(\w+)}", op.path) if n in path_args]
        defaults: list[tuple[str, object]] = []
        if op.body is not None:
            bound = {k[5:] for k in m.bind if k.startswith("body.")}
            missing = sorted(op.body.required - bound)
            if missing and (bound or op.body_required):
                self.problem(where, f"required body properties {missing} of {op.body.name} unbound")
            if body_fields:
                defaults = self.body_defaults(op, bound)
        call = Call(snake(op.id), tuple(path), tuple(query), tuple(body_fields), tuple(defaults))
        arg_docs = [(p.name, p.doc or param_docs.get(p.name, "")) for p in m.params]
        return call, arg_docs

    def body_defaults(self, op: Operation, bound: set[str]) -> list[tuple[str, object]]:
        """The spec's defaults of the body's unbound properties, sent as ``lakefs_sdk``'s models
        send them (so the same request goes out, and is checked by the same cassettes)."""
        assert op.body is not None
        properties = (self.spec.raw_schemas.get(op.body.name) or {}).get("properties") or {}
        return [
            (prop, node["default"])
            for prop, node in properties.items()
            if prop not in bound
            and isinstance(node, dict)
            and isinstance(node.get("default"), (bool, int, float, str))
        ]

    def request(self, op: Operation, call: Call) -> Call:
        """``call``, sent by a generated method: its route is generated, and imported."""
        self.operations.add(op.id)
        self.imp.runtime("lakefs._generated", "operations", alias="ops")
        return call

    # -- resources -------------------------------------------------------------------------

    def resource(self, res: ResourceDecl) -> Resource:
        where = res.name
        self.current, self.imp = res.name, Imports()
        client = Param("client", self.annotation(where, "Client | None"), "None")
        signature = Signature((*(Param(i.name, "str") for i in res.identity), client))
        checks = self.checks(where, [(i.name, i.validate) for i in res.identity])
        self.imp.runtime("lakefs._resource", "Resource")
        attrs = tuple((i.attr, i.name) for i in res.identity)
        init = Init(signature, docs.init_doc(res), checks, attrs)
        methods = [m for m in (self.method(res, d) for d in res.methods) if m is not None]
        if res.base in self.resources:
            self.use_resource(res.base)
        elif res.base != "Resource":
            self.problem(where, f"base {res.base!r} is neither Resource nor a generated resource")
        imports, type_imports = self.imp.lines()
        return Resource(
            name=res.name,
            module=res.module,
            doc=res.doc,
            base=res.base,
            init=init,
            methods=methods,
            imports=imports,
            type_imports=type_imports,
        )


def _reads(value: Value, var: str) -> bool:
    """Whether ``value`` is computed from ``var`` (say, ``data``: the answer)."""
    texts = {"value": [value.expr or ""], "new": list(value.args), "build": [value.var]}
    return any(re.search(rf"\b{var}\b", text) for text in texts.get(value.kind, []))


def resolve(spec: Spec, mapping: Mapping, src: Path) -> Resolved:
    """Resolve ``mapping`` against ``spec``; ``src`` is where the hand-written modules live."""
    resolver = _Resolver(spec, mapping, src)
    resources = []
    for decl in mapping.resources:
        resources.append(resolver.resource(decl))
    return Resolved(
        resources, resolver.problems, resolver.reached, resolver.answers, resolver.operations
    )
