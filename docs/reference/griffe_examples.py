"""A griffe extension (mkdocs.yml): ``Example:`` sections of the docstrings rendered as code.

The docstrings (Google style) head their doctests ``Example:``, as Napoleon and the style guide
allow, but griffe's Google parser knows only ``Examples:``: under any other title the doctest is
plain Markdown, where each ``>>>`` opens three nested block quotes, the code loses its lines and
a list shown as a result (``['a.csv']`` under ``[entry.path ...]``) reads as a reference link
(a strict-mode warning). Each docstring's ``Example:`` header line is read as ``Examples:``, so
its ``>>>`` lines become a ``pycon`` code block (doctest flags trimmed) and the prose between
them stays prose. The source is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADER = re.compile(r"^(?P<indent>[ \t]*)Example:[ \t]*$", re.MULTILINE)


class DoctestExamples(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and "Example:" in obj.docstring.value:
            obj.docstring.value = _HEADER.sub(r"\g<indent>Examples:", obj.docstring.value)
