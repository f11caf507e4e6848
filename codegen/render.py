"""Stage 3: render one module per resource with jinja2, format it with black, write it."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import black
import jinja2

from codegen.model import Resource, Route
from codegen.typed import Answers


def docstring(text: str, indent: int) -> str:
    """A docstring literal for ``text``, indented for its place."""
    text = text.strip().replace("\\", "\\\\").replace('"""', r"\"\"\"")
    pad = " " * indent
    if "\n" not in text and len(text) + indent + 6 <= 100:
        return f'"""{text}"""'
    if "\n" not in text:
        text = textwrap.fill(text, 96 - indent)
    body = "\n".join((pad + line) if line else "" for line in text.splitlines()[1:])
    first = text.splitlines()[0]
    return f'"""{first}\n{body}\n{pad}"""' if body else f'"""{first}\n{pad}"""'


def sentence(text: str) -> str:
    """``text`` on one line, as a sentence: capitalized, ending with a full stop."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order within one import: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def _merge(imports: list[str]) -> list[str]:
    """``from m import a`` and ``from m import b`` become ``from m import a, b``."""
    names: dict[str, set[str]] = {}
    plain: list[str] = []
    for line in imports:
        match = re.fullmatch(r"from (\S+) import (\w+)", line)
        if match:
            names.setdefault(match.group(1), set()).add(match.group(2))
        else:
            plain.append(line)
    merged = [f"from {m} import {', '.join(sorted(n, key=_isort_key))}" for m, n in names.items()]
    return sorted(plain + merged, key=lambda line: line.split()[1])


def _groups(imports: list[str]) -> list[list[str]]:
    """Imports in isort's groups: standard library, third party, this package."""

    def top(line: str) -> str:
        return line.split()[1].split(".")[0]

    stdlib = _merge([i for i in imports if top(i) not in ("lakefs", "lakefs_sdk")])
    third = _merge([i for i in imports if top(i) == "lakefs_sdk"])
    first = _merge([i for i in imports if top(i) == "lakefs"])
    return [g for g in (stdlib, third, first) if g]


def _environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["docstring"] = docstring
    env.filters["sentence"] = sentence
    env.filters["wrap"] = textwrap.wrap
    env.filters["fill"] = textwrap.fill
    env.filters["dedent"] = textwrap.dedent
    env.filters["pyrepr"] = repr
    return env


def render(resources: list[Resource], version: str, templates: Path) -> dict[str, str]:
    """File name -> formatted source, for every resource (and the package's ``__init__``)."""
    env = _environment(templates)
    template = env.get_template("resource.py.jinja")
    mode = black.Mode(line_length=100, target_versions={black.TargetVersion.PY310})
    out: dict[str, str] = {}
    for res in resources:
        type_imports = res.type_imports
        runtime = [*res.imports, *(["from typing import TYPE_CHECKING"] if type_imports else [])]
        source = template.render(
            resource=res,
            version=version,
            imports=_groups(runtime),
            type_imports=_groups(type_imports),
        )
        out[f"{res.module}.py"] = black.format_str(source, mode=mode)
    init = env.get_template("__init__.py.jinja").render(resources=resources, version=version)
    out["__init__.py"] = black.format_str(init, mode=mode)
    return out


def operations_module(routes: list[Route], version: str, templates: Path) -> str:
    """``operations.py``, formatted: a function per route."""
    template = _environment(templates).get_template("operations.py.jinja")
    names = ["Route", *(r.name for r in routes)]
    return format_source(template.render(routes=routes, names=names, version=version))


def schemas_module(answers: Answers, version: str, templates: Path) -> str:
    """``schemas.py``, formatted: the typed answers generated code reads."""
    template = _environment(templates).get_template("schemas.py.jinja")
    return format_source(template.render(answers=answers, version=version))


def format_source(source: str) -> str:
    """``source`` formatted as every generated module is."""
    mode = black.Mode(line_length=100, target_versions={black.TargetVersion.PY310})
    return black.format_str(source, mode=mode)


def write(files: dict[str, str], out_dir: Path) -> None:
    """Replace ``out_dir`` with exactly ``files`` (stale modules disappear)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for name, source in sorted(files.items()):
        (out_dir / name).write_text(source)
