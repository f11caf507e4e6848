"""Typed answers: ``TypedDict``s for the response schemas generated code reads, written by
datamodel-code-generator into ``_generated/schemas.py``. Generated methods annotate the parsed
answer with them (``data: wire.Commit = ...``), so a misspelt field is a mypy error."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Answers", "answers"]


@dataclass(frozen=True)
class Answers:
    """``schemas.py``'s content (``templates/schemas.py.jinja`` writes it): its imports, in
    isort's groups of ``(module, names)``, and the classes datamodel-code-generator wrote."""

    imports: list[list[tuple[str, list[str]]]]
    classes: str


def _closure(schemas: dict[str, Any], names: set[str]) -> set[str]:
    """``names`` and every schema they refer to."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in found and name in schemas:
                    found.add(name)
                    walk(schemas[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in names:
        if name in schemas:
            found.add(name)
            walk(schemas[name])
    return found


def answers(raw_schemas: dict[str, Any], names: set[str], version: str) -> Answers:
    """TypedDicts for ``names`` and what they refer to, and what they import."""
    keep = _closure(raw_schemas, names)
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "lakeFS answers", "version": version},
        "paths": {},
        "components": {"schemas": {k: raw_schemas[k] for k in sorted(keep)}},
    }
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "answers.yaml", Path(tmp) / "schemas.py"
        source.write_text(yaml.safe_dump(doc, sort_keys=True))
        command = [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            "--input",
            str(source),
            "--input-file-type",
            "openapi",
            "--output-model-type",
            "typing.TypedDict",
            "--target-python-version",
            "3.10",
            "--disable-timestamp",
            "--formatters",
            "black",
            "--output",
            str(target),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"datamodel-codegen failed: {done.stderr.strip()[-2000:]}")
        body = target.read_text()
    head, rest = body.split("\nclass ", 1)
    imported: dict[str, set[str]] = {}
    for line in head.splitlines():
        if line.startswith("from ") and " import " in line:
            module, _, listed = line[5:].partition(" import ")
            imported.setdefault(module, set()).update(n.strip() for n in listed.split(","))
    imported.pop("__future__", None)
    stdlib = [m for m in sorted(imported) if m != "typing_extensions"]
    groups = [[("__future__", ["annotations"])]]
    groups.append([(m, sorted(imported[m])) for m in stdlib])
    if "typing_extensions" in imported:
        groups.append([("typing_extensions", sorted(imported["typing_extensions"]))])
    return Answers([g for g in groups if g], "class " + rest)
