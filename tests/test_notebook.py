"""Notebooks: progress bars under a Jupyter kernel, and reprs that answer the first question
(what a listing lists, what an object is, what the server stores in), sending no request unless
said; a diff's and a log's rich HTML tables, escaped.

Offline: every request goes to a ``MockTransport`` (its ``requests`` are counted), and a kernel
is simulated with a fake ``IPython`` module in ``sys.modules``.
"""

from __future__ import annotations

import io
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import tqdm.notebook
import tqdm.std

import lakefs
from lakefs import Page, Paginator, ValidationError
from lakefs._client import _reset_default_client
from lakefs.lib import progress
from lakefs.testing import MockRequest, MockResponse, MockTransport

KEYS = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "mock-secret"}
HOSTILE = "<script>alert('x')</script>&amp;\"quoted\""
MTIME = 1_700_000_000  # 2023-11-14 22:13:20 UTC


# -- a mock lakeFS ---------------------------------------------------------------------------


def _query(request: MockRequest) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _listing(results: list[dict[str, Any]], request: MockRequest, total: int) -> MockResponse:
    """``results`` (all ``total`` of them) paginated as lakeFS does, by ``after``/``amount``."""
    query = _query(request)
    start = int(query.get("after") or 0)
    amount = int(query.get("amount") or 1000)
    page = results[start : start + amount]
    end = start + len(page)
    more = end < total
    return MockResponse.json(
        {
            "results": page,
            "pagination": {
                "has_more": more,
                "next_offset": str(end) if more else "",
                "results": len(page),
                "max_per_page": 1000,
            },
        }
    )


def _change(i: int) -> dict[str, Any]:
    return {"type": "added", "path": f"data/{i:03}.csv", "path_type": "object", "size_bytes": i}


def _commit(i: int, message: str = "", committer: str = "ann") -> dict[str, Any]:
    return {
        "id": f"{i:064x}",
        "parents": [],
        "committer": committer,
        "message": message or f"commit {i}",
        "creation_date": MTIME,
        "meta_range_id": "",
        "metadata": {},
    }


def _stats(path: str) -> dict[str, Any]:
    return {
        "path": path,
        "path_type": "object",
        "physical_address": "s3://bucket/x",
        "checksum": "0cc175b9c0f1b6a831c399e269772661",
        "size_bytes": 1234,
        "mtime": MTIME,
    }


class Lake:
    """A mock lakeFS with ``changes`` in a diff, ``commits`` in a log and one object."""

    def __init__(self, changes: list[dict[str, Any]], commits: list[dict[str, Any]]) -> None:
        self.changes = changes
        self.commits = commits
        self.transport = MockTransport(self.answer)
        self.client = lakefs.Client(host="http://lakefs.mock", transport=self.transport, **KEYS)
        self.branch = lakefs.repository("repo", client=self.client).branch("main")

    def answer(self, request: MockRequest) -> MockResponse:
        path = request.path
        if path.endswith("/config"):
            return MockResponse.json(
                {
                    "storage_config": {"blockstore_type": "s3", "pre_sign_support": True},
                    "version_config": {"version": "1.86.0"},
                }
            )
        if "/diff/" in path:
            return _listing(self.changes, request, len(self.changes))
        if path.endswith("/commits"):
            return _listing(self.commits, request, len(self.commits))
        if path.endswith("/objects/stat"):
            return MockResponse.json(_stats(_query(request)["path"]))
        if path.endswith("/objects/ls"):
            return _listing([_stats("data/a.csv")], request, 1)
        return MockResponse(404, b'{"message": "no such thing"}')

    @property
    def sent(self) -> int:
        return len(self.transport.requests)


@pytest.fixture
def lake() -> Lake:
    return Lake([_change(i) for i in range(120)], [_commit(i) for i in range(3)])


# -- Paginator: what it lists ------------------------------------------------------------------


