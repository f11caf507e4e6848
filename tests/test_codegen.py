"""The generator: resolving a mapping against a small inline spec, its errors, and its output."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codegen import mapping as mapping_mod
from codegen import render, resolve
from codegen import spec as spec_mod
from codegen.__main__ import main as codegen_main

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
TEMPLATES = ROOT / "templates"

SPEC = """
openapi: 3.0.0
paths:
  /repositories/{repository}/things:
    parameters:
      - {in: path, name: repository, required: true, schema: {type: string}}
    get:
      tags: [things]
      operationId: listThings
      summary: list things
      parameters:
        - {in: query, name: after, schema: {type: string}}
        - {in: query, name: amount, schema: {type: integer}}
        - {in: query, name: prefix, schema: {type: string}, description: only these}
      responses:
        200:
          content: {application/json: {schema: {$ref: "#/components/schemas/RefList"}}}
    post:
      tags: [things]
      operationId: createThing
      summary: create a thing
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/ThingCreation"}}}
      responses:
        201:
          content: {application/json: {schema: {$ref: "#/components/schemas/Ref"}}}
  /repositories/{repository}/things/{thing}:
    delete:
      tags: [things]
      operationId: deleteThing
      parameters:
        - {in: path, name: repository, required: true, schema: {type: string}}
        - {in: path, name: thing, required: true, schema: {type: string}}
      responses: {204: {description: gone}}
components:
  schemas:
    Ref:
      type: object
      required: [id]
      properties: {id: {type: string}, commit_id: {type: string}}
    RefList:
      type: object
      properties:
        pagination: {type: object}
        results: {type: array, items: {$ref: "#/components/schemas/Ref"}}
    ThingCreation:
      type: object
      required: [name]
      properties: {name: {type: string, description: the thing's name}, size: {type: integer}}
"""

MAPPING = """
values:
  ObjectInfo: {module: lakefs._objects, schema: ObjectStats, build: ObjectInfo.from_stats}
resources:
  Thing:
    module: thing
    doc: A thing.
    identity:
      - {name: repository_id, validate: repository_id}
      - {name: thing_id, attr: id}
    methods:
      - name: create
        operation: createThing
        params: [{name: size, type: int, default: "0", doc: how big}]
        bind: {repository: self.repository_id, body.name: self.id, body.size: size}
        returns: self
      - name: delete
        operation: deleteThing
        bind: {repository: self.repository_id, thing: self.id}
      - name: siblings
        operation: listThings
        params:
          - {name: max_amount, type: int | None, default: None}
          - {name: prefix, type: str, default: '""'}
        bind: {repository: self.repository_id, prefix: prefix}
        paginate: {new: Thing, args: [self.repository_id, "item['id']"]}
"""


def _resolve(tmp_path: Path, mapping_text: str) -> resolve.Resolved:
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "mapping.yaml").write_text(textwrap.dedent(mapping_text))
    spec = spec_mod.load(tmp_path / "spec.yaml", "9.9.9")
    return resolve.resolve(spec, mapping_mod.load(tmp_path / "mapping.yaml"), SRC)


def test_a_valid_mapping_renders_typed_compilable_code(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, MAPPING)
    assert resolved.problems == []
    assert resolved.reached == {"createThing", "deleteThing", "listThings"}
    files = render.render(resolved.resources, "9.9.9", TEMPLATES)
    source = files["thing.py"]
    compile(source, "thing.py", "exec")
    assert source.startswith("# Generated from the lakeFS 9.9.9 OpenAPI document")
    assert "def create(\n        self,\n        size: int = 0," in source
    assert 'ThingCreation.from_dict({"name": self.id, "size": size})' in source
    assert "def siblings(" in source
    assert "-> Paginator[Thing]:" in source
    assert "only these" in source.lower()  # the spec's description became the docstring
    assert 'validate.repository_id(repository_id, "repository_id")' in source


def test_adding_a_method_to_the_mapping_adds_it_to_the_output(tmp_path: Path) -> None:
    extended = MAPPING + textwrap.indent(
        textwrap.dedent(
            """
            - name: remove
              operation: deleteThing
              doc: Remove it.
              bind: {repository: self.repository_id, thing: self.id}
            """
        ),
        "      ",
    )
    resolved = _resolve(tmp_path, extended)
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    assert "def remove(" in source
    assert '"""Remove it."""' in source


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("operation: deleteThing", "operation: deleteThang", "Thing.delete: unknown operationId"),
        (
            "bind: {repository: self.repository_id, thing: self.id}",
            "bind: {repository: self.repository_id}",
            "Thing.delete (deleteThing: DELETE /repositories/{repository}/things/{thing}): "
            "required path parameter 'thing' unbound",
        ),
        ("body.size: size}", "body.colour: size}", "ThingCreation has no property 'colour'"),
        ("prefix: prefix}", "prefix: prefix, colour: prefix}", "binds 'colour'"),
        ("paginate: {new: Thing,", "paginate: {new: Widget,", "'Widget' is not a resource"),
        ("returns: self", "returns: {build: Gadget}", "wrapper type 'Gadget' does not exist"),
        ("returns: self", "returns: {build: ObjectInfo}", "built from ObjectStats, but the"),
        ("validate: repository_id}", "validate: nonsense}", "validator 'nonsense' does not"),
        ("body.name: self.id,", "body.name: selph.id,", "unknown name 'selph'"),
    ],
)
def test_broken_entries_are_reported_with_their_place(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in MAPPING
    resolved = _resolve(tmp_path, MAPPING.replace(old, new, 1))
    messages = [str(p) for p in resolved.problems]
    assert any(expected in m for m in messages), messages


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    broken = MAPPING.replace("operation: deleteThing", "operation: nope").replace(
        "body.size: size}", "body.colour: size}"
    )
    assert len(_resolve(tmp_path, broken).problems) == 2


def test_a_malformed_parameter_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(mapping_mod.MappingError, match="unknown keys"):
        _resolve(tmp_path, MAPPING.replace("doc: how big}", "doc: how, big}"))


def test_the_command_writes_modules_and_a_coverage_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    out = tmp_path / "out"
    args = ["--spec", str(tmp_path / "spec.yaml"), "--mapping", str(tmp_path / "mapping.yaml")]
    assert codegen_main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["__init__.py", "thing.py"]
    report = capsys.readouterr().out
    assert "coverage: 3 of 3 operations reached" in report
    assert codegen_main([*args, "--out", str(out), "--check"]) == 0
    (out / "thing.py").write_text((out / "thing.py").read_text() + "# edited by hand\n")
    assert codegen_main([*args, "--out", str(out), "--check"]) == 1
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("deleteThing", "nope"))
    assert codegen_main([*args, "--out", str(out)]) == 1
    assert "unknown operationId 'nope'" in capsys.readouterr().err
