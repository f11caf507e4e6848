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
        doc: Delete it.
        bind: {repository: self.repository_id, thing: self.id}
      - name: siblings
        operation: listThings
        params:
          - {name: max_amount, type: int | None, default: None}
          - {name: prefix, type: str, default: '""'}
        bind: {repository: self.repository_id, prefix: prefix}
        paginate: {new: Thing, args: [self.repository_id, "item['id']"]}
        lists: "f'things of {self.repository_id!r} under {prefix!r}'"
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
    assert "ops.create_thing,\n            self.repository_id,\n" in source  # path: positional
    assert 'body={"name": self.id, "size": size},' in source
    assert "from lakefs._generated import operations as ops" in source
    assert "lakefs_sdk" not in source  # the route is sent itself, the sdk's signature checked
    assert {"createThing", "deleteThing", "listThings"} <= resolved.operations  # routes made
    assert "def siblings(" in source
    assert "-> Paginator[Thing]:" in source
    assert "only these" in source.lower()  # the spec's description became the docstring
    assert 'validate.repository_id(repository_id, "repository_id")' in source


def test_docstrings_get_their_sections(tmp_path: Path) -> None:
    """Args (the call options too), Returns (by result kind, or the mapping's), Raises
    (ValidationError for a checked argument, the spec's answers, the mapping's) and Example."""
    extended = MAPPING.replace(
        "        returns: self\n",
        "        returns: self\n"
        "        raises: {ConflictError: it exists already}\n"
        "        example: |\n"
        "          >>> thing.create(3)\n",
        1,
    )
    resolved = _resolve(tmp_path, extended)
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    create = source[source.index("def create(") : source.index("def delete(")]
    for text in (
        "Args:\n            size: How big.\n",
        "timeout: Each request's timeout (None: the client's).",
        "extra_headers: Headers added to each request sent to lakeFS.",
        "Returns:\n            This thing.",
        "Raises:\n            ConflictError: It exists already.",
        "Example:\n            >>> thing.create(3)\n",
    ):
        assert text in create, text
    siblings = source[source.index("def siblings(") :]
    assert "Returns:\n            A lazy Paginator of Thing" in siblings
    assert "ValidationError: An argument is malformed" in siblings
    assert 'lists=f"things of {self.repository_id!r} under {prefix!r}"' in siblings
    assert "Raises:\n            ValidationError: ``repository_id`` is malformed" in source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("        lists: \"f'things", "must say what it lists (lists:)"),
        ("          - {name: prefix, type: str, default: '\"\"'}", "'prefix' has no doc:"),
    ],
)
def test_a_method_without_its_docs_is_refused(tmp_path: Path, change: str, message: str) -> None:
    """The generator refuses a method whose docstring would lack a section: a listing that
    does not say what it lists, a parameter documented neither in the mapping nor the spec."""
    lines = [ln for ln in MAPPING.splitlines() if not ln.startswith(change)]
    if change.startswith("          - {name: prefix"):
        lines.insert(
            next(i for i, ln in enumerate(lines) if "max_amount, type" in ln) + 1,
            "          - {name: other, type: str, default: '\"\"'}",
        )
        message = "'other' has no doc:"
    problems = [str(p) for p in _resolve(tmp_path, "\n".join(lines) + "\n").problems]
    assert any(message in p for p in problems), problems


def test_an_impl_docstring_without_returns_or_raises_is_refused(tmp_path: Path) -> None:
    """An impl function's docstring is the method's: it needs Returns: when it returns
    something and Raises: when it sends requests (the commits module's get_commit has both)."""
    extended = MAPPING + textwrap.indent(
        textwrap.dedent(
            """
            - name: get_commit
              impl: lakefs.lib.commits:get_commit
              uses: [deleteThing]
            """
        ),
        "      ",
    )
    assert _resolve(tmp_path, extended).problems == []
    bare = tmp_path / "src" / "lakefs" / "lib"
    bare.mkdir(parents=True)
    (bare / "bare.py").write_text(
        'def get_commit(thing):\n    """The commit."""\n\n\n'
        "def get_commit_typed(thing) -> str:\n"
        '    """The commit."""\n'
    )
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "mapping.yaml").write_text(
        textwrap.dedent(extended).replace(
            "lakefs.lib.commits:get_commit", "lakefs.lib.bare:get_commit"
        )
    )
    spec = spec_mod.load(tmp_path / "spec.yaml", "9.9.9")
    mapping = mapping_mod.load(tmp_path / "mapping.yaml")
    problems = [str(p) for p in resolve.resolve(spec, mapping, tmp_path / "src").problems]
    assert any("has no Raises: (it sends requests" in p for p in problems), problems


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
    assert '"""Remove it.\n' in source


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
        ("\"item['id']\"]}", "\"item['idd']\"]}", "reads 'idd', which Ref lacks"),
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
    names = sorted(p.name for p in out.iterdir())
    assert names == ["__init__.py", "operations.py", "schemas.py", "thing.py"]
    report = capsys.readouterr().out
    assert "coverage: 3 of 3 operations reached" in report
    assert codegen_main([*args, "--out", str(out), "--check"]) == 0
    (out / "thing.py").write_text((out / "thing.py").read_text() + "# edited by hand\n")
    assert codegen_main([*args, "--out", str(out), "--check"]) == 1
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("deleteThing", "nope"))
    assert codegen_main([*args, "--out", str(out)]) == 1
    assert "unknown operationId 'nope'" in capsys.readouterr().err


