"""What a failed exchange means: urllib3's errors and a proxy's refusals as this SDK's errors.

Each mapping says, besides the error, whether the request surely never left and whether another
attempt could succeed: the retry loop (:mod:`._retry`) decides from those two flags. Error texts
name who was asked and the request's method and path, never credentials or signatures
(:func:`safe_cause`).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import urllib3

from lakefs._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    LakeFSError,
    ProxyError,
    TLSError,
)
from lakefs._logs import redact
from lakefs._transport._protocol import path_of

_OBJECT_ENDPOINT = re.compile(r"/(objects|staging)(/|$)")
_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")
_CA_HINT = (
    "; the server's certificate is not trusted here: give the CA that signed it with "
    "ssl_ca_cert='ca.pem' (a PEM bundle may hold several CAs, e.g. lakeFS's and the object "
    "store's) or SSL_CERT_FILE=ca.pem; verify_ssl=False turns verification off (never in "
    "production)"
)

Mapped = tuple[APIConnectionError, bool, bool]
"""An error, whether the request surely never left, and whether another attempt could succeed."""


def object_path(url: str) -> str | None:
    """The object path a request is about, for ``ObjectNotFoundError`` / ``ObjectExistsError``."""
    parts = urlsplit(url)
    if not _OBJECT_ENDPOINT.search(parts.path):
        return None
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key == "path":
            return unquote(value)
    return None


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL: never its credentials, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


class _RedactedCause(Exception):  # noqa: N818 - stands in for a library error
    """A library error whose text held a credential or a signature, with it redacted."""


def safe_cause(exc: BaseException) -> BaseException:
    """``exc``, or a stand-in with the same text with credentials and signatures redacted
    (:func:`lakefs._logs.redact`, the rule of error texts and logs; the rest of a URL stays)."""
    text = str(exc)
    clean = redact(text)
    if clean == text:
        return exc
    return _RedactedCause(f"{type(exc).__name__}: {clean}")


class FollowFailed(urllib3.exceptions.HTTPError):
    """The request to a redirect's target failed; ``error`` says how."""

    def __init__(self, location: str, error: urllib3.exceptions.HTTPError) -> None:
        super().__init__(str(error))
        self.location = location
        self.error = error


@dataclass(frozen=True)
class _Kind:
    """One kind of connection failure: its error type, its text and its two flags."""

    error: type[APIConnectionError]
    text: str  # formatted with server, request (method and path), reason and hint
    never_sent: bool
    can_succeed: bool


_errors = urllib3.exceptions
_CUT = _Kind(APIConnectionError, "connection cut by {server}: {request}: {reason}", False, True)
_OTHER = _Kind(
    APIConnectionError, "connection error with {server}: {request}: {reason}", False, True
)
# In order: NewConnectionError is a ConnectTimeoutError in urllib3 2, so it comes first.
_KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], _Kind], ...] = (
    (
        _errors.NewConnectionError,
        _Kind(APIConnectionError, "could not connect to {server}: {request}: {reason}", True, True),
    ),
    (
        _errors.ConnectTimeoutError,
        _Kind(APITimeoutError, "timed out connecting to {server}: {request}", True, True),
    ),
    (
        _errors.SSLError,
        _Kind(
            TLSError, "TLS handshake with {server} failed: {request}: {reason}{hint}", True, False
        ),
    ),
    (
        _errors.TimeoutError,
        _Kind(
            APITimeoutError, "timed out waiting for the answer of {server}: {request}", False, True
        ),
    ),
    (
        (_errors.LocationValueError, _errors.ProxySchemeUnknown),
        _Kind(APIConnectionError, "cannot send: {request}: {reason}", True, False),
    ),
)


def _kind_of(exc: BaseException) -> _Kind:
    if isinstance(exc, _errors.SSLError) and _tls_cut(exc):
        # A TLS connection closed mid-exchange is a cut connection, as over plain http.
        return _CUT
    return next((kind for types, kind in _KINDS if isinstance(exc, types)), _OTHER)


