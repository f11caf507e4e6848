"""Stage 2: resolve every mapping entry against the spec into ready-to-render methods.

Every problem is collected (not raised on the first) and names its mapping entry and, where one is
involved, the spec operation and path. Templates receive only finished strings.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from codegen.imports import STANDARD_TYPES, Imports, is_builtin, names_in
from codegen.mapping import Mapping, MethodDecl, ParamDecl, ResourceDecl, Result
from codegen.spec import Operation, Spec, snake

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
class Method:
    """A method ready to render: a ``def``, or (``function`` set) a hand-written function bound
    in the class as it is (``name = function``), its signature and docstring its own."""

    name: str
    params: list[str]
    returns: str
    doc: str
    body: list[str]
    function: str | None = None


@dataclass
class Resource:
    """A resource module ready to render."""

    name: str
    module: str
    doc: str
    base: str
    init_params: list[str]
    init_doc: str
    init_body: list[str]
    methods: list[Method]
    imports: list[str] = field(default_factory=list)
    type_imports: list[str] = field(default_factory=list)


@dataclass
class Resolved:
    """The result of resolving: resources to render, problems, and the operations reached."""

    resources: list[Resource]
    problems: list[Problem]
    reached: set[str]
    answers: set[str] = field(default_factory=set)  # response schemas read: typed answers
    operations: set[str] = field(default_factory=set)  # sent by generated methods: routes


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _documented_args(doc: str) -> list[str]:
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


def _entries(title: str, entries: list[tuple[str, str]]) -> str:
    """A Google-style section of ``name: text`` entries, each wrapped under its name."""
    lines = [f"{title}:"]
    for name, text in entries:
        wrapped = textwrap.wrap(f"{name}: {_sentence(text)}", 88)
        lines.append("    " + wrapped[0])
        lines.extend("        " + w for w in wrapped[1:])
    return "\n".join(lines)


def _docstring(
    summary: str,
    description: str,
    args: list[tuple[str, str]],
    returns: str | None = None,
    raises: list[tuple[str, str]] | None = None,
    example: str | None = None,
) -> str:
    """A Google-style docstring: summary, description, ``Args:``, ``Returns:``, ``Raises:``
    and ``Example:`` (``>>>`` lines, as written)."""
    parts = [textwrap.fill(_sentence(summary) or "Call the lakeFS API.", 88)]
    if description and _sentence(description) != parts[0]:
        parts.append(textwrap.fill(" ".join(description.split()), 92))
    documented = [(n, d) for n, d in args if d]
    if documented:
        parts.append(_entries("Args", documented))
    if returns:
        wrapped = textwrap.wrap(_sentence(returns), 88)
        parts.append("\n".join(["Returns:", *("    " + w for w in wrapped)]))
    if raises:
        parts.append(_entries("Raises", raises))
    if example:
        lines = textwrap.dedent(example).strip("\n").splitlines()
        parts.append("\n".join(["Example:", *(("    " + ln) if ln else "" for ln in lines)]))
    return "\n\n".join(parts)


# The error statuses of an operation's responses a user would catch, as the SDK raises them.
ERROR_CLASSES = {"404": "NotFoundError", "409": "ConflictError"}
CALL_OPTION_DOCS = (
    ("timeout", "each request's timeout (None: the client's)"),
    ("extra_headers", "headers added to each request sent to lakeFS"),
)
VALIDATION_DOC = "an argument is malformed (raised before any request is sent)"


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
        self.sdk_version = _sdk_version()
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
        """The ``Raises:`` entries: ``ValidationError`` when an argument is checked, the
        spec's 404 and 409 answers (a ``missing:`` 404 is an answer, not an error), then what
        the mapping's ``raises:`` says (its text wins over the spec's)."""
        found: dict[str, str] = {}
        if validated:
            found["ValidationError"] = VALIDATION_DOC
        for code, description in (op.errors if op is not None else {}).items():
            name = ERROR_CLASSES.get(code)
            if name is None or (code == "404" and m.missing is not None):
                continue
            found[name] = description or name
        for name, text in m.raises.items():
            if self.errors and name not in self.errors:
                self.problem(m.where, f"raises {name!r}, which lakefs._exceptions does not define")
            found[name] = text
        if op is not None and not found:  # it sends a request: what any answer may raise
            found["APIStatusError"] = "lakeFS refused the request (its subclass names the status)"
        return list(found.items())

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

    def validation_lines(self, where: str, params: list[tuple[str, str | None]]) -> list[str]:
        """A check per validated parameter, in order; a validator that returns the value to use
        (a converter: ``utc``, ``unix_seconds``) rebinds the parameter to it."""
        lines = []
        for name, validator in params:
            if validator is None:
                continue
            if validator not in self.validators:
                self.problem(where, f"validator {validator!r} does not exist in lakefs._validation")
                continue
            check = f'validate.{validator}({name}, "{name}")'
            lines.append(f"{name} = {check}" if validator in self.converters else check)
            self.imp.runtime("lakefs", "_validation", alias="validate")
        return lines

    def check_validated_once(self, where: str, m: MethodDecl) -> None:
        """A binding must not call the validator the parameter's ``validate:`` runs already."""
        validators = {p.name: p.validate for p in m.params if p.validate}
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
                    self.problem(
                        where,
                        f"binds {key} to {expr!r}: {param}'s validate: runs "
                        f"{node.func.attr} already (a converter rebinds {param}): bind {param}",
                    )

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
    ) -> tuple[str, str | None]:
        """The annotation and the expression building the result from ``var`` (``page``: an
        item of a listed page, built with the value's ``build_many`` when it has one)."""
        where = m.where
        if result.kind == "self":
            return m.resource, "self"
        if result.kind == "none":
            return "None", None
        if result.kind == "value":
            self.check_expr(where, result.expr or "", names | {var})
            self.check_fields(where, result.expr or "", var, schema)
            return result.target or "Any", result.expr
        if result.kind == "new":
            target = self.resources.get(result.target or "")
            if target is None:
                self.problem(where, f"wrapper type {result.target!r} is not a resource")
                return "Any", None
            if len(result.args) != len(target.identity):
                self.problem(
                    where,
                    f"{target.name} takes {len(target.identity)} identity arguments, "
                    f"{len(result.args)} given",
                )
            for arg in result.args:
                self.check_expr(where, arg, names | {var})
                self.check_fields(where, arg, var, schema)
            args = ", ".join([*result.args, "client=self._client"])
            self.use_resource(target.name)
            return target.name, f"{target.name}({args})"
        # build: a hand-written value type
        value = self.mapping.values.get(result.target or "")
        if value is None:
            self.problem(where, f"wrapper type {result.target!r} does not exist (see values:)")
            return "Any", None
        if schema is not None and value.schema != schema:
            self.problem(
                where, f"{value.name} is built from {value.schema}, but the response is {schema}"
            )
        builder = value.build_many if page and value.build_many else value.build
        self.imp.runtime(value.module, builder.split(".")[0])
        return value.annotation, f"{value.build}(self, {var})"

    # -- methods ----------------------------------------------------------------------------

    def signature(self, where: str, params: tuple[ParamDecl, ...], options: bool) -> list[str]:
        """The parameters, ``*`` before the first keyword-only one; ``options``: with
        ``timeout=`` and ``extra_headers=``."""
        out = ["self"]
        for p in params:
            if p.keyword and "*" not in out:
                out.append("*")
            param = f"{p.name}: {self.annotation(where, p.type)}"
            if p.default is not None:
                param += f" = {self.default(where, p.default)}"
            out.append(param)
        if options:
            if "*" not in out:
                out.append("*")
            for name, annotation in CALL_OPTIONS:
                out.append(f"{name}: {self.annotation(where, annotation)} = None")
        return out

    def method(self, res: ResourceDecl, m: MethodDecl) -> Method | None:
        names = {"self", *(p.name for p in m.params)}
        checks = self.validation_lines(m.where, [(p.name, p.validate) for p in m.params])
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
        self, res: ResourceDecl, m: MethodDecl, names: set[str], checks: list[str]
    ) -> Method | None:
        annotation, expr = self.result(m, Result("new", m.child, m.returns.args), "", names, None)
        if not m.doc:
            self.problem(m.where, "has no doc: (its docstring's summary)")
        args = [(p.name, p.doc or "") for p in m.params]
        for name in [n for n, d in args if not d]:
            self.problem(m.where, f"parameter {name!r} has no doc:")
        target = self.resources.get(m.child or "")
        validated = bool(checks) or bool(target and any(i.validate for i in target.identity))
        doc = _docstring(
            m.doc or f"The {m.child} named by the arguments (no request is sent).",
            "",
            args,
            m.returns_doc or f"The {m.child} (no request is sent)",
            self.raises(m, None, validated and bool(m.params)),
            m.example,
        )
        body = [*checks, f"return {expr}"]
        return Method(m.name, self.signature(m.where, m.params, False), annotation, doc, body)

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
        self.check_impl_doc(m, node)
        package, _, name = module.rpartition(".")
        alias = "_" + name.lstrip("_")
        self.imp.runtime(package, name, alias=alias)
        return Method(m.name, [], "", "", [], function=f"{alias}.{func}")

    def check_impl_doc(self, m: MethodDecl, node: ast.FunctionDef) -> None:
        """``node``'s first parameter is the resource; its docstring is the method's: a summary
        and an ``Args:`` entry for each parameter after the first, none for another name."""
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        if not positional:
            self.problem(m.where, f"{m.impl} must take the {m.resource} as its first parameter")
            return
        params = [a.arg for a in [*positional[1:], *args.kwonlyargs]]
        params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        doc = ast.get_docstring(node)
        if not doc:
            self.problem(m.where, f"{m.impl} has no docstring (it is the method's)")
            return
        documented = _documented_args(doc)
        for missing in [p for p in params if p not in documented]:
            self.problem(m.where, f"{m.impl}'s docstring documents no {missing!r} under Args:")
        for extra in [d for d in documented if d not in params]:
            self.problem(m.where, f"{m.impl}'s docstring documents {extra!r}, not a parameter")
        sections = {line.rstrip(":") for line in doc.splitlines() if re.fullmatch(r"\w+:", line)}
        returns = ast.unparse(node.returns) if node.returns is not None else "None"
        if returns != "None" and not {"Returns", "Yields"} & sections:
            self.problem(m.where, f"{m.impl}'s docstring has no Returns: (it returns {returns})")
        if (m.uses or params) and "Raises" not in sections:
            self.problem(
                m.where,
                f"{m.impl}'s docstring has no Raises: (it "
                + ("sends requests" if m.uses else "takes arguments")
                + ": say what a caller would catch)",
            )

    def api_method(self, m: MethodDecl, names: set[str], checks: list[str]) -> Method | None:
        op = self.spec.operations.get(m.operation or "")
        if op is None:
            self.problem(m.where, f"unknown operationId {m.operation!r}")
            return None
        self.reached.add(op.id)
        where = f"{m.where} ({op.id}: {op.method} {op.path})"
        self.check_validated_once(where, m)
        kwargs, docs = self.bindings(m, op, where, names)
        if m.paginate is not None:
            return self.paginated(m, op, where, names, checks, kwargs, docs)
        var = "data"
        schema = op.response.name if op.response else None
        annotation, expr = self.result(m, m.returns, var, names, schema)
        call = self.call_lines(op, kwargs, raw=op.response is None and expr not in (None, "self"))
        body = [*checks]
        params = m.params
        if m.exist_ok:
            params = (*params, ParamDecl("exist_ok", "bool", "False", keyword=True))
            docs.append(("exist_ok", "return it as it is when it exists already (never moved)"))
            self.imp.runtime("lakefs._exceptions", "ConflictError")
            body += ["try:", *(f"    {line}" for line in call), "except ConflictError:"]
            body += ["    if not exist_ok:", "        raise", "return self"]
        elif expr is None or expr == "self":
            body += call
            if expr == "self":
                body.append("return self")
        elif m.missing is not None:  # a 404 is an answer: it does not exist
            self.check_expr(m.where, m.missing, names)
            if expr is not None and re.search(rf"\b{var}\b", expr):
                call = [f"{var}{self.typed(op)} = " + call[0], *call[1:]]
            self.imp.runtime("lakefs._exceptions", "NotFoundError")
            body += ["try:", *(f"    {line}" for line in call), "except NotFoundError:"]
            body += [f"    return {m.missing}", f"return {expr}"]
        else:
            raw = op.response is None
            body += [f"{var}{'' if raw else self.typed(op)} = " + call[0], *call[1:]]
            body.append(f"return {expr}")
        doc = self.method_doc(m, op, docs, bool(checks), self.returns_doc(m, m.returns, annotation))
        return Method(m.name, self.signature(where, params, True), annotation, doc, body)

    def returns_doc(self, m: MethodDecl, result: Result, annotation: str) -> str | None:
        """The ``Returns:`` text: the mapping's ``returns_doc:``, else one per result kind (an
        expression's value has none: the mapping must say what it means)."""
        if m.returns_doc:
            return m.returns_doc
        if m.paginate is not None:
            return (
                f"A lazy Paginator of {annotation}: no request is sent until it is iterated, "
                "then one per page"
            )
        if result.kind == "none":
            return None
        if result.kind == "self":
            return f"This {m.resource.lower()}"
        if result.kind == "value":
            self.problem(m.where, "returns a value: say what it is with returns_doc:")
            return None
        return f"The {annotation}"

    def method_doc(
        self,
        m: MethodDecl,
        op: Operation,
        docs: list[tuple[str, str]],
        validated: bool,
        returns: str | None,
    ) -> str:
        """The docstring of an operation's method; a parameter without a doc (the mapping's or
        the spec's) is a problem: its ``Args:`` entry would be missing."""
        for name in [n for n, d in docs if not d]:
            self.problem(m.where, f"parameter {name!r} has no doc: (and the spec says nothing)")
        if not (m.doc or op.summary):
            self.problem(m.where, "has no doc: (and the spec's operation has no summary)")
        return _docstring(
            m.doc or op.summary,
            op.description,
            [*docs, *CALL_OPTION_DOCS],
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
        checks: list[str],
        kwargs: list[str],
        docs: list[tuple[str, str]],
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
        annotation, expr = self.result(m, m.paginate, "item", names, item_schema, page=True)
        call = self.call_lines(op, [*kwargs, "after=cursor", "amount=amount"], indent="    ")
        self.imp.runtime("lakefs._pagination", "Page")
        self.imp.runtime("lakefs._pagination", "Paginator")
        start = "after" if "after" in declared else '""'
        if m.lists is None:
            self.problem(where, "a paginated method must say what it lists (lists:)")
        lists = m.lists or '""'
        self.check_expr(where, lists, names)
        body = [
            *checks,
            f"def fetch_page(cursor: str, amount: int) -> Page[{annotation}]:",
            f"    data{self.typed(op)} = " + call[0],
            *call[1:],
            f"    return self._page(data, {self.items_expr(m.paginate, expr)})",
            "",
            f"return Paginator(fetch_page, max_amount=max_amount, after={start}, lists={lists})",
        ]
        defaults = [
            ("max_amount", "the most items to yield (None for all)"),
            ("after", "start after this value"),
        ]
        known = {n: d for n, d in defaults if n in declared}
        docs = [(n, d or known.get(n, "")) for n, d in docs if n in declared]
        doc = self.method_doc(m, op, docs, True, self.returns_doc(m, m.paginate, annotation))
        returns = f"Paginator[{annotation}]"
        return Method(m.name, self.signature(where, m.params, True), returns, doc, body)

    def items_expr(self, paginate: Result, expr: str | None) -> str:
        """The list of a page's items: one builder call for all, where the value type has one."""
        value = self.mapping.values.get(paginate.target or "") if paginate.kind == "build" else None
        if value is not None and value.build_many:
            return f"{value.build_many}(self, data['results'])"
        return f"[{expr} for item in data['results']]"

    def typed(self, op: Operation) -> str:
        """The annotation of an operation's parsed answer (``: wire.Schema``), or nothing."""
        if op.response is None:
            return ""
        self.answers.add(op.response.name)
        self.imp.typing("lakefs._generated", "schemas", alias="wire")
        return f": wire.{op.response.name}"

    def check_sdk_call(
        self, where: str, op: Operation, keywords: list[str], paginated: bool
    ) -> None:
        """The keywords a generated call passes must be parameters of the ``lakefs_sdk`` method
        it calls, when the installed lakefs_sdk is one the generated code runs on: the spec's
        version or a newer one of its major (pyproject's range; a test's own spec is skipped)."""
        if not _sdk_covers(self.sdk_version, self.spec.version):
            return
        try:
            api_module = importlib.import_module(f"lakefs_sdk.api.{snake(op.sdk_api[:-3])}_api")
        except ImportError:
            return  # not a group of lakeFS's API (a test's own spec)
        try:
            method = getattr(getattr(api_module, op.sdk_api), f"{op.sdk_method}_with_http_info")
        except AttributeError:
            self.problem(where, f"lakefs_sdk has no {op.sdk_api}.{op.sdk_method}_with_http_info")
            return
        accepted = set(inspect.signature(method).parameters)
        wanted = [*keywords, *(["after", "amount"] if paginated else [])]
        if op.body is not None:
            wanted.append(snake(op.body.name))
        for keyword in wanted:
            if keyword not in accepted:
                self.problem(
                    where, f"lakefs_sdk's {op.sdk_api}.{op.sdk_method} takes no {keyword!r}"
                )

    def bindings(
        self, m: MethodDecl, op: Operation, where: str, names: set[str]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """The route call's arguments (path parameters positional, in the path's order; query
        ones by keyword; ``body=`` a dict), and the docs of the method's parameters."""
        path_args: dict[str, str] = {}
        query: list[str] = []
        body_fields: list[str] = []
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
                body_fields.append(f'"{prop}": {expr}')
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
                query.append(f"{snake(key)}={expr}")
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
        self.check_sdk_call(where, op, keywords, paginated)
        args = [path_args[n] for n in re.findall(r"{(\w+)}", op.path) if n in path_args]
        args += query
        if op.body is not None:
            bound = {k[5:] for k in m.bind if k.startswith("body.")}
            missing = sorted(op.body.required - bound)
            if missing and (bound or op.body_required):
                self.problem(where, f"required body properties {missing} of {op.body.name} unbound")
            if body_fields:
                fields = ", ".join([*body_fields, *self.body_defaults(op, bound)])
                args.append(f"body={{{fields}}}")
        docs = [(p.name, p.doc or param_docs.get(p.name, "")) for p in m.params]
        return args, docs

    def body_defaults(self, op: Operation, bound: set[str]) -> list[str]:
        """The spec's defaults of the body's unbound properties, sent as ``lakefs_sdk``'s models
        send them (so the same request goes out, and is checked by the same cassettes)."""
        assert op.body is not None
        properties = (self.spec.raw_schemas.get(op.body.name) or {}).get("properties") or {}
        return [
            f'"{prop}": {node["default"]!r}'
            for prop, node in properties.items()
            if prop not in bound
            and isinstance(node, dict)
            and isinstance(node.get("default"), (bool, int, float, str))
        ]

    def call_lines(
        self, op: Operation, args: list[str], indent: str = "", raw: bool = False
    ) -> list[str]:
        """The route call; ``raw`` when the answer is data, not JSON (say, an object's content)."""
        args = [*args, "timeout=timeout", "extra_headers=extra_headers"]
        if raw:
            args.append("raw=True")
        self.operations.add(op.id)
        self.imp.runtime("lakefs._generated", "operations", alias="ops")
        lines = [f"self._request(ops.{snake(op.id)},"]
        lines += [f"{indent}    {a}," for a in args]
        lines.append(f"{indent})")
        return lines

    # -- resources -------------------------------------------------------------------------

    def resource(self, res: ResourceDecl) -> Resource:
        where = res.name
        self.current, self.imp = res.name, Imports()
        init_params = [
            "self",
            *(f"{i.name}: str" for i in res.identity),
            f"client: {self.annotation(where, 'Client | None')} = None",
        ]
        init_body = self.validation_lines(where, [(i.name, i.validate) for i in res.identity])
        init_body.append("Resource.__init__(self, client)")
        self.imp.runtime("lakefs._resource", "Resource")
        init_body += [f"self.{i.attr} = {i.name}" for i in res.identity]
        validated = [i.name for i in res.identity if i.validate]
        init_doc = _docstring(
            f"Refer to a {res.name.lower()}; no request is sent",
            "",
            [(i.name, i.doc or "") for i in res.identity]
            + [("client", "the client to use; the default client when omitted")],
            raises=[
                (
                    "ValidationError",
                    " or ".join(f"``{name}``" for name in validated)
                    + " is malformed, or ``client`` is not a lakefs.Client",
                )
            ],
        )
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
            init_params=init_params,
            init_doc=init_doc,
            init_body=init_body,
            methods=methods,
            imports=imports,
            type_imports=type_imports,
        )


def _sdk_version() -> str | None:
    try:
        import lakefs_sdk
    except ImportError:  # pragma: no cover - the SDK's dependencies include it
        return None
    return str(lakefs_sdk.__version__)


def _sdk_covers(sdk: str | None, spec: str) -> bool:
    """Whether lakefs_sdk ``sdk`` is of the range generated from ``spec``: same major, not older."""
    parsed = [re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", v or "") for v in (sdk, spec)]
    if parsed[0] is None or parsed[1] is None:
        return False
    have, want = (tuple(map(int, m.groups())) for m in parsed if m is not None)
    return have[0] == want[0] and have >= want


def resolve(spec: Spec, mapping: Mapping, src: Path) -> Resolved:
    """Resolve ``mapping`` against ``spec``; ``src`` is where the hand-written modules live."""
    resolver = _Resolver(spec, mapping, src)
    resources = []
    for decl in mapping.resources:
        resources.append(resolver.resource(decl))
    return Resolved(
        resources, resolver.problems, resolver.reached, resolver.answers, resolver.operations
    )