def _extended(methods: str) -> str:
    return MAPPING + textwrap.indent(textwrap.dedent(methods), "      ")


def test_exist_ok_renders_a_conflict_that_returns_self(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path, MAPPING.replace("returns: self", "returns: self\n        exist_ok: true")
    )
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    compile(source, "thing.py", "exec")
    assert "exist_ok: bool = False" in source
    assert "except ConflictError:" in source
    assert "from lakefs._exceptions import ConflictError" in source
    with pytest.raises(mapping_mod.MappingError, match="exist_ok needs"):
        _resolve(
            tmp_path, MAPPING.replace("thing: self.id}", "thing: self.id}\n        exist_ok: true")
        )


def test_child_methods_keep_their_validation_and_impl_methods_are_their_function(
    tmp_path: Path,
) -> None:
    resolved = _resolve(
        tmp_path,
        _extended(
            """
            - name: sibling
              child: Thing
              doc: Another thing.
              params: [{name: other_id, type: str, validate: branch_id, doc: its id}]
              returns: {args: [self.repository_id, other_id]}
            - name: get_commit
              impl: lakefs.lib.commits:get_commit
              uses: [listThings]
            """
        ),
    )
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    sibling = source[source.index("def sibling(") : source.index("get_commit = ")]
    assert 'validate.branch_id(other_id, "other_id")' in sibling
    # Bound as it is: its signature and docstring are written once, in lakefs.lib.
    assert "\n    get_commit = _commits.get_commit\n" in source
    assert "def get_commit(" not in source
    assert "from lakefs.lib import commits as _commits" in source
    compile(source, "thing.py", "exec")


@pytest.mark.parametrize("key", ["params", "returns", "doc", "overloads", "bind"])
def test_an_impl_entry_declares_no_signature_nor_docs(tmp_path: Path, key: str) -> None:
    extra = {
        "params": "params: [{name: timeout, type: float | None, default: None}]",
        "returns": "returns: {type: str}",
        "doc": "doc: The commit.",
        "overloads": "overloads: [{params: {}, returns: str}]",
        "bind": "bind: {repository: self.repository_id}",
    }[key]
    mapping = _extended(
        f"""
        - name: get_commit
          impl: lakefs.lib.commits:get_commit
          uses: [listThings]
          {extra}
        """
    )
    with pytest.raises(mapping_mod.MappingError, match=f"an impl method is its function.*{key}"):
        _resolve(tmp_path, mapping)


def _impl_module(tmp_path: Path, source: str) -> Path:
    """A src tree with the real lakefs/_validation.py and a lib module ``lakefs/lib/mod.py``."""
    src = tmp_path / "src"
    (src / "lakefs" / "lib").mkdir(parents=True)
    (src / "lakefs" / "_validation.py").write_text((SRC / "lakefs" / "_validation.py").read_text())
    (src / "lakefs" / "lib" / "mod.py").write_text(textwrap.dedent(source))
    return src


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            'def read(thing, path, *, timeout=None):\n    """Read.\n\n    Args:\n'
            '        path: The path.\n    """\n',
            "lakefs.lib.mod:read's docstring documents no 'timeout' under Args:",
        ),
        (
            'def read(thing, path):\n    """Read.\n\n    Args:\n        path: The path.\n'
            '        mode: Gone.\n    """\n',
            "lakefs.lib.mod:read's docstring documents 'mode', not a parameter",
        ),
        ("def read(thing, path):\n    return path\n", "lakefs.lib.mod:read has no docstring"),
        ('def read():\n    """Read."""\n', "must take the Thing as its first parameter"),
        ('def other(thing):\n    """Other."""\n', "implementation lakefs.lib.mod:read does not"),
        (
            'def read(thing, path):\n    """Read.\n\n    Args:\n        path: The path.\n\n'
            '    Raises:\n        NotFoundError: None there.\n    """\n',
            None,
        ),
    ],
)
def test_an_impl_functions_docstring_documents_each_parameter(
    tmp_path: Path, function: str, expected: str | None
) -> None:
    src = _impl_module(tmp_path, function)
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "mapping.yaml").write_text(
        _extended(
            """
            - name: read
              impl: lakefs.lib.mod:read
              uses: [listThings]
            """
        )
    )
    spec = spec_mod.load(tmp_path / "spec.yaml", "9.9.9")
    resolved = resolve.resolve(spec, mapping_mod.load(tmp_path / "mapping.yaml"), src)
    messages = [str(p) for p in resolved.problems]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


