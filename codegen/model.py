"""The resolved model of a generated module: what each method is, as values.

:mod:`codegen.resolve` builds it from the spec and the mapping (checking everything on the way);
``templates/_macros.j2`` writes it as Python. Expressions taken from the mapping (a binding's
value, a result's ``data['x']``) are carried as they are written there; everything else the
generated code says (a route call, a check, a ``try``, a docstring's layout) is the templates'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

__all__ = [
    "BoundFunction",
    "Call",
    "Check",
    "Doc",
    "Init",
    "Method",
    "PageBody",
    "Param",
    "RequestBody",
    "QueryParam",
    "Resource",
    "ReturnBody",
    "Route",
    "Signature",
    "Value",
]


@dataclass(frozen=True)
class Param:
    """A parameter: ``name: annotation`` (``= default``, an expression, when there is one)."""

    name: str
    annotation: str
    default: str | None = None


@dataclass(frozen=True)
class Signature:
    """The parameters after ``self``: positional ones, then (after ``*``) keyword-only ones."""

    positional: tuple[Param, ...] = ()
    keyword: tuple[Param, ...] = ()


@dataclass(frozen=True)
class Check:
    """``validate.<validator>(name, "name")``; a converter's value rebinds the parameter."""

    name: str
    validator: str
    converts: bool = False


@dataclass(frozen=True)
class Value:
    """What a method returns, or what a listed item becomes.

    ``self``, ``none``; ``value``: the mapping's expression ``expr``; ``new``: the resource
    ``target`` built from ``args`` (and the client); ``build``: the builder ``target`` called with
    the resource and ``var`` (``data``, the answer, or ``item``, a listed one).
    """

    kind: str  # self | none | value | new | build
    expr: str | None = None
    target: str | None = None
    args: tuple[str, ...] = ()
    var: str = "data"

    @property
    def computed(self) -> bool:
        """Whether the result is computed from the answer (not ``self``, not nothing)."""
        return self.kind not in ("self", "none")


@dataclass(frozen=True)
class Call:
    """A route call, ``self._request(ops.<route>, ...)``: the path parameters' values in the
    path's order, query parameters by keyword, a JSON body's properties (the ones bound, then the
    spec's defaults of the others, as values); ``paginated``: with the page's cursor and amount;
    ``raw``: the answer is data, not JSON."""

    route: str
    path: tuple[str, ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    body: tuple[tuple[str, str], ...] = ()
    body_defaults: tuple[tuple[str, object], ...] = ()
    paginated: bool = False
    raw: bool = False


@dataclass(frozen=True)
class ReturnBody:
    """A method that sends nothing: it returns ``result`` (a child resource)."""

    kind: ClassVar[str] = "return"
    result: Value


@dataclass(frozen=True)
class RequestBody:
    """A method that sends one request. ``assign``: the answer is bound to ``data`` (annotated
    with ``answer``, its typed schema, when it is JSON); ``exist_ok``: a 409 is success when the
    caller says so; ``missing``: what a 404 returns instead; ``result``: what it returns (None:
    nothing)."""

    kind: ClassVar[str] = "request"
    call: Call
    assign: bool = False
    answer: str | None = None
    result: Value | None = None
    exist_ok: bool = False
    missing: str | None = None


@dataclass(frozen=True)
class PageBody:
    """A paginated listing: a page fetcher sending ``call``, whose items become ``item`` (or one
    ``build_many`` call for all), wrapped in a lazy ``Paginator`` of ``annotation``s labelled
    ``lists``; ``after``: the method takes an ``after`` parameter to start from."""

    kind: ClassVar[str] = "page"
    call: Call
    answer: str | None
    annotation: str
    item: Value
    build_many: str | None
    after: bool
    lists: str | None


@dataclass(frozen=True)
class Doc:
    """A Google-style docstring's content; ``args`` holds the documented parameters only."""

    summary: str
    description: str = ""
    args: tuple[tuple[str, str], ...] = ()
    returns: str | None = None
    raises: tuple[tuple[str, str], ...] = ()
    example: str | None = None


@dataclass(frozen=True)
class BoundFunction:
    """A function of ``lakefs.lib`` bound as the method: ``<name> = <module>.<function>``."""

    module: str  # the alias the module is imported as
    function: str


@dataclass
class Method:
    """A method ready to render: a ``def`` (``signature``, ``returns``, ``doc``, the checks of
    its arguments, then ``body``), or ``function``, bound in the class as it is."""

    name: str
    signature: Signature = Signature()
    returns: str = ""
    doc: Doc | None = None
    checks: tuple[Check, ...] = ()
    body: ReturnBody | RequestBody | PageBody | None = None
    function: BoundFunction | None = None


@dataclass(frozen=True)
class Init:
    """A resource's ``__init__``: its checks, ``Resource.__init__``, then ``self.attr = name``."""

    signature: Signature
    doc: Doc
    checks: tuple[Check, ...]
    attrs: tuple[tuple[str, str], ...]


@dataclass
class Resource:
    """A resource module ready to render."""

    name: str
    module: str
    doc: str
    base: str
    init: Init
    methods: list[Method]
    imports: list[str] = field(default_factory=list)
    type_imports: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueryParam:
    """A route's query parameter: sent as ``wire``, taken as the keyword ``name``."""

    wire: str
    name: str
    annotation: str
    required: bool


@dataclass(frozen=True)
class Route:
    """A function of ``operations.py``: ``name(transport, *path_params, **query)`` builds the
    operation's method and URL; ``segments``: the path's parts, each a literal or (``True``) a
    parameter's name."""

    name: str
    operation: str
    method: str
    path: str
    summary: str
    path_params: tuple[str, ...]
    segments: tuple[tuple[str, bool], ...]
    query: tuple[QueryParam, ...]
