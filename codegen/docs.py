"""The content of generated docstrings (``templates/_macros.j2``'s ``docstring`` lays it out):
the mapping's and the spec's texts, and the generator's own where both are silent.

Each function that can find a problem returns its messages with its value (the resolver names
the entry)."""

from __future__ import annotations

from codegen.mapping import MethodDecl, ResourceDecl, Result
from codegen.model import Doc
from codegen.spec import Operation

__all__ = ["CALL_OPTION_DOCS", "doc", "init_doc", "raises", "returns"]

# The error statuses of an operation's responses a user would catch, as the SDK raises them.
ERROR_CLASSES = {"404": "NotFoundError", "409": "ConflictError"}
CALL_OPTION_DOCS = (
    ("timeout", "each request's timeout (None: the client's)"),
    ("extra_headers", "headers added to each request sent to lakeFS"),
)
VALIDATION_DOC = "an argument is malformed (raised before any request is sent)"


def doc(
    summary: str,
    description: str,
    args: list[tuple[str, str]],
    returns: str | None = None,
    raises: list[tuple[str, str]] | None = None,
    example: str | None = None,
) -> Doc:
    """A docstring's content: ``args`` without a text get no entry."""
    documented = tuple((name, text) for name, text in args if text)
    return Doc(summary, description, documented, returns, tuple(raises or ()), example)


def init_doc(res: ResourceDecl) -> Doc:
    """A resource's ``__init__``: it refers to one, and checks its identity."""
    validated = [i.name for i in res.identity if i.validate]
    return doc(
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


def raises(
    m: MethodDecl, op: Operation | None, validated: bool, errors: set[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """The ``Raises:`` entries: ``ValidationError`` when an argument is checked, the
    spec's 404 and 409 answers (a ``missing:`` 404 is an answer, not an error), then what
    the mapping's ``raises:`` says (its text wins over the spec's); ``errors``: the SDK's
    exception classes (none known: any name)."""
    found: dict[str, str] = {}
    problems = []
    if validated:
        found["ValidationError"] = VALIDATION_DOC
    for code, description in (op.errors if op is not None else {}).items():
        name = ERROR_CLASSES.get(code)
        if name is None or (code == "404" and m.missing is not None):
            continue
        found[name] = description or name
    for name, text in m.raises.items():
        if errors and name not in errors:
            problems.append(f"raises {name!r}, which lakefs._exceptions does not define")
        found[name] = text
    if op is not None and not found:  # it sends a request: what any answer may raise
        found["APIStatusError"] = "lakeFS refused the request (its subclass names the status)"
    return list(found.items()), problems


def returns(m: MethodDecl, result: Result, annotation: str) -> tuple[str | None, list[str]]:
    """The ``Returns:`` text: the mapping's ``returns_doc:``, else one per result kind (an
    expression's value has none: the mapping must say what it means)."""
    if m.returns_doc:
        return m.returns_doc, []
    if m.paginate is not None:
        return (
            f"A lazy Paginator of {annotation}: no request is sent until it is iterated, "
            "then one per page"
        ), []
    if result.kind == "none":
        return None, []
    if result.kind == "self":
        return f"This {m.resource.lower()}", []
    if result.kind == "value":
        return None, ["returns a value: say what it is with returns_doc:"]
    return f"The {annotation}", []
