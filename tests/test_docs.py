"""Every ```python block of the documentation (docs/**/*.md, and README.md) runs against a real
local lakeFS, twice.

A small collector of the project's own (CONTRIBUTING.md says why not pytest-markdown-docs or
mktestdocs): each page is one test, its blocks run in order in one namespace, as one script pasted
block after block would, with the ``LAKECTL_*`` variables pointing at the test server, the
default client forgotten before and after, and the current directory a fresh temporary one. Then
the page runs again, in a new namespace and directory against the same server, as a reader
pasting it a second time would: a page that only works once fails. A block fenced
```` ```python illustrate ```` (credentials of a real deployment, placeholders) is only compiled.
Pages that include a root file (``--8<-- "CHANGELOG.md"``) are read with it. The README is not
part of the site but is one page here like the others.

Tracebacks name the Markdown file and its line numbers: each block is compiled as the page's
file, its first line at the line it has there.

The run needs a server, so it is ``loopback`` (live mode only); the compilation of every block,
illustrations included, also runs offline (``make test``).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakefs import _client
from lakefs.testing._build import cache_dir

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
RUNS = 2
"""How many times each page runs against one server: a second run catches names taken once
(a branch created without ``exist_ok``, a tag) and commits of nothing."""

LANGUAGES = ("python", "py")
"""The fence languages that run; any other (``pycon``, ``sh``, ``yaml``...) is left alone."""
ILLUSTRATE = "illustrate"
"""The fence marker of a block that is compiled, not run: ```` ```python illustrate ```` (GitHub
highlights it as Python; the site's hook, docs/reference/site_hooks.py, rewrites it to
```` ```python {.illustrate} ````, which superfences renders as a Python block of class
``illustrate``; that form is accepted here too)."""

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")
_SNIPPET = re.compile(r'^[ \t]*--8<--[ \t]+"(?P<path>[^"]+)"[ \t]*$')


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, what it says, whether it runs."""

    path: Path
    line: int  # the 1-based line of its first line of code in ``path``
    info: str
    code: str

    @property
    def language(self) -> str:
        return self.info.split()[0].lower() if self.info.split() else ""

    @property
    def classes(self) -> list[str]:
        """The ``.class`` names of the fence's attribute list: ``{.illustrate}``."""
        attrs = re.search(r"\{([^}]*)\}", self.info)
        return [w[1:] for w in attrs[1].split() if w.startswith(".")] if attrs else []

    @property
    def bare_words(self) -> list[str]:
        """Words after the language that are neither ``key="value"`` options nor attributes:
        superfences then renders no code block at all (``python illustrate`` is one)."""
        rest = re.sub(r"\{[^}]*\}", "", self.info).split()[1:]
        return [w for w in rest if "=" not in w]

    @property
    def is_python(self) -> bool:
        return self.language in LANGUAGES

    @property
    def runs(self) -> bool:
        return self.is_python and ILLUSTRATE not in (*self.classes, *self.bare_words)

    def compiled(self) -> types.CodeType:
        """The block's code object, its line numbers those of the Markdown file."""
        return compile("\n" * (self.line - 1) + self.code, str(self.path), "exec")


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The fenced blocks of a Markdown file, in order, with the files it includes (``--8<--``
    paths are relative to ``root``, as the snippets extension's ``base_path`` in mkdocs.yml)."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        snippet = _SNIPPET.match(lines[i])
        if snippet:
            found.extend(blocks(root / snippet["path"], root))
            i += 1
            continue
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"]
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if (
                closing
                and not closing["info"]
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
            ):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        if info:  # a fence without a language is not code of ours
            found.append(Block(path, i + 2, info, textwrap.dedent("\n".join(body)) + "\n"))
        i = j + 1
    return found


def pages() -> list[Path]:
    """The site's pages, then the README (GitHub's front page; its blocks run the same way)."""
    return [*sorted(DOCS.rglob("*.md")), README]


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


RUNNABLE = [p for p in pages() if any(b.runs for b in blocks(p))]


# -- offline: every block parses ------------------------------------------------------------


@pytest.mark.parametrize("page", pages(), ids=_name)
def test_blocks_compile(page: Path) -> None:
    """Every Python block of the page compiles, illustrations included, and its fence is one
    the site renders."""
    for block in blocks(page):
        if block.is_python:
            unknown = [w for w in block.bare_words if w != ILLUSTRATE]
            assert not unknown, (
                f"{block.path}:{block.line - 1}: ```{block.info}: the site renders no code "
                f"block for {unknown} after the language (the one marker is {ILLUSTRATE!r})"
            )
            block.compiled()


def test_collector_reads_fences(tmp_path: Path) -> None:
    """The collector's own rules: languages, the illustrate marker, indentation, includes."""
    (tmp_path / "inc.md").write_text("```python\nincluded = 1\n```\n")
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent(
            """\
            # A page
            ```python
            a = 1
            ```
            ```python illustrate
            client = lakefs.Client(host="https://lakefs.example.com")
            ```
            ```sh
            make docs
            ```
            !!! note
                ```python title="indented"
                b = a + 1
                ```
            ```python {.illustrate}
            c = 3
            ```
            ````markdown
            ```python
            not_code = 1
            ```
            ````
            --8<-- "inc.md"
            """
        )
    )
    found = blocks(page, root=tmp_path)
    assert [(b.language, b.runs, b.line) for b in found[:6]] == [
        ("python", True, 3),
        ("python", False, 6),
        ("sh", False, 9),
        ("python", True, 13),
        ("python", False, 16),
        ("markdown", False, 19),
    ]
    assert found[3].code == "b = a + 1\n"
    assert (found[6].path, found[6].code) == (tmp_path / "inc.md", "included = 1\n")
    assert len(found) == 7
    with pytest.raises(ZeroDivisionError) as failed:
        exec(Block(page, 40, "python", "x = 1\n1 / 0\n").compiled(), {})
    assert failed.traceback[-1].lineno + 1 == 41  # pytest's line numbers are 0-based


