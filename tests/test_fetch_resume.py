"""The one resume loop of every download (``lakefs.lib._fetch.Resumed``), without I/O: answers
that break off are resumed by ranged GETs from the byte where they stopped."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping

import pytest
import urllib3

from lakefs._exceptions import APIConnectionError
from lakefs.lib._fetch import ATTEMPTS, Resumed

DATA = bytes(range(256)) * 40  # 10,240 bytes


class _Answer:
    """A streamed answer whose body breaks off (a ProtocolError) after ``cut`` bytes."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str], cut: int | None) -> None:
        self.status, self.headers = status, headers
        self._body, self._pos, self._cut = body, 0, cut
        self.closed = False

    def read(self, n: int) -> bytes:
        if self._cut is not None and self._pos >= self._cut:
            raise urllib3.exceptions.ProtocolError("connection broken")
        end = len(self._body) if self._cut is None else min(self._cut, len(self._body))
        chunk = self._body[self._pos : min(self._pos + n, end)]
        self._pos += len(chunk)
        return chunk

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


class _Gets:
    """The GETs of one read: each answer breaks off after the next of ``cuts`` bytes."""

    name = "k"

    def __init__(
        self, cuts: list[int | None] | None = None, *, ranges: bool = True, length: bool = True
    ) -> None:
        self.cuts = list(cuts or [])
        self.sent: list[dict[str, str]] = []
        self._ranges, self._length = ranges, length

    def get(self, headers: Mapping[str, str], stream: bool) -> _Answer:
        self.sent.append(dict(headers))
        cut = self.cuts.pop(0) if self.cuts else None
        asked = headers.get("Range")
        if asked is None or not self._ranges:
            length = {"Content-Length": str(len(DATA))} if self._length else {}
            return _Answer(200, DATA, length, cut)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", asked)
        assert match is not None
        first = int(match.group(1))
        last = min(int(match.group(2) or len(DATA) - 1), len(DATA) - 1)
        extent = {"Content-Range": f"bytes {first}-{last}/{len(DATA)}"}
        return _Answer(206, DATA[first : last + 1], extent, cut)


def _resumed(gets: _Gets, start: int, end: int | None = None, **options: object) -> Resumed:
    return Resumed(gets, start, end, **options)  # type: ignore[arg-type]


def _copied(stream: Resumed) -> tuple[int, bytes]:
    fd, name = tempfile.mkstemp()
    try:
        os.ftruncate(fd, len(DATA))
        reached = stream.copy(fd, None)
        with open(name, "rb") as file:
            return reached, file.read()
    finally:
        os.close(fd)
        os.unlink(name)


def test_a_stream_that_breaks_goes_on_from_the_byte_where_it_stopped() -> None:
    gets = _Gets([1000, 3000])
    reached, written = _copied(_resumed(gets, 0, whole=True))
    assert (reached, written) == (len(DATA), DATA)
    assert gets.sent == [{}, {"Range": "bytes=1000-"}, {"Range": "bytes=4000-"}]


def test_a_range_is_resumed_up_to_its_end_only() -> None:
    gets = _Gets([100])
    reached, written = _copied(_resumed(gets, 2000, 3000))
    assert reached == 3000
    assert written[2000:3000] == DATA[2000:3000]
    assert gets.sent == [{"Range": "bytes=2000-2999"}, {"Range": "bytes=2100-2999"}]


def test_a_range_past_the_objects_end_stops_at_the_end() -> None:
    gets = _Gets()
    stream = _resumed(gets, 0, 1 << 20)
    assert _copied(stream) == (len(DATA), DATA)
    assert stream.ranged
    assert stream.size == len(DATA)
    assert len(gets.sent) == 1


def test_an_ignored_range_starts_again_or_fails() -> None:
    restarted: list[bool] = []
    gets = _Gets([500], ranges=False)
    stream = _resumed(gets, 0, whole=True, restart=lambda: restarted.append(True))
    assert _copied(stream) == (len(DATA), DATA)
    assert restarted == [True]
    with pytest.raises(APIConnectionError, match="ignored a range request"):
        _resumed(_Gets(ranges=False), 10, 20).read(5)


def test_an_answer_without_a_size_that_breaks_off_is_an_error() -> None:
    with pytest.raises(APIConnectionError, match="broke off at byte 500 and gave no size"):
        _copied(_resumed(_Gets([500], length=False), 0, whole=True))


def test_a_read_gives_up_after_attempts_that_bring_no_byte() -> None:
    gets = _Gets([0] * (ATTEMPTS + 1))
    with pytest.raises(APIConnectionError, match=f"cut short {ATTEMPTS} times at byte 0"):
        _copied(_resumed(gets, 0, whole=True))
    assert len(gets.sent) == ATTEMPTS


def test_reads_go_on_from_one_answer_and_resume_where_it_broke() -> None:
    gets = _Gets([None])
    stream = _resumed(gets, 100, size=len(DATA))
    assert stream.read(50) == DATA[100:150]
    assert stream.read(50) == DATA[150:200]
    assert gets.sent == [{"Range": "bytes=100-"}]
    stream.close()
    gets.cuts = [0, None]  # the next answer breaks off before its first byte
    again = _resumed(gets, 300, size=len(DATA))
    assert again.read(50) == DATA[300:350]
    assert gets.sent[1:] == [{"Range": "bytes=300-"}, {"Range": "bytes=300-"}]
