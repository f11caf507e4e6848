"""Every public name has a Google-style docstring with the sections it needs, and the examples of
the most used methods run against a real lakeFS.

The rule the offline check (``test_public_docstrings``) enforces, over ``lakefs.__all__``,
``lakefs.fs.__all__`` and ``lakefs.testing.__all__``, each class's public methods and properties
(those written in the SDK: what a class inherits from the standard library or fsspec is theirs),
and the dunder methods the SDK writes:

* every class, function, method and property has a summary line;
* properties and dunder methods need the summary only;
* ``Args:`` iff the signature has parameters besides ``self``/``cls``, and it names each of them
  (``*args``/``**kwargs`` excepted); a class's constructor arguments are documented in the class
  docstring or in ``__init__``'s (mkdocstrings merges the two);
* the request options (``timeout``, ``extra_headers``: :data:`REQUEST_OPTIONS`), which mean the
  same on every method taking them, may instead be documented once in the docstring of the
  method's class (or of a class it inherits from) under a ``Request options:`` section naming
  them as ``Args:`` does; that section names nothing else;
* ``Returns:`` (``Yields:`` for a generator) iff the return annotation is not ``None``;
* ``Raises:`` for every function or method that validates input or sends a request: one that
  takes an argument (every argument is checked: a bad one is a ``ValidationError`` before any
  request), a class whose constructor takes one, and one that sends a request (a resource
  method with an ``operation:`` or ``uses:`` in ``codegen/mapping.yaml``; any other function
  whose code reaches a route or a resource method, by the call graph ``make generate`` checks
  ``uses:`` with).

The twenty most used methods (``EXAMPLES``) also have an ``Example:`` section of ``>>>`` lines;
``test_examples_run`` runs them with doctest against a real local lakeFS (live mode only), with
``lakefs`` configured for the test server and ``repo`` and ``branch`` names of a fresh repository
in the namespace.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pytest

import lakefs
from lakefs import _client
from tests.test_docs import docs_environment  # noqa: F401  (the pages' environment, reused)

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

MODULES = ("lakefs", "lakefs.fs", "lakefs.testing")

SECTION_NAMES = {
    "args": "Args",
    "request options": "Request options",
    "arguments": "Args",
    "parameters": "Args",
    "params": "Args",
    "keyword args": "Keyword Args",
    "keyword arguments": "Keyword Args",
    "other parameters": "Other Parameters",
    "returns": "Returns",
    "return": "Returns",
    "yields": "Yields",
    "yield": "Yields",
    "raises": "Raises",
    "exceptions": "Raises",
    "example": "Example",
    "examples": "Example",
    "attributes": "Attributes",
    "note": "Note",
    "notes": "Note",
    "warning": "Warning",
    "warnings": "Warning",
    "warns": "Warns",
    "see also": "See Also",
    "todo": "Todo",
}
_SECTION = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_ENTRY = re.compile(r"^ {4}\*{0,2}(\w+)(?:\s*\([^)]*\))?\s*:")


@dataclass(frozen=True)
class Docstring:
    """A docstring cut into its summary and its Google-style sections."""

    summary: str
    sections: dict[str, str]  # canonical title -> the section's indented body

    @classmethod
    def parse(cls, text: str | None) -> Docstring:
        lines = inspect.cleandoc(text or "").splitlines()
        summary = lines[0].strip() if lines else ""
        sections: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in lines[1:]:
            match = _SECTION.match(line)
            if match and match[1].lower() in SECTION_NAMES:
                current = sections.setdefault(SECTION_NAMES[match[1].lower()], [])
            elif current is not None:
                if line and not line.startswith(" "):
                    current = None  # prose after the section
                else:
                    current.append(line)
        return cls(summary, {k: "\n".join(v) for k, v in sections.items()})

    def entries(self, section: str) -> list[str]:
        """The names a section lists (``name (type): text`` lines at its first indentation)."""
        return [
            m[1]
            for line in self.sections.get(section, "").splitlines()
            if (m := _ENTRY.match(line))
        ]


@dataclass(frozen=True)
class Member:
    """One documented thing of the public API."""

    name: str  # lakefs.Branch.commit_changes
    kind: str  # class | function | method | property | dunder
    obj: Any
    owner: type | None = None

    @property
    def function(self) -> Callable[..., Any] | None:
        return self.obj if self.kind in ("function", "method", "dunder") else None

    @property
    def file(self) -> str:
        """Where it is written, relative to ``src/`` (a class by the file defining it: the
        package renames its public classes' module to ``lakefs``)."""
        if self.kind == "class":
            return _class_file(self.obj.__name__)
        target = self.obj.fget if isinstance(self.obj, property) else self.obj
        if isinstance(target, cached_property):
            target = target.func
        path = Path(inspect.getsourcefile(inspect.unwrap(target)) or "?")
        return str(path.relative_to(SRC)) if path.is_relative_to(SRC) else str(path)


@cache
def _class_file(name: str) -> str:
    pattern = re.compile(rf"^class {name}\b", re.M)
    for path in sorted((SRC / "lakefs").rglob("*.py")):
        if pattern.search(path.read_text()):
            return str(path.relative_to(SRC))
    return "?"


def _ours(obj: object) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module == "lakefs" or module.startswith("lakefs.")


def _unwrap(raw: object) -> object:
    return raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw


def public_members() -> Iterator[Member]:
    """Every public name of :data:`MODULES`, then its classes' members (each defined once)."""
    seen: set[int] = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if inspect.isclass(obj):
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
                yield Member(qualified, "class", obj)
                yield from _class_members(obj, qualified, seen)
            elif inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield Member(qualified, "function", obj)


def _class_members(cls: type, qualified: str, seen: set[int]) -> Iterator[Member]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for name, raw in vars(klass).items():
            if name in names:
                continue
            names.add(name)
            dunder = name.startswith("__") and name.endswith("__")
            if name.startswith("_") and not dunder:
                continue
            obj = _unwrap(raw)
            if isinstance(obj, (property, cached_property)):
                kind = "property"
            elif inspect.isfunction(obj):
                if not _ours(obj):
                    continue  # dataclass-made __eq__ and the like
                kind = "dunder" if dunder else "method"
            else:
                continue
            if name in ("__init__", "__post_init__"):
                continue  # the class's rule covers its constructor
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield Member(f"{qualified}.{name}", kind, obj, cls)


def _parameters(func: Callable[..., Any], owner: type | None) -> list[str]:
    """The named parameters of ``func``'s ``def`` (as griffe reads them: a ``__signature__``
    set at run time, ``init``'s, is not what the documentation shows), ``self`` aside; through
    decorators (``functools.wraps``: ``lakefs.fs``' error translation), the wrapped ``def``'s."""
    func = inspect.unwrap(func)
    code = func.__code__
    named = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    params = [p for p in inspect.signature(func).parameters.values() if p.name in named]
    params = params or [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in named
    ]
    if (
        owner is not None
        and params
        and not isinstance(inspect.getattr_static(owner, func.__name__, None), staticmethod)
    ):
        params = params[1:]
    return [
        p.name
        for p in params
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _returns_something(func: Callable[..., Any]) -> bool:
    annotation = inspect.signature(func).return_annotation
    if annotation is inspect.Signature.empty:
        return False
    text = (
        annotation
        if isinstance(annotation, str)
        else getattr(annotation, "__name__", str(annotation))
    )
    return text not in ("None", "NoReturn", "Never")


def _is_generator(func: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(func)


# -- what sends a request, what validates ---------------------------------------------------

VALIDATION_ERROR = ("lakefs._exceptions", "ValidationError")


@cache
def _mapping() -> Any:
    from codegen import mapping as mapping_mod

    return mapping_mod.load(ROOT / "codegen" / "mapping.yaml")


@cache
def _graph() -> Any:
    from codegen import callgraph
    from codegen import spec as spec_mod
    from codegen.__main__ import committed_spec
    from lakefs.testing._build import lakefs_version

    spec = spec_mod.load(committed_spec(lakefs_version()), lakefs_version())
    return callgraph.CallGraph(SRC, spec)


@cache
def _sending_methods() -> frozenset[str]:
    """The names of the resource methods that send a request (hand-written code calls them on
    values whose type the call graph does not know: ``branch.commit_changes(...)``)."""
    return frozenset(
        m.name for res in _mapping().resources for m in res.methods if m.operation or m.uses
    )


def _node(func: Callable[..., Any]) -> tuple[str, str]:
    qualname = func.__qualname__
    return func.__module__, func.__name__ if "<" in qualname else qualname


def sends_or_validates(func: Callable[..., Any]) -> tuple[bool, bool]:
    """Whether ``func`` sends a request, and whether it validates input (see the module's
    docstring): a generated method by its mapping entry, any other by the call graph."""
    module, node = _node(func)
    if module.startswith("lakefs._generated."):
        resource, _, name = node.partition(".")
        res = next(r for r in _mapping().resources if r.name == resource)
        if name == "__init__":
            return False, any(i.validate for i in res.identity)
        decl = next(m for m in res.methods if m.name == name)
        sends = bool(decl.operation or decl.uses)
        # every parameter is checked, a child's by the resource it builds
        return sends, bool(decl.params) or any(p.validate for p in decl.params)
    graph = _graph()
    sends = bool(graph.operations(module, node)) or bool(
        graph.methods_called(module, node) & _sending_methods()
    )
    return sends, VALIDATION_ERROR in graph.reached(module, node)


# -- the check ------------------------------------------------------------------------------


def _constructor(cls: type) -> Callable[..., Any] | None:
    """The constructor the SDK wrote for ``cls`` (not a dataclass-made one), if any."""
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        if not _ours(klass) or not inspect.isfunction(init):
            return None
        if not Path(init.__code__.co_filename).is_file():
            return None  # made by @dataclass: its fields are the class's Attributes
        return init
    return None


REQUEST_OPTIONS = frozenset({"timeout", "extra_headers"})
"""The parameters a class's ``Request options:`` section may document for all its methods."""


def request_options(owner: type | None) -> frozenset[str]:
    """The request options ``owner``'s docstring (or a class it inherits from) documents once for
    its methods, in a ``Request options:`` section."""
    if owner is None:
        return frozenset()
    names: set[str] = set()
    for klass in owner.__mro__:
        if _ours(klass):
            names.update(Docstring.parse(klass.__doc__).entries("Request options"))
    return frozenset(names & REQUEST_OPTIONS)


def _class_missing(cls: type, doc: Docstring) -> list[str]:
    missing: list[str] = []
    if issubclass(cls, BaseException):
        return missing  # caught, not built: its attributes are what a user reads
    init = _constructor(cls)
    checks = [f for f in (init, vars(cls).get("__post_init__")) if inspect.isfunction(f)]
    params = _parameters(init, cls) if init is not None else []
    merged = Docstring.parse(
        f"{cls.__doc__ or ''}\n\n{inspect.cleandoc(init.__doc__ or '') if init else ''}"
    )
    absent = [p for p in params if p not in merged.entries("Args")]
    if absent:
        missing.append(f"Args ({', '.join(absent)})")
    if any(any(sends_or_validates(f)) for f in checks) and "Raises" not in merged.sections:
        missing.append("Raises")
    return missing


def missing_sections(member: Member) -> list[str]:
    """The sections ``member``'s docstring lacks by the module's rule (empty when complete)."""
    raw = member.obj.__doc__ if member.kind == "class" else inspect.getdoc(member.obj)
    doc = Docstring.parse(raw)
    missing = [] if doc.summary else ["summary"]
    if member.kind in ("property", "dunder"):
        return missing
    if member.kind == "class":
        strays = set(doc.entries("Request options")) - REQUEST_OPTIONS
        if strays:
            missing.append(f"Request options naming only request options ({sorted(strays)})")
        return missing + _class_missing(member.obj, doc)
    func = member.function
    assert func is not None
    params = _parameters(func, member.owner)
    documented = {*doc.entries("Args"), *request_options(member.owner)}
    absent = [p for p in params if p not in documented]
    if absent:
        missing.append(f"Args ({', '.join(absent)})")
    if _returns_something(func) and not ({"Returns", "Yields"} & set(doc.sections)):
        missing.append("Returns")
    if any(sends_or_validates(func)) and "Raises" not in doc.sections:
        missing.append("Raises")
    return missing


def test_public_docstrings() -> None:
    """Every public name has the sections the module's rule asks for."""
    problems = [
        f"{m.file}: {m.name}: {', '.join(missing)}"
        for m in public_members()
        if (missing := missing_sections(m))
    ]
    assert not problems, f"{len(problems)} docstring(s) lack sections:\n" + "\n".join(problems)


# -- the examples of the most used methods --------------------------------------------------

EXAMPLES = (
    "lakefs.init",
    "lakefs.repository",
    "lakefs.Repository.create",
    "lakefs.Repository.branch",
    "lakefs.Repository.tag",
    "lakefs.Branch.create",
    "lakefs.Branch.upload",
    "lakefs.Branch.commit_changes",
    "lakefs.Branch.delete_objects",
    "lakefs.Branch.upload_folder",
    "lakefs.Branch.transaction",
    "lakefs.Branch.import_from",
    "lakefs.Reference.list_objects",
    "lakefs.Reference.diff",
    "lakefs.Reference.log",
    "lakefs.Reference.merge_into",
    "lakefs.Reference.open",
    "lakefs.Reference.download_file",
    "lakefs.Reference.download_folder",
    "lakefs.Reference.stat_object",
)
"""The twenty methods used most: each has an ``Example:`` that runs (no ``+SKIP``)."""

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _resolve(name: str) -> Any:
    obj: Any = importlib.import_module("lakefs")
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def example_test(name: str, globs: dict[str, Any]) -> doctest.DocTest:
    """The ``>>>`` lines of ``name``'s docstring as one doctest (named after it)."""
    doc = inspect.getdoc(_resolve(name)) or ""
    return doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)


@pytest.mark.parametrize("name", EXAMPLES)
def test_main_methods_have_examples(name: str) -> None:
    """Each of the twenty has an ``Example:`` section of ``>>>`` lines, none skipped."""
    doc = Docstring.parse(inspect.getdoc(_resolve(name)))
    assert "Example" in doc.sections, f"{name} has no Example: section"
    examples = example_test(name, {}).examples
    assert examples, f"{name}'s Example: has no >>> line"
    skipped = [e.source for e in examples if e.options.get(doctest.SKIP)]
    assert not skipped, f"{name}: an example of the main methods must run, not {skipped}"


def test_docstring_parser() -> None:
    """The check's own reading of Google-style sections."""
    doc = Docstring.parse(
        """Do it.

        More prose.

        Args:
            path: the path.
            mode (str): the mode,
                on two lines.
            **kwargs: the rest.

        Returns:
            What it did.

        Example:
            >>> 1 + 1
            2
        """
    )
    assert doc.summary == "Do it."
    assert set(doc.sections) == {"Args", "Returns", "Example"}
    assert doc.entries("Args") == ["path", "mode", "kwargs"]
    assert Docstring.parse(None).summary == ""


def test_request_options_documented_once() -> None:
    """A class's ``Request options:`` section documents ``timeout`` and ``extra_headers`` for
    its methods (and its subclasses'), and nothing else."""

    class Options:
        """Things.

        Request options:
            timeout: the request's timeout.
            extra_headers: headers added to the request.
        """

    class Derived(Options):
        """More things."""

    Options.__module__ = Derived.__module__ = "lakefs.example"

    def size(self: Any, *, timeout: Any = None, extra_headers: Any = None, unit: str = "") -> int:
        """The size.

        Args:
            unit: the unit.

        Returns:
            The size.
        """
        return 0

    size.__module__ = "lakefs.example"
    assert request_options(Derived) == {"timeout", "extra_headers"}
    assert missing_sections(Member("lakefs.Derived.size", "method", size, Derived)) == []
    assert missing_sections(Member("lakefs.Plain.size", "method", size, object)) == [
        "Args (timeout, extra_headers)"
    ]

    class Stray:
        """Things.

        Request options:
            path: not a request option.
        """

    assert missing_sections(Member("lakefs.Stray", "class", Stray)) == [
        "Request options naming only request options (['path'])"
    ]


@pytest.fixture
def import_uri(server: Any, repo: Any) -> str:
    """A prefix of two objects in a directory lakeFS may import from (``local://``)."""
    root = Path(server.import_dir) / f"{repo.id}-raw"
    root.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        (root / f"part-{i}.csv").write_text(f"id\n{i}\n")
    return f"local://{root}/"


@pytest.mark.loopback
@pytest.mark.server("local")
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.usefixtures("docs_environment")
def test_examples_run(name: str, repo: Any, import_uri: str) -> None:
    """The ``Example:`` of ``name`` runs with doctest against the test server: ``lakefs``
    configured by ``LAKECTL_*`` (as the documentation's pages are), ``repo`` a fresh
    repository (its ``main`` branch empty) and ``branch`` its main branch, the current
    directory a fresh temporary one."""
    repository = lakefs.repository(repo.id)
    globs = {
        "lakefs": lakefs,
        "repo": repository,
        "branch": repository.branch("main"),
        "import_uri": import_uri,
    }
    test = example_test(name, globs)
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    try:
        result = runner.run(test, out=out.append, clear_globs=True)
    finally:
        _client._reset_default_client()
    assert result.failed == 0, f"{name}'s example failed:\n" + "".join(out)