def test_an_impl_function_is_named_as_its_method(tmp_path: Path) -> None:
    # A bound method pickles by its function's name: Thing.load = read would not unpickle.
    resolved = _resolve(
        tmp_path,
        _extended(
            """
            - name: load
              impl: lakefs.lib.commits:get_commit
              uses: [listThings]
            """
        ),
    )
    messages = [str(p) for p in resolved.problems]
    assert any("lakefs.lib.commits:get_commit must be named 'load'" in m for m in messages)


def test_a_converting_validator_rebinds_its_parameter_and_runs_once(tmp_path: Path) -> None:
    method = """
        - name: resize
          operation: createThing
          doc: Resize it.
          params:
            - {name: size, type: "datetime | int", validate: unix_seconds, doc: when}
          bind: {repository: self.repository_id, body.name: self.id, body.size: BINDING}
          returns: self
        """
    types = "types: {datetime: datetime}\nvalues:"
    resolved = _resolve(
        tmp_path, _extended(method.replace("BINDING", "size")).replace("values:", types)
    )
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    body = source[source.index("def resize(") :]
    assert body.count("validate.unix_seconds(") == 1
    assert 'size = validate.unix_seconds(size, "size")' in body
    assert 'body={"name": self.id, "size": size}' in body
    # Not validated a second time in a binding (as commit_changes' date was).
    twice = method.replace("BINDING", "\"validate.unix_seconds(size, 'size')\"")
    resolved = _resolve(tmp_path, _extended(twice).replace("values:", types))
    assert any("size's validate: runs unix_seconds already" in str(p) for p in resolved.problems)


def test_a_validate_call_in_a_binding_must_exist(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path, MAPPING.replace("body.size: size}", "body.size: validate.nope(size)}")
    )
    assert any("lakefs._validation has no nope" in str(p) for p in resolved.problems)


def test_diff_marks_what_the_mapping_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.yaml").write_text(SPEC)
    newer = SPEC.replace(
        "operationId: deleteThing", "operationId: deleteThing\n      deprecated: true"
    )
    newer = newer.replace(
        "size: {type: integer}}", "size: {type: integer}, colour: {type: string}}"
    )
    newer = newer.replace("operationId: listThings", "operationId: listThingsV2")
    (tmp_path / "new.yaml").write_text(newer)
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    args = ["--mapping", str(tmp_path / "mapping.yaml")]
    assert (
        codegen_main([*args, "--diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")]) == 0
    )
    out = capsys.readouterr().out
    assert "* removed    listThings" in out
    assert "  added      listThingsV2" in out
    assert "* deprecated deleteThing" in out
    assert "* added      ThingCreation.colour" in out


def test_generation_uses_the_committed_spec_and_checks_its_sum() -> None:
    from codegen.__main__ import committed_spec

    path = committed_spec("1.86.0")
    assert path.name == "lakefs-1.86.0.yml"
    with pytest.raises(SystemExit, match="missing"):
        committed_spec("0.0.1")


def test_keywords_are_checked_against_the_sdk_of_the_same_version(tmp_path: Path) -> None:
    """A spec whose parameter name no longer matches lakefs_sdk's method (say, after a careless
    upgrade) is a generation error naming the mapping entry, not code that fails at run time."""
    import yaml

    from codegen.__main__ import committed_spec

    raw = yaml.safe_load(committed_spec("1.86.0").read_text())
    item = raw["paths"].pop("/repositories/{repository}/commits/{commitId}")
    for param in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
        if param.get("name") == "commitId":
            param["name"] = "commitid"
    raw["paths"]["/repositories/{repository}/commits/{commitid}"] = item
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "mapping.yaml").write_text(
        textwrap.dedent(
            """
            resources:
              Thing:
                module: thing
                doc: A thing.
                identity:
                  - {name: repository_id}
                  - {name: thing_id, attr: id}
                methods:
                  - name: message
                    operation: getCommit
                    bind: {repository: self.repository_id, commitid: self.id}
                    returns: {value: "str(data['message'])", type: str}
            """
        )
    )
    spec = spec_mod.load(tmp_path / "spec.yaml", "1.86.0")
    resolved = resolve.resolve(spec, mapping_mod.load(tmp_path / "mapping.yaml"), SRC)
    messages = [str(p) for p in resolved.problems]
    assert any("Thing.message" in m and "takes no 'commitid'" in m for m in messages), messages