def test_a_paginator_says_what_it_lists_without_a_request() -> None:
    calls: list[tuple[str, int]] = []

    def fetch(after: str, amount: int) -> Page[int]:
        calls.append((after, amount))
        return Page([], False, "")

    told = Paginator(fetch, max_amount=10, lists="objects of 'repo' at 'main' under 'data/'")
    assert repr(told) == "<Paginator: objects of 'repo' at 'main' under 'data/', max_amount=10>"
    everything = Paginator(fetch, after="k", lists="branches of 'repo'")
    assert repr(everything) == "<Paginator: branches of 'repo', after='k'>"
    assert repr(Paginator(fetch, max_amount=3)) == "Paginator(max_amount=3, after='')"
    assert calls == []


def test_a_listings_repr_sends_no_request_and_its_html_one(lake: Lake) -> None:
    listings = [
        lake.branch.diff("dev"),
        lake.branch.log(max_amount=5),
        lake.branch.list_objects(prefix="data/"),
    ]
    for listing in listings:
        assert "Paginator" in repr(listing)
    assert lake.sent == 0
    for sent, listing in enumerate(listings, 1):
        assert "<table>" in listing._repr_html_()
        assert lake.sent == sent


# -- ObjectInfo: what it knows -----------------------------------------------------------------


def test_an_object_shows_what_a_stat_or_a_listing_told_it(lake: Lake) -> None:
    bare = lakefs.ObjectInfo("repo", "main", "data/a.csv", client=lake.client)
    assert repr(bare) == "ObjectInfo(repository_id='repo', reference_id='main', path='data/a.csv')"
    assert lake.sent == 0

    stated = lake.branch.stat_object("data/a.csv")
    listed = next(iter(lake.branch.list_objects()))
    assert lake.sent == 2
    for info in (stated, listed):
        assert repr(info) == (
            "ObjectInfo(repository_id='repo', reference_id='main', path='data/a.csv', "
            "size_bytes=1234, modified_time='2023-11-14T22:13:20Z', "
            "checksum='0cc175b9c0f1b6a831c399e269772661')"
        )
    assert lake.sent == 2  # the reprs sent nothing

    bare.size_bytes()  # one stat; then the repr knows
    assert lake.sent == 3
    assert "size_bytes=1234" in repr(bare)
    assert lake.sent == 3


def test_an_objects_repr_never_raises_on_odd_stats(lake: Lake) -> None:
    owner = lake.branch
    odd = lakefs.ObjectInfo.from_stats(owner, {"path": "p", "mtime": 10**20, "size_bytes": "x"})
    assert repr(odd) == "ObjectInfo(repository_id='repo', reference_id='main', path='p')"
    partial = lakefs.ObjectInfo.from_stats(owner, {"path": "p", "size_bytes": 5})
    assert repr(partial).endswith("path='p', size_bytes=5)")
    assert lake.sent == 0


# -- ServerStorageConfiguration: known once fetched, never fetched by a repr ------------------


def test_the_storage_configuration_shows_what_was_fetched(lake: Lake) -> None:
    storage = lakefs.ServerConfiguration(client=lake.client).storage_config()
    host = repr(lake.client)
    assert repr(storage) == f"ServerStorageConfiguration(client={host}, not fetched yet)"
    assert lake.sent == 0
    assert storage.pre_sign_support() is True
    assert lake.sent == 1
    assert repr(storage) == (
        f"ServerStorageConfiguration(client={host}, blockstore_type='s3', pre_sign_support=True)"
    )
    # Cached per client: another configuration object of this client knows it too.
    assert repr(lakefs.ServerConfiguration(client=lake.client)) == (
        f"ServerConfiguration(client={host}, version='1.86.0', blockstore_type='s3', "
        "pre_sign_support=True)"
    )
    assert lake.sent == 1


@pytest.fixture
def no_default_client() -> Iterator[None]:
    _reset_default_client()
    yield
    _reset_default_client()


