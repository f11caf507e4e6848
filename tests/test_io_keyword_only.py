"""``pre_signed`` is keyword-only in ``upload_file`` and ``download_file`` (``open`` keeps it
positional, after the mode); a positional call still works for one release, with a
DeprecationWarning that points at the caller (offline: a mock client)."""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import pytest

import lakefs
from lakefs.lib._io_compat import keyword_only_since
from lakefs.testing import MockRequest, MockResponse, mock_client, sent_requests
from tests.test_boundaries import STATS


def _handler(request: MockRequest) -> MockResponse:
    if request.method == "GET":
        return MockResponse(200, b"abc", {"Content-Length": "3"})
    return MockResponse.json(STATS, status=201)


def _branch() -> lakefs.Branch:
    return lakefs.repository("repo", client=mock_client(_handler)).branch("main")


def _paths(branch: lakefs.Branch) -> list[str]:
    return [request.url for request in sent_requests(branch.client)]


KEYWORD_ONLY = [
    (lakefs.Branch, "upload_file"),
    (lakefs.Reference, "download_file"),
    (lakefs.Branch, "download_file"),
    (lakefs.Tag, "download_file"),
]


@pytest.mark.parametrize(("cls", "name"), KEYWORD_ONLY)
def test_the_signature_shows_pre_signed_keyword_only(cls: type, name: str) -> None:
    parameter = inspect.signature(getattr(cls, name)).parameters["pre_signed"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is None


@pytest.mark.parametrize("cls", [lakefs.Reference, lakefs.Branch])
def test_open_keeps_pre_signed_positional_after_the_mode(cls: type[lakefs.Reference]) -> None:
    parameters = list(inspect.signature(cls.open).parameters.values())
    assert [p.name for p in parameters[1:4]] == ["path", "mode", "pre_signed"]
    assert parameters[3].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize(("cls", "name"), KEYWORD_ONLY)
def test_the_docstring_says_pre_signed_is_keyword_only(cls: type, name: str) -> None:
    doc = inspect.getdoc(getattr(cls, name)) or ""
    entry = re.search(r"^    pre_signed:(.*?)^    \w+:", doc, re.M | re.S)
    assert entry is not None
    assert "Keyword-only" in entry[1]
    assert "DeprecationWarning" in entry[1]


def test_the_keyword_form_sends_without_a_warning(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    branch = _branch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = branch.upload_file(source, "a.bin", None, None, pre_signed=False)
        target = branch.download_file("a.bin", tmp_path / "back.bin", pre_signed=False)
    assert info.size_bytes() == 3
    assert target.read_bytes() == b"abc"
    assert not any("/config" in url for url in _paths(branch))  # pre_signed=False: not asked


def test_the_positional_form_still_works_with_a_warning_at_the_caller(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    branch = _branch()
    with pytest.warns(DeprecationWarning, match=r"upload_file\(\): pass pre_signed= by keyword"):
        info = branch.upload_file(source, "a.bin", None, {}, False)  # type: ignore[call-arg]
    assert info.path == "a.bin"
    with pytest.warns(DeprecationWarning, match="goes in 0.2") as caught:
        target = branch.download_file("a.bin", tmp_path / "b.bin", False)  # type: ignore[call-arg]
    assert caught[0].filename == __file__
    assert target.read_bytes() == b"abc"
    assert not any("/config" in url for url in _paths(branch))  # the False was honoured
    upload = next(r for r in sent_requests(branch.client) if r.method == "POST")
    assert upload.headers["Content-Type"] == "application/octet-stream"  # None stayed in place


def test_a_positional_call_with_too_many_or_a_doubled_argument_is_a_type_error(
    tmp_path: Path,
) -> None:
    branch, target = _branch(), tmp_path / "b.bin"
    with pytest.raises(TypeError, match="multiple values for argument 'pre_signed'"):
        branch.download_file("a.bin", target, False, pre_signed=True)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional arguments"):
        branch.download_file("a.bin", target, False, 1024)  # type: ignore[call-arg]
    assert sent_requests(branch.client) == []


def test_only_keyword_only_parameters_can_be_kept_positional() -> None:
    def f(a: int, *, b: int = 0) -> int:
        return a + b

    with pytest.raises(TypeError, match="not keyword-only"):
        keyword_only_since("a")(f)
    assert keyword_only_since("b")(f)(1, b=2) == 3