def test_missing_turns_a_404_into_an_answer(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        _extended(
            """
            - name: exists
              operation: deleteThing
              doc: Whether it exists.
              bind: {repository: self.repository_id, thing: self.id}
              returns: {value: "True", type: bool}
              returns_doc: True if it does
              missing: "False"
            """
        ),
    )
    assert resolved.problems == []
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    compile(source, "thing.py", "exec")
    assert "except NotFoundError:\n            return False\n        return True" in source
    assert "from lakefs._exceptions import NotFoundError" in source


def test_every_call_of_hand_written_code_is_declared_and_every_declaration_called(
    tmp_path: Path,
) -> None:
    from codegen.__main__ import _usage_problems, committed_spec
    from codegen.callgraph import CallGraph
    from codegen.routes import calls

    spec = spec_mod.load(committed_spec("1.86.0"), "1.86.0")
    (tmp_path / "lakefs").mkdir()
    (tmp_path / "lakefs" / "mod.py").write_text(
        "from lakefs._generated import operations as ops\n"
        "from lakefs_sdk.api.commits_api import CommitsApi\n"
        "def read(t): return ops.get_object(t, 'r', 'main', path='a')\n"
        "def commit(c): return CommitsApi(c).get_commit_with_http_info('r', 'c')\n"
    )
    called = calls(tmp_path, spec)
    assert sorted(called) == ["getCommit", "getObject"]
    (tmp_path / "mapping.yaml").write_text("operations: [getObject, getTag]\nresources: []\n")
    mapping = mapping_mod.load(tmp_path / "mapping.yaml")
    graph = CallGraph(tmp_path, spec)
    messages = [str(p) for p in _usage_problems(mapping, spec, called, graph)]
    assert any("lakefs/mod.py:4 calls getCommit, not listed here" in m for m in messages)
    assert any("getTag is listed, but no code calls it" in m for m in messages)


def test_each_name_in_the_output_is_imported_where_it_is_needed(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        _extended(
            """
            - name: when
              child: Thing
              doc: A thing at a time.
              params:
                - {name: at, type: datetime | None, default: None, doc: the time}
                - {name: n, type: int, default: DEFAULT_MAX_WORKERS, doc: how many}
                - {name: c, type: Commit | None, default: None, doc: a commit}
              returns: {args: [self.repository_id, '"x"']}
            - name: get_commit
              impl: lakefs.lib.commits:get_commit
              uses: [listThings]
            """
        ).replace(
            "values:",
            "constants: {DEFAULT_MAX_WORKERS: lakefs.lib.writer}\n"
            "types: {datetime: datetime, Commit: lakefs._values}\nvalues:",
        ),
    )
    assert resolved.problems == []
    (thing,) = resolved.resources
    # A default is evaluated when the class is made; annotations only under TYPE_CHECKING.
    assert "from lakefs.lib.writer import DEFAULT_MAX_WORKERS" in thing.imports
    assert "from lakefs.lib import commits as _commits" in thing.imports
    assert "from datetime import datetime" in thing.type_imports
    assert "from lakefs._values import Commit" in thing.type_imports
    # Only what the code uses: no Commit at run time, no builder of an unused value.
    assert not any("Commit" in line or "ObjectInfo" in line for line in thing.imports)
    source = render.render(resolved.resources, "9.9.9", TEMPLATES)["thing.py"]
    compile(source, "thing.py", "exec")


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("{name: at, type: Datetime | None, default: None}", "uses 'Datetime': neither"),
        ("{name: n, type: int, default: MAX_THINGS}", "uses 'MAX_THINGS', not under constants"),
        ("{name: n, type: 'list[int', default: None}", "annotation 'list[int' is not valid"),
    ],
)
def test_a_name_with_no_known_origin_is_a_problem(
    tmp_path: Path, param: str, expected: str
) -> None:
    resolved = _resolve(
        tmp_path,
        _extended(
            f"""
            - name: when
              child: Thing
              params: [{param}]
              returns: {{args: [self.repository_id, '"x"']}}
            """
        ),
    )
    messages = [str(p) for p in resolved.problems]
    assert any(expected in m for m in messages), messages


