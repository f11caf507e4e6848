"""Stage 1b: ``mapping.yaml``, the single place a resource method is declared, as typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class MappingError(Exception):
    """The mapping file itself is malformed (not a problem found by resolving it)."""


@dataclass(frozen=True)
class ParamDecl:
    """A Python parameter of a generated method."""

    name: str
    type: str
    default: str | None = None
    validate: str | None = None
    doc: str | None = None
    keyword: bool = False  # this and every later parameter are keyword-only


@dataclass(frozen=True)
class Result:
    """How a response (``data``) or a listed item (``item``) becomes what the method returns.

    Exactly one of: ``self``/``none`` (kind), ``new`` (a resource built from ``args``),
    ``build`` (a hand-written value type's ``_from_json``), ``value`` (an expression).
    """

    kind: str  # self | none | new | build | value
    target: str | None = None  # the resource or value type, or the annotation for value
    args: tuple[str, ...] = ()
    expr: str | None = None


@dataclass(frozen=True)
class MethodDecl:
    """One method of a resource.

    An ``impl`` method is its function, bound in the class: its signature (overloads
    included), types, defaults and docstring are the function's, written once there; the
    mapping only names it and the operations it sends (``uses``).
    """

    resource: str
    name: str
    where: str  # "Resource.method", for error messages
    operation: str | None = None
    impl: str | None = None
    child: str | None = None
    params: tuple[ParamDecl, ...] = ()
    bind: dict[str, str] = field(default_factory=dict)
    returns: Result = Result("none")
    paginate: Result | None = None
    doc: str | None = None
    uses: tuple[str, ...] = ()
    exist_ok: bool = False  # a keyword ``exist_ok``: a 409 (it exists) then returns self
    missing: str | None = None  # what to return on a 404 (say, ``False`` for exists())
    returns_doc: str | None = None  # the docstring's Returns: text (a default per result kind)
    raises: dict[str, str] = field(default_factory=dict)  # error class -> when it is raised
    example: str | None = None  # the docstring's Example: (``>>>`` lines, run by a test)
    lists: str | None = None  # a paginated method's Paginator label: a Python expression


@dataclass(frozen=True)
class IdentityDecl:
    """A constructor argument of a resource (its identity)."""

    name: str
    attr: str
    validate: str | None = None
    doc: str | None = None


@dataclass(frozen=True)
class ResourceDecl:
    """A resource class to generate."""

    name: str
    module: str
    doc: str
    base: str
    identity: tuple[IdentityDecl, ...]
    methods: tuple[MethodDecl, ...]


@dataclass(frozen=True)
class ValueDecl:
    """A hand-written value type that generated methods may build from a response schema."""

    name: str
    module: str
    schema: str
    annotation: str
    build: str  # a callable of ``module``: build(owner, json) -> the value
    build_many: str | None = None  # optional: build_many(owner, [json, ...]) -> [value, ...]


@dataclass(frozen=True)
class Mapping:
    """The whole mapping file."""

    resources: tuple[ResourceDecl, ...]
    values: dict[str, ValueDecl]
    types: dict[str, str]  # extra annotation names -> the module that defines them
    constants: dict[str, str] = field(default_factory=dict)  # default values -> their module
    operations: tuple[str, ...] = ()  # operations hand-written code sends itself


def _result(raw: Any, where: str) -> Result:
    if raw in (None, "none"):
        return Result("none")
    if raw == "self":
        return Result("self")
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: returns must be self, none or a mapping, not {raw!r}")
    if "new" in raw:
        return Result("new", raw["new"], tuple(str(a) for a in raw.get("args", ())))
    if "build" in raw:
        return Result("build", raw["build"])
    if "value" in raw:
        return Result("value", str(raw.get("type", "Any")), expr=str(raw["value"]))
    raise MappingError(f"{where}: returns needs one of new, build or value")


_PARAM_KEYS = frozenset({"name", "type", "default", "validate", "doc", "keyword"})
_IMPL_KEYS = frozenset({"name", "impl", "uses"})


def _param(raw: Any, where: str) -> ParamDecl:
    if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
        raise MappingError(f"{where}: a parameter needs a name and a type: {raw!r}")
    unknown = sorted(set(raw) - _PARAM_KEYS, key=str)
    if unknown:
        raise MappingError(f"{where}: parameter {raw['name']!r} has unknown keys {unknown}")
    default = raw.get("default")
    return ParamDecl(
        name=str(raw["name"]),
        type=str(raw["type"]),
        default=None if default is None else str(default),
        validate=raw.get("validate"),
        doc=raw.get("doc"),
        keyword=bool(raw.get("keyword")),
    )


def _method(resource: str, raw: dict[str, Any]) -> MethodDecl:
    name = raw.get("name")
    where = f"{resource}.{name}"
    if not name:
        raise MappingError(f"{resource}: a method has no name")
    kinds = [k for k in ("operation", "impl", "child") if k in raw]
    if len(kinds) != 1:
        raise MappingError(f"{where}: give exactly one of operation, impl or child")
    extra = sorted(set(raw) - _IMPL_KEYS, key=str) if "impl" in raw else []
    if extra:
        raise MappingError(
            f"{where}: an impl method is its function ({raw['impl']}): its signature, types, "
            f"defaults and docstring are written there; give only {sorted(_IMPL_KEYS)}, "
            f"not {extra}"
        )
    paginate = raw.get("paginate")
    exist_ok = bool(raw.get("exist_ok"))
    if exist_ok and (raw.get("operation") is None or raw.get("returns") != "self"):
        raise MappingError(f"{where}: exist_ok needs an operation that returns self")
    missing = raw.get("missing")
    if missing is not None and raw.get("operation") is None:
        raise MappingError(f"{where}: missing needs an operation")
    raises = raw.get("raises") or {}
    if not isinstance(raises, dict) or not all(isinstance(v, str) for v in raises.values()):
        raise MappingError(f"{where}: raises maps an error class to when it is raised: {raises!r}")
    if raw.get("lists") is not None and paginate is None:
        raise MappingError(f"{where}: lists labels a paginated method's Paginator")
    return MethodDecl(
        resource=resource,
        name=name,
        where=where,
        exist_ok=exist_ok,
        missing=None if missing is None else str(missing),
        operation=raw.get("operation"),
        impl=raw.get("impl"),
        child=raw.get("child"),
        params=tuple(_param(p, where) for p in raw.get("params") or ()),
        bind={str(k): str(v) for k, v in (raw.get("bind") or {}).items()},
        returns=(
            Result(
                "new",
                raw["child"],
                tuple(str(a) for a in (raw.get("returns") or {}).get("args", ())),
            )
            if "child" in raw
            else _result(raw.get("returns"), where)
        ),
        paginate=_result(paginate, where) if paginate is not None else None,
        doc=raw.get("doc"),
        uses=tuple(raw.get("uses") or ()),
        returns_doc=raw.get("returns_doc"),
        raises={str(k): " ".join(str(v).split()) for k, v in raises.items()},
        example=None if raw.get("example") is None else str(raw["example"]).rstrip(),
        lists=None if raw.get("lists") is None else str(raw["lists"]),
    )


def load(path: Path) -> Mapping:
    """Load and shape-check ``mapping.yaml``."""
    doc = yaml.safe_load(path.read_text()) or {}
    values = {
        name: ValueDecl(
            name,
            v["module"],
            v["schema"],
            v.get("type", name),
            v.get("build", f"{name}._from_json"),
            v.get("build_many"),
        )
        for name, v in (doc.get("values") or {}).items()
    }
    resources = []
    for name, raw in (doc.get("resources") or {}).items():
        identity = tuple(
            IdentityDecl(i["name"], i.get("attr", i["name"]), i.get("validate"), i.get("doc"))
            for i in raw.get("identity") or ()
        )
        resources.append(
            ResourceDecl(
                name=name,
                module=raw.get("module", name.lower()),
                doc=(raw.get("doc") or "").strip(),
                base=raw.get("base", "Resource"),
                identity=identity,
                methods=tuple(_method(name, m) for m in raw.get("methods") or ()),
            )
        )
    types = {str(k): str(v) for k, v in (doc.get("types") or {}).items()}
    constants = {str(k): str(v) for k, v in (doc.get("constants") or {}).items()}
    operations = tuple(str(o) for o in doc.get("operations") or ())
    return Mapping(tuple(resources), values, types, constants, operations)