# -- live: every page runs ------------------------------------------------------------------


def fresh_directory(tmp_path: Path, name: str) -> Path:
    """A new empty directory under ``tmp_path``, made the current one."""
    work = tmp_path / name
    work.mkdir()
    os.chdir(work)
    return work


@pytest.fixture
def docs_environment(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """``LAKECTL_*`` pointing at the test server, no lakectl file, a fresh working directory.

    ``test_notebook_runs``'s kernel inherits it as the pages' blocks run in it."""
    env = {
        "LAKECTL_SERVER_ENDPOINT_URL": server.endpoint,
        "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": server.access_key_id,
        "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": server.secret_access_key,
    }
    if server.ca_cert is not None:
        env["SSL_CERT_FILE"] = server.ca_cert
    for name in ("LAKECTL_CONFIG_FILE", "LAKECTL_ACCESS_KEY_ID", "LAKECTL_ACCESS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Built lakeFS binaries stay where they are (a page that starts a LocalLakeFS reuses them).
    monkeypatch.setenv("LAKEFS_CACHE_DIR", str(cache_dir()))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.lakectl.yaml of the machine's
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)  # restored afterwards
    fresh_directory(tmp_path, "work")
    _client._reset_default_client()
    yield env
    _client._reset_default_client()


@pytest.mark.loopback
@pytest.mark.server("local")
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "page",
    RUNNABLE or [pytest.param(None, marks=pytest.mark.skip(reason="no page has a block to run"))],
    ids=lambda page: _name(page) if page else "none",
)
def test_page_runs(page: Path | None, docs_environment: dict[str, str], tmp_path: Path) -> None:
    """The page's Python blocks, run in order in one namespace, as a script pasted block by block;
    then again (``RUNS``), in a new namespace, directory and default client, on the same server."""
    assert page is not None
    for run in range(1, RUNS + 1):
        if run > 1:
            fresh_directory(tmp_path, f"work-{run}")
            _client._reset_default_client()
        run_page(page)


def run_page(page: Path) -> None:
    """Run the page's blocks once. The namespace is a module registered as ``__main__`` while the
    page runs, so that functions and classes a block defines pickle (multiprocessing, Dask) and
    ``if __name__ == "__main__":`` guards run."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = __builtins__
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        for block in blocks(page):
            if block.is_python:
                code = block.compiled()
                if block.runs:
                    exec(code, module.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


# -- the tutorial notebook -------------------------------------------------------------------

NOTEBOOK = DOCS / "tutorial.ipynb"
"""Rendered into the site by mkdocs-jupyter (``execute: false``: the build runs nothing), executed
here by nbclient on an ipykernel. It is committed without outputs (checked offline by
``test_notebook_has_no_outputs``): a run's outputs hold a random repository name, commit ids and
timings, so a committed copy would change with every run and could not be told from outputs
written by hand."""


def _notebook() -> dict[str, Any]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


def test_notebook_has_no_outputs() -> None:
    """The notebook is committed clean, and its code cells compile (offline, no docs group)."""
    notebook = _notebook()
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "the tutorial has no code cells"
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"{NOTEBOOK.relative_to(ROOT)} cell {index}"
        assert cell.get("outputs") == [], f"{where}: outputs (clear them before committing)"
        assert cell.get("execution_count") is None, f"{where}: an execution count"
        compile("".join(cell["source"]), where, "exec")


def _docs_module(name: str) -> Any:
    """A module of the docs group, or a skip; a failure under ``make docs-check``
    (``LAKEFS_DOCS_CHECK=1``), which installs the group first and must not skip."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("LAKEFS_DOCS_CHECK"):
            raise
        pytest.skip(f"{name} is not installed: the docs group (make docs installs it)")


@pytest.mark.loopback
@pytest.mark.server("local")
@pytest.mark.timeout(600)
def test_notebook_runs(docs_environment: dict[str, str], tmp_path: Path) -> None:
    """Every cell of the tutorial runs, in order, on a fresh kernel whose environment is the
    pages' (``LAKECTL_*`` of the test server, an empty ``HOME``) and whose working directory is a
    fresh one (the notebook writes its local folder there); the notebook names a fresh repository
    on each run. The executed copy is kept for a look: ``tmp_path/tutorial.ipynb``."""
    nbformat = _docs_module("nbformat")
    nbclient = _docs_module("nbclient")
    _docs_module("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    work = Path.cwd()
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    nbformat.write(notebook, tmp_path / "tutorial.ipynb")
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {})) for o in outputs)
    assert "changed cities/asia/cities.csv" in text  # the diff
    assert "sent 1 skipped 2" in text  # the second upload skipped the unchanged files
    assert "Tokyo" in text  # pandas read the merged version
    assert (work / "cities" / "asia" / "cities.csv").exists()