USES_MAPPING = """
operations: [getObject, uploadObject]
resources:
  Thing:
    module: thing
    doc: A thing.
    identity: [{name: repository_id}]
    methods:
      - name: stat
        operation: statObject
        bind: {repository: self.repository_id, ref: '"main"', path: '"a"'}
      - name: read
        impl: lakefs.lib.mod:read
        uses: [getObject]
"""


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        # Sent through a helper, a class's method and a route: all must be declared.
        ("[getObject]", "sends uploadObject (lakefs.lib.mod:read -> lakefs.lib.mod:_Writer"),
        # Declared but never sent by it, nor through a generated method it calls.
        ("[getObject, uploadObject, getCommit]", "uses getCommit, which lakefs.lib.mod:read"),
        # A generated method called on a resource (``thing.stat()``) may be declared.
        ("[getObject, uploadObject, statObject]", None),
    ],
)
def test_each_impl_methods_uses_is_what_its_function_sends(
    tmp_path: Path, uses: str, expected: str | None
) -> None:
    from codegen.__main__ import _usage_problems, committed_spec
    from codegen.callgraph import CallGraph
    from codegen.routes import calls

    spec = spec_mod.load(committed_spec("1.86.0"), "1.86.0")
    (tmp_path / "lakefs" / "lib").mkdir(parents=True)
    (tmp_path / "lakefs" / "lib" / "mod.py").write_text(
        textwrap.dedent(
            """
            from lakefs._generated import operations as ops

            def read(thing, t):
                thing.stat()
                _Writer(t).close()
                return _get(t)

            def _get(t):
                return ops.get_object(t, 'r', 'main', path='a')

            class _Writer:
                def __init__(self, t): self.t = t
                def close(self): return self._send()
                def _send(self): return ops.upload_object(self.t, 'r', 'main', path='a')
            """
        )
    )
    (tmp_path / "mapping.yaml").write_text(
        USES_MAPPING.replace("uses: [getObject]", f"uses: {uses}")
    )
    mapping = mapping_mod.load(tmp_path / "mapping.yaml")
    graph = CallGraph(tmp_path, spec)
    messages = [str(p) for p in _usage_problems(mapping, spec, calls(tmp_path, spec), graph)]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


def test_the_resolver_makes_values_and_the_macros_write_the_code(tmp_path: Path) -> None:
    """resolve.py models each method (its parameters, checks, the route call's arguments, the
    result); templates/_macros.j2 turns the model into code, a docstring's layout included."""
    from codegen import model

    (thing,) = _resolve(tmp_path, MAPPING).resources
    create = next(m for m in thing.methods if m.name == "create")
    assert isinstance(create.body, model.RequestBody)
    assert create.body.call == model.Call(
        "create_thing", path=("self.repository_id",), body=(("name", "self.id"), ("size", "size"))
    )
    assert create.body.result == model.Value("self")
    assert create.signature.positional == (model.Param("size", "int", "0"),)
    assert [p.name for p in create.signature.keyword] == ["timeout", "extra_headers"]
    code = render._environment(TEMPLATES).get_template("_macros.j2").module
    assert code.signature(create.signature) == (
        "self, size: int = 0, *, timeout: RequestTimeout | None = None, "
        "extra_headers: Mapping[str, str] | None = None"
    )
    assert code.body(create) == (
        "self._request(ops.create_thing,\n"
        "    self.repository_id,\n"
        '    body={"name": self.id, "size": size},\n'
        "    timeout=timeout,\n"
        "    extra_headers=extra_headers,\n"
        ")\n"
        "return self\n"
    )
    # A model written by hand renders as well: a converter's check, a 404 that is an answer.
    exists = model.Method(
        "exists",
        checks=(model.Check("at", "utc", converts=True),),
        body=model.RequestBody(
            model.Call("stat_thing", query=(("at", "at"),), raw=True),
            assign=True,
            result=model.Value("value", expr="bool(data)"),
            missing="False",
        ),
    )
    assert code.body(exists) == (
        'at = validate.utc(at, "at")\n'
        "try:\n"
        "    data = self._request(ops.stat_thing,\n"
        "        at=at,\n"
        "        timeout=timeout,\n"
        "        extra_headers=extra_headers,\n"
        "        raw=True,\n"
        "    )\n"
        "except NotFoundError:\n"
        "    return False\n"
        "return bool(data)\n"
    )
    doc = model.Doc("delete it", args=(("force", "even when in use"),), raises=(("E", "never"),))
    assert code.docstring(doc) == (
        "Delete it.\n\nArgs:\n    force: Even when in use.\n\nRaises:\n    E: Never.\n"
    )