def test_a_configuration_repr_creates_no_default_client(
    no_default_client: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from lakefs import _client

    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.lakectl.yaml: a default client would fail
    for name in list(__import__("os").environ):
        if name.startswith(("LAKECTL_", "LAKEFS_")) and name != "LAKEFS_CACHE_DIR":
            monkeypatch.delenv(name)
    shown = repr(lakefs.ServerStorageConfiguration())
    assert shown == "ServerStorageConfiguration(client=None, not fetched yet)"
    assert _client._default is None
    with pytest.raises(ValidationError, match="client"):
        lakefs.ServerStorageConfiguration("http://lakefs.mock")  # type: ignore[arg-type]


# -- rich HTML: a diff and a log ---------------------------------------------------------------


def test_a_diff_shows_its_first_page_as_a_table_with_one_request(lake: Lake) -> None:
    diff = lake.branch.diff("dev")
    page = diff._repr_html_()
    assert lake.sent == 1
    [request] = lake.transport.requests
    assert _query(request)["amount"] == "50"
    assert page.count("<tr>") == 1 + 50  # the header, then one page
    assert "data/000.csv" in page
    assert "data/049.csv" in page
    assert "data/050.csv" not in page
    assert "… more" in page
    assert "<th>type</th>" in page


def test_a_short_diff_or_a_bounded_one_says_no_more(lake: Lake) -> None:
    bounded = lake.branch.diff("dev", max_amount=3)._repr_html_()
    assert _query(lake.transport.requests[-1])["amount"] == "3"
    assert bounded.count("<tr>") == 1 + 3
    assert "more" not in bounded
    short = Lake([_change(1)], [])
    assert "more" not in short.branch.diff("dev")._repr_html_()
    assert "no items" in Lake([], []).branch.diff("dev")._repr_html_()
    nothing = lake.branch.diff("dev", max_amount=0)
    sent = lake.sent
    assert "no items" in nothing._repr_html_()
    assert lake.sent == sent  # max_amount=0: not even one request


def test_a_log_shows_its_commits_as_a_table(lake: Lake) -> None:
    page = lake.branch.log()._repr_html_()
    assert lake.sent == 1
    assert page.count("<tr>") == 1 + 3
    assert "<th>message</th>" in page
    assert "commit 2" in page
    assert "2023-11-14 22:13:20" in page
    assert f"{2:064x}"[:16] in page
    assert "more" not in page


def test_hostile_names_and_messages_come_out_inert() -> None:
    lake = Lake(
        [{"type": "added", "path": HOSTILE, "path_type": "object", "size_bytes": 1}],
        [_commit(1, message=f"{HOSTILE}\nsecond line", committer=HOSTILE)],
    )
    diff = lake.branch.diff("dev")
    log = lake.branch.log()
    for page in (diff._repr_html_(), log._repr_html_()):
        assert "<script" not in page
        assert "&lt;script&gt;" in page
        assert "&amp;amp;" in page  # an entity in the data is shown, not interpreted
        assert '"quoted"' not in page
    titled = Paginator(diff._fetch_page, lists=f"changes under {HOSTILE!r}")._repr_html_()
    assert "<script" not in titled
    assert "&lt;script&gt;" in titled.split("</p>")[0]
    assert "second line" not in log._repr_html_()  # a message's first line only


def test_a_failed_listing_shows_why_and_does_not_raise(lake: Lake) -> None:
    missing = lakefs.repository("repo", client=lake.client).list_branches()
    page = missing._repr_html_()
    assert "could not list" in page
    assert "NotFoundError" in page
    assert lake.sent == 1


def test_a_diffs_text_repr_stays_request_free_after_html(lake: Lake) -> None:
    diff = lake.branch.diff("dev")
    diff._repr_html_()
    repr(diff)
    assert lake.sent == 1
    assert len(diff.to_list()) == 120  # the HTML kept nothing: iteration starts afresh


# -- progress bars under a kernel --------------------------------------------------------------


class ZMQInteractiveShell:
    """What ``get_ipython()`` returns under a Jupyter kernel (ipykernel's shell's name)."""

    config: dict[str, Any] = {}  # noqa: RUF012 - a stand-in for traitlets' Config


class TerminalInteractiveShell:
    """What ``get_ipython()`` returns in a plain IPython terminal."""

    config: dict[str, Any] = {"TerminalIPythonApp": {}}  # noqa: RUF012


class KernelConfigured:
    """A kernel's shell of another name, known by its ``IPKernelApp`` configuration."""

    config: dict[str, Any] = {"IPKernelApp": {}}  # noqa: RUF012


@pytest.fixture
def as_shell(monkeypatch: pytest.MonkeyPatch) -> Callable[[object], None]:
    """Pretend IPython runs ``shell`` (a fake ``IPython`` module in ``sys.modules``)."""
    monkeypatch.delenv("LAKEFS_NO_PROGRESS", raising=False)
    monkeypatch.delenv("QT_API", raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("SPYDER"):
            monkeypatch.delenv(name)

    def pretend(shell: object) -> None:
        fake = types.ModuleType("IPython")
        fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "IPython", fake)

    return pretend


@pytest.fixture
def widgets(monkeypatch: pytest.MonkeyPatch) -> type[Any]:
    """Pretend ipywidgets is installed: tqdm.notebook's widget class is a recording text bar."""

    class NotebookBar(tqdm.std.tqdm):  # type: ignore[misc]
        made: list[dict[str, Any]] = []  # noqa: RUF012

        def __init__(self, **options: Any) -> None:
            NotebookBar.made.append(options)
            super().__init__(**{**options, "file": io.StringIO()})

    monkeypatch.setattr(tqdm.notebook, "IProgress", object)
    monkeypatch.setattr(tqdm.notebook, "tqdm", NotebookBar)
    return NotebookBar


def _bar_of(option: progress.ProgressOption) -> Any:
    with progress.tracker(option, "upload_folder", units_total=10) as tracked:
        tracked.advance(10)
        return tracked._bar


def test_a_kernel_draws_a_notebook_bar_by_default(
    as_shell: Callable[[object], None], widgets: type[Any]
) -> None:
    as_shell(ZMQInteractiveShell())
    assert type(_bar_of(None)) is widgets
    assert type(_bar_of(True)) is widgets
    assert widgets.made[0]["desc"] == "upload_folder"
    as_shell(KernelConfigured())  # a kernel's shell by its configuration
    assert type(_bar_of(None)) is widgets

    class Broken:
        @property
        def config(self) -> dict[str, Any]:
            raise RuntimeError("half initialised")

    as_shell(Broken())  # a shell we cannot read is no kernel (and no error)
    assert _bar_of(None) is None


def test_a_kernel_without_ipywidgets_draws_a_text_bar_without_warnings(
    as_shell: Callable[[object], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(tqdm.notebook, "IProgress", None)  # what tqdm finds without ipywidgets
    as_shell(ZMQInteractiveShell())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm.auto would warn "IProgress not found"
        bar = _bar_of(None)
    assert type(bar) is tqdm.std.tqdm
    assert "upload_folder" in capsys.readouterr().err


def test_the_qt_console_draws_a_text_bar(
    as_shell: Callable[[object], None], widgets: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QT_API", "pyqt5")  # a kernel whose front end shows no widgets
    as_shell(ZMQInteractiveShell())
    assert type(_bar_of(None)) is tqdm.std.tqdm


def test_a_plain_ipython_terminal_is_a_terminal(
    as_shell: Callable[[object], None], widgets: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_shell(ZMQInteractiveShell())
    assert type(_bar_of(None)) is widgets  # the same process, under a kernel
    as_shell(TerminalInteractiveShell())
    assert _bar_of(None) is None  # stderr is not a terminal here: no bar, as before
    assert type(_bar_of(True)) is tqdm.std.tqdm
    monkeypatch.delitem(sys.modules, "IPython")  # no IPython at all: the same
    assert _bar_of(None) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert type(_bar_of(None)) is tqdm.std.tqdm
    as_shell(None)  # IPython imported, no shell running
    assert type(_bar_of(None)) is tqdm.std.tqdm
    assert len(widgets.made) == 1


def test_lakefs_no_progress_turns_the_notebook_bar_off(
    as_shell: Callable[[object], None], widgets: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_shell(ZMQInteractiveShell())
    assert type(_bar_of(None)) is widgets
    monkeypatch.setenv("LAKEFS_NO_PROGRESS", "1")
    assert _bar_of(None) is None
    assert _bar_of(True) is None
    events: list[progress.ProgressEvent] = []
    assert _bar_of(events.append) is None
    assert [e.kind for e in events] == ["start", "advance", "end"]
    assert len(widgets.made) == 1
