"""Cassette recording and replay (vcrpy), and the scrubbing that keeps cassettes clean.

What goes wrong when recording lakeFS traffic, and why each piece below exists:

* host:port differs per run and appears in URIs, bodies (pre-signed URLs) and ``Location``:
  every loopback address becomes ``http://lakefs.invalid`` in requests and responses alike;
* ``Authorization`` (Basic key:secret), cookies, ``X-Amz-*`` signatures and the login body's secret
  must never be saved;
* the server's temporary directory shows in ``local://`` physical addresses: it becomes
  ``/LAKEFS_DIR``; storage namespaces carry a per-run id, which becomes ``run-NS``;
* uploads replayed against different bytes would pass silently: non-JSON request bodies are matched
  by their sha256 (multipart boundaries normalised first);
* ranged GETs share one URI: a ``Range`` matcher keeps them apart;
* a failing test must not leave a partial cassette: recordings go to a temporary file that replaces
  the cassette only when the test passed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vcr
import vcr.stubs
from vcr.request import Request

PLACEHOLDER_HOST = "http://lakefs.invalid"

_SCRUB: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"https?://(?:127\.0\.0\.1|localhost|\[::1\]):\d+", re.I), PLACEHOLDER_HOST),
    (
        re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token|Date)=)[^&\\\"\s]+", re.I),
        r"\1REDACTED",
    ),
    # The server's temporary directory (LocalLakeFS names it lakefs-server-*), wherever it lives.
    (re.compile(r"/(?:[^/\"\\\s]+/)*lakefs-server-[A-Za-z0-9_]+"), "/LAKEFS_DIR"),
    (re.compile(r'("(?:token|secret_access_key)"\s*:\s*")[^"]+'), r"\1REDACTED"),
    (re.compile(r"run-[0-9a-f]{12}"), "run-NS"),
]


def scrub(value: Any) -> Any:
    """Apply every scrubbing rule to a str (or UTF-8 bytes); other values pass through."""
    if isinstance(value, bytes):
        try:
            return scrub(value.decode()).encode()
        except UnicodeDecodeError:
            return value
    if isinstance(value, str):
        for rx, rep in _SCRUB:
            value = rx.sub(rep, value)
    return value


def _before_record_request(request: Request) -> Request:
    # vcrpy runs this on recorded requests, on live ones before matching, and on load: idempotent.
    request.uri = scrub(request.uri)
    ctype = request.headers.get("Content-Type", "")
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes) and body and not body.startswith(b"sha256:"):
        if "json" in ctype:
            request.body = scrub(body)
        else:
            m = re.search(r"boundary=(\S+)", ctype)
            if m:
                body = body.replace(m.group(1).encode(), b"BOUNDARY")
            request.body = b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    return request


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {
        k: [scrub(v) for v in values]
        for k, values in response["headers"].items()
        if k.lower() not in ("set-cookie", "date")
    }
    response["body"]["string"] = scrub(response["body"]["string"])
    return response


def _range_matcher(r1: Request, r2: Request) -> None:
    if r1.headers.get("Range") != r2.headers.get("Range"):
        raise AssertionError(f"Range {r1.headers.get('Range')} != {r2.headers.get('Range')}")


def _test_headers_matcher(r1: Request, r2: Request) -> None:
    """Headers a test sets on purpose (``X-Test-*``) must be sent again on replay."""

    def picked(r: Request) -> dict[str, str]:
        return {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("x-test-")}

    if picked(r1) != picked(r2):
        raise AssertionError(f"X-Test-* headers {picked(r1)} != {picked(r2)}")


def _vcrpy8_compatibility() -> None:
    """vcrpy 8 (the last for Python 3.10) replays responses without urllib3 2's
    ``release_conn``/``drain_conn``, which vcrpy 9 has: add them as vcrpy 9 has them."""
    response = vcr.stubs.VCRHTTPResponse
    if hasattr(response, "release_conn"):
        return

    def release_conn(self: Any) -> None:
        pool, connection = getattr(self, "_pool", None), getattr(self, "_connection", None)
        if pool is not None and connection is not None:
            pool._put_conn(connection)
            self._connection = None

    response.release_conn = release_conn
    response.drain_conn = lambda self: None


_vcrpy8_compatibility()


def _make_vcr() -> vcr.VCR:
    v = vcr.VCR(
        serializer="yaml",
        decode_compressed_response=True,
        match_on=[
            "method",
            "scheme",
            "host",
            "port",
            "path",
            "query",
            "range",
            "test_headers",
            "body",
        ],
        filter_headers=["authorization", "cookie", "x-lakefs-session"],
        before_record_request=_before_record_request,
        before_record_response=_before_record_response,
    )
    v.register_matcher("range", _range_matcher)
    v.register_matcher("test_headers", _test_headers_matcher)
    return v


_VCR = _make_vcr()


@contextlib.contextmanager
def replaying(path: Path, *, match_bodies: bool = True) -> Iterator[Any]:
    """Serve every request from the cassette at ``path``; an unrecorded request fails the test.

    A test that sent no request when it was recorded has no cassette file: it replays as empty.
    ``match_bodies=False`` is for tests whose uploads embed library versions (Parquet files
    name the writer's version): requests then match on everything but their body.
    """
    options: dict[str, Any] = {}
    if not match_bodies:
        options["match_on"] = [m for m in _VCR.match_on if m != "body"]
    with _VCR.use_cassette(
        str(path), record_mode="none", allow_playback_repeats=False, **options
    ) as cas:
        yield cas


class Recording:
    """Record into a temporary file; :meth:`commit` moves it into place (only for passing tests)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".recording-", suffix=".yaml", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)  # vcrpy writes the file itself on exit
        self.tmp = Path(tmp)

    @contextlib.contextmanager
    def recording(self) -> Iterator[Any]:
        """The vcrpy cassette context, recording everything into the temporary file."""
        with _VCR.use_cassette(str(self.tmp), record_mode="all") as cas:
            yield cas

    def commit(self) -> None:
        """Replace the cassette with this recording (a test that sent nothing leaves none)."""
        if self.tmp.exists():
            os.replace(self.tmp, self.path)
        elif self.path.exists():
            self.path.unlink()

    def discard(self) -> None:
        """Forget the recording, leaving the previous cassette (if any) as it was."""
        self.tmp.unlink(missing_ok=True)