def connection_error(
    exc: BaseException, method: str, url: str, *, server: str, proxy: str | None = None
) -> Mapped:
    """Map a urllib3 error to ours, with two flags: whether the request surely never left, and
    whether another attempt could succeed.

    ``server`` names who was asked ("lakeFS at https://host:8000", "the object store at ..."),
    ``proxy`` the proxy the request went through, if any (without credentials).
    """
    path = path_of(url)
    if isinstance(exc, _errors.MaxRetryError) and exc.reason is not None:
        exc = exc.reason  # only when a caller's own Retry wrapped it
    if isinstance(exc, _errors.ProxyError) and proxy is not None:
        return _proxy_error(exc, method, path, proxy)
    kind = _kind_of(exc)
    text = kind.text.format(
        server=server,
        request=f"{method} {path}",
        reason=f"{type(exc).__name__}: {safe_cause(exc)}",
        hint=_tls_hint(exc),
    )
    return kind.error(text, method=method, path=path), kind.never_sent, kind.can_succeed


def _tls_cut(exc: urllib3.exceptions.SSLError) -> bool:
    """Whether a TLS error is the connection ending early (no close_notify), not a refusal."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return True
    text = str(exc)
    return "EOF occurred in violation of protocol" in text or "UNEXPECTED_EOF" in text


def _tls_hint(exc: BaseException) -> str:
    """What to do about a failed handshake, when the reason is a common one."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return _CA_HINT
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        return "; the server does not speak TLS on this port: if it serves plain http, use http://"
    return ""


def _proxy_error(exc: urllib3.exceptions.ProxyError, method: str, path: str, proxy: str) -> Mapped:
    """A failure at the proxy: its refusal is final; no connection to it may be retried."""
    original = exc.original_error
    match = _TUNNEL_STATUS.search(str(original))
    if match is not None:
        status = int(match.group(1))
        return proxy_refusal(status, method, path, proxy), True, False
    if isinstance(original, urllib3.exceptions.SSLError):
        hint = _tls_hint(original)
        text = f"TLS handshake with the proxy {proxy} failed: {method} {path}: {original}{hint}"
        return TLSError(text, method=method, path=path), True, False
    reason = f"{type(original).__name__}: {safe_cause(original)}"
    text = f"could not connect to the proxy {proxy}: {method} {path}: {reason}"
    never_sent = isinstance(original, urllib3.exceptions.NewConnectionError)
    return ProxyError(text, method=method, path=path, proxy=proxy), never_sent, True


def is_proxy_answer(resp: urllib3.BaseHTTPResponse) -> bool:
    """Whether a 401 came from the proxy rather than lakeFS (which answers JSON)."""
    if resp.headers.get("Proxy-Authenticate"):
        return True
    return "json" not in (resp.headers.get("Content-Type") or "").lower()


def proxy_refusal(status: int, method: str, path: str, proxy: str) -> ProxyError:
    """The proxy's own refusal (``407``, or ``401`` from proxies such as tinyproxy)."""
    if status in (401, 407):
        why = (
            "it wants credentials, or refused the ones given: put them in the proxy URL "
            "(http://user:password@proxy:3128, percent-encoded) of proxy= or HTTPS_PROXY"
        )
    else:
        why = "it refused to forward the request (check its access rules and allowed ports)"
    text = f"the proxy {proxy} answered {status}: {method} {path}: {why}"
    return ProxyError(text, method=method, path=path, proxy=proxy, status_code=status)


def add_note(err: LakeFSError, note: str) -> None:
    """Append ``(note)`` to an error's message (why it was not retried)."""
    if isinstance(err, (APIStatusError, APIConnectionError)):
        err.message = f"{err.message} ({note})"
        err.args = (str(err),) if not isinstance(err, APIStatusError) else err.args
