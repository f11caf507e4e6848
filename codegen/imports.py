"""What a generated module imports, declared by each piece of code as it is emitted.

The resolver never searches the code it produced for names: whoever writes a line that uses a
name also says where the name comes from (:meth:`Imports.runtime` for code that runs,
:meth:`Imports.typing` for annotations, imported under ``TYPE_CHECKING``). Annotations and
default values taken from the mapping are parsed (``ast``), and each name in them must be known:
a resource, a ``types:`` or ``constants:`` entry, or a builtin.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

__all__ = ["Imports", "Import", "names_in"]

# Names the generator's own code uses in annotations (the mapping's names are under ``types:``).
STANDARD_TYPES = {
    "Any": "typing",
    "Mapping": "collections.abc",
    "Client": "lakefs._client",
    "RequestTimeout": "lakefs._client",
    "Paginator": "lakefs._pagination",
}


@dataclass(frozen=True, order=True)
class Import:
    """``from module import name`` (``as alias`` when given)."""

    module: str
    name: str
    alias: str | None = None

    def __str__(self) -> str:
        line = f"from {self.module} import {self.name}"
        return f"{line} as {self.alias}" if self.alias else line


@dataclass
class Imports:
    """The imports of one module: those code needs at run time, and those only annotations do."""

    needed: set[Import] = field(default_factory=set)
    for_typing: set[Import] = field(default_factory=set)

    def runtime(self, module: str, name: str, alias: str | None = None) -> None:
        """The module's code uses ``name`` (or ``alias``) when it runs."""
        self.needed.add(Import(module, name, alias))

    def typing(self, module: str, name: str, alias: str | None = None) -> None:
        """Only an annotation uses ``name``: imported under ``TYPE_CHECKING``."""
        self.for_typing.add(Import(module, name, alias))

    def lines(self) -> tuple[list[str], list[str]]:
        """The ``from ... import ...`` lines: run time, then annotations only."""
        runtime = sorted(str(i) for i in self.needed)
        typing = sorted(str(i) for i in self.for_typing - self.needed)
        return runtime, typing


def names_in(source: str, mode: str = "eval") -> list[str] | None:
    """The free names a Python expression uses, in order (None when it is not valid Python)."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return None
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in seen:
            seen.append(node.id)
    return seen


def is_builtin(name: str) -> bool:
    """``str``, ``None``, ``dict``: names Python has without an import."""
    return hasattr(builtins, name)
