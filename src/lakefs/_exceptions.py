"""Every error this SDK raises, rooted at :class:`LakeFSError`.

::

    LakeFSError
    ├── NoAuthenticationFound          no server or credentials anywhere in the chain
    ├── PresignNotSupportedError       the blockstore cannot pre-sign URLs
    ├── SourceChangedError             a local file changed while it was uploaded
    ├── ObjectChangedError             an object was overwritten while it was read
    ├── ValidationError (ValueError)   a bad argument, caught before any request is sent
    ├── PathRefusedError               the server refused one path of a bulk request (its message)
    ├── PartialFailureError            some paths of a bulk operation failed, the others were done:
    │   │                              ``failed`` maps each path to its error
    │   ├── DeleteObjectsError         a bulk delete's failures (lakefs.lib.objects)
    │   └── TransferError              a folder transfer's failures (lakefs.lib.folders)
    ├── APIConnectionError             the server could not be reached or stopped answering
    │   ├── APITimeoutError
    │   ├── TLSError                   handshake failed: certificate not trusted, wrong host
    │   └── ProxyError                 a forward proxy refused (407) or could not be reached
    ├── APIResponseError               an answer the SDK cannot use: malformed, too large, or
    │                                  a redirect it does not follow
    └── APIStatusError                 the server answered with an error status
        ├── BadRequestError              400
        ├── UnauthorizedError            401
        ├── ForbiddenError               403
        ├── NotFoundError                404
        │   └── ObjectNotFoundError      (also FileNotFoundError)
        ├── ConflictError                409
        ├── GoneError                    410
        ├── PreconditionFailedError      412
        │   └── ObjectExistsError        (also FileExistsError)
        ├── RangeNotSatisfiableError     416
        ├── TooManyRequestsError         429
        └── ServerError                  5xx
            └── NotImplementedByServerError  501

A bulk operation (deleting many objects, a folder transfer) does not stop at its first failure: it
does what it can, then reports every path that failed in one :class:`PartialFailureError`, whose
``failed`` maps each path to its error (a :class:`PathRefusedError` for a path the server refused,
a status or connection error for a request that failed, an ``OSError`` for a local file) and whose
text names the first few.

Errors from ``lakefs_sdk`` and urllib3 never reach users: they are mapped to these, with the
original chained as ``__cause__``. Every error pickles (a process pool hands it back to the parent
as it was).

A status error's text is ``STATUS METHOD PATH (PARAMS): MESSAGE``, stable and made to be read:

* ``PATH`` is the URL path as sent, so it names the repository and the reference
  (``/api/v1/repositories/REPO/refs/REF/objects/stat``), also held as ``repository`` and ``ref``;
* ``(PARAMS)`` the query's non-empty parameters, decoded: ``(path='a/b.csv')`` names the object
  (also held as ``object_path``); left out when there are none;
* ``MESSAGE`` the server's own message, verbatim (lakeFS's ``{"message": ...}``; an object
  store's XML error as ``object store: CODE: MESSAGE``; a body-less answer, such as HEAD's, the
  status's phrase). lakeFS 1.86 answers ``repository not found``, ``branch not found``,
  ``commit not found``, ``tag not found``, and a bare ``not found`` both for a missing object
  and for an object read at a reference that does not exist (the text's PATH tells which ref).

For example ``404 GET /api/v1/repositories/example/refs/main/objects/stat (path='a/b.csv'): not
found``. Credentials and signatures are redacted from texts, bodies and causes by
:func:`lakefs._logs.redact` (signature-carrying parameters show as ``X-Amz-Signature=REDACTED``);
nothing else is removed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from lakefs._logs import REDACTED, redact

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "LakeFSError",
    "NoAuthenticationFound",
    "NotFoundError",
    "NotImplementedByServerError",
    "ObjectChangedError",
    "ObjectExistsError",
    "ObjectNotFoundError",
    "PartialFailureError",
    "PathRefusedError",
    "PreconditionFailedError",
    "PresignNotSupportedError",
    "ProxyError",
    "RangeNotSatisfiableError",
    "ServerError",
    "SourceChangedError",
    "TLSError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "ValidationError",
]
"""The error classes, all public (``lakefs`` re-exports them); the helpers below are the SDK's."""

_MAX_MESSAGE = 500


class LakeFSError(Exception):
    """The root of every error raised by this SDK."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its args and attributes, not by calling the constructor again: every
        # subclass pickles, whatever its constructor's signature.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type[LakeFSError], args: tuple[Any, ...], state: dict[str, Any]) -> LakeFSError:
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class NoAuthenticationFound(LakeFSError):  # noqa: N818 - the design's name
    """Nothing in the credentials chain names a lakeFS server and credentials."""


class ValidationError(LakeFSError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class PathRefusedError(LakeFSError):
    """The server refused one path of a bulk request (its other paths were done); what a
    :class:`PartialFailureError` holds for it. Its text is the server's message, verbatim.

    Attributes:
        path: the path refused.
        message: the server's message.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __eq__(self, other: object) -> bool:
        """The same path refused with the same message (a copy unpickled compares equal)."""
        if not isinstance(other, PathRefusedError):
            return NotImplemented
        return (type(other), other.path, other.message) == (type(self), self.path, self.message)

    def __hash__(self) -> int:
        """A hash of the path and the message, consistent with ``==``."""
        return hash((type(self).__name__, self.path, self.message))


class PartialFailureError(LakeFSError):
    """Some paths of a bulk operation failed; the others were done.

    Every bulk operation reports its failures this one way, after doing all it could (the
    subclasses say which operation). The text names the first :attr:`NAMED` failures and
    counts the rest.

    Attributes:
        failed: each failed path and its error, in the order they failed: a
            :class:`PathRefusedError` (the server refused that path), a
            :class:`LakeFSError` (its request failed), or another exception (an ``OSError``
            for a local file).
    """

    NAMED: ClassVar[int] = 5
    """How many failures the text names."""

    def __init__(
        self, message: str = "", *, failed: Mapping[str, BaseException] | None = None
    ) -> None:
        self.failed: dict[str, BaseException] = dict(failed or {})
        super().__init__(message or self._describe())

    def _headline(self, count: int) -> str:
        return f"{count} path(s) failed"

    def _describe(self) -> str:
        named = "; ".join(f"{p}: {e}" for p, e in list(self.failed.items())[: self.NAMED])
        rest = len(self.failed) - self.NAMED
        more = f" (and {rest} more)" if rest > 0 else ""
        return f"{self._headline(len(self.failed))}: {named}{more}"


class APIConnectionError(LakeFSError):
    """The request did not get an answer: connection refused, reset or dropped mid-response.

    Attributes:
        method: the HTTP method.
        path: the URL path of the request.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return self.message


class APITimeoutError(APIConnectionError):
    """The server did not accept the connection or answer within the timeout."""


class TLSError(APIConnectionError):
    """The TLS handshake failed: most often the server's certificate is not trusted
    ("certificate verify failed": a private CA not given with ``ssl_ca_cert=``, or a host name
    the certificate does not cover). Never retried; no request was sent."""


class ProxyError(APIConnectionError):
    """A forward proxy refused or failed the request (its own refusal, such as ``407 Proxy
    Authentication Required``, or no connection to the proxy); the text names the proxy, never
    its credentials.

    Attributes:
        proxy: the proxy's URL without credentials.
        status_code: the proxy's status when it answered (407, or 401 from some proxies).
    """

    def __init__(
        self, message: str, *, method: str, path: str, proxy: str, status_code: int | None = None
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.proxy = proxy
        self.status_code = status_code


class ObjectChangedError(LakeFSError):
    """An object was overwritten while it was read: the read stopped rather than mix two
    versions (read it again)."""


class SourceChangedError(LakeFSError):
    """A local file changed while it was uploaded (its size, or its modification or status-change
    time: a same-size rewrite in place too); the upload was stopped and nothing was published."""


class PresignNotSupportedError(LakeFSError):
    """The server's blockstore cannot hand out pre-signed URLs (a local blockstore, say)."""


class APIResponseError(LakeFSError):
    """The server answered, but not with something the SDK can use: a malformed or unexpected
    body, an answer above the size limit, or a redirect the SDK does not follow.

    Attributes:
        method: the HTTP method.
        path: the URL path of the request.
    """

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path


_BY_STATUS: dict[int, type[APIStatusError]] = {}
"""The class of each status (filled by each class's ``status=``)."""


class APIStatusError(LakeFSError):
    """The server answered with an error status.

    Attributes:
        status_code: the HTTP status code.
        message: the server's message (lakeFS answers ``{"message": ...}``), verbatim.
        method: the HTTP method.
        path: the URL path (no query string).
        params: the query's parameters, decoded, as ``(name, value)`` pairs (signatures and
            credentials redacted).
        repository: the repository the request was about, when its path names one.
        ref: the reference (branch, tag, commit or expression) its path names, if any.
        object_path: the object it was about (the ``path`` parameter of object requests).
        body: the response body as text, if any (credentials and signatures redacted).
        request_id: the server's ``X-Request-Id``, for its logs.
    """

    STATUS: ClassVar[int | None] = None
    """The status this class stands for (None: several)."""

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        """``class NotFoundError(APIStatusError, status=404)`` makes the class the one
        :func:`make_status_error` raises for that status (a subclass without ``status=`` keeps
        its parent's ``STATUS``)."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.STATUS = status
            _BY_STATUS[status] = cls

    # Defaults for errors pickled before these attributes existed.
    params: tuple[tuple[str, str], ...] = ()
    repository: str | None = None
    ref: str | None = None
    object_path: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        path: str,
        body: str | None = None,
        request_id: str | None = None,
        params: Iterable[tuple[str, str]] = (),
        repository: str | None = None,
        ref: str | None = None,
        object_path: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body = body
        self.request_id = request_id
        self.params = tuple(params)
        self.repository = repository
        self.ref = ref
        self.object_path = object_path
        super().__init__(self._text())

    def _text(self) -> str:
        shown = ", ".join(
            f"{k}={v}" if v == REDACTED else f"{k}={v!r}" for k, v in self.params if v
        )
        where = f"{self.path} ({shown})" if shown else self.path
        return f"{self.status_code} {self.method} {where}: {self.message}"

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        try:
            return f"{type(self).__name__}({self._text()!r})"
        except Exception:  # a repr must never raise
            return f"{type(self).__name__}(...)"


class BadRequestError(APIStatusError, status=400):
    """400: the request is invalid (also: nothing to commit, pre-signing unsupported)."""


class UnauthorizedError(APIStatusError, status=401):
    """401: the credentials are missing or wrong."""


class ForbiddenError(APIStatusError, status=403):
    """403: the credentials may not do this (or the feature is disabled on the server)."""


class NotFoundError(APIStatusError, status=404):
    """404: the repository, reference or object does not exist."""


class ObjectNotFoundError(NotFoundError, FileNotFoundError):
    """404 for an object path; also a ``FileNotFoundError`` (its constructor and text are
    APIStatusError's, which comes first in its bases)."""


class ConflictError(APIStatusError, status=409):
    """409: it exists already, or a merge conflicts."""


class GoneError(APIStatusError, status=410):
    """410: the data is gone (e.g. an object whose physical data was removed)."""


class PreconditionFailedError(APIStatusError, status=412):
    """412: a precondition (such as ``If-None-Match``) failed."""


class ObjectExistsError(PreconditionFailedError, FileExistsError):
    """412 for an object written with ``If-None-Match: *``; also a ``FileExistsError``."""


class RangeNotSatisfiableError(APIStatusError, status=416):
    """416: the requested byte range lies outside the object."""


class TooManyRequestsError(APIStatusError, status=429):
    """429: the server asks to slow down (retried automatically first)."""


class ServerError(APIStatusError):
    """5xx: the server failed (transient ones are retried automatically first)."""


class NotImplementedByServerError(ServerError, status=501):
    """501: this server (edition or configuration) does not implement the operation."""


_RETRY_ALWAYS = frozenset({408, 429, 502, 503, 504})


def is_retryable_status(status: int, *, idempotent: bool) -> bool:
    """Whether a response with this status is worth another attempt.

    408, 429, 502, 503 and 504 always; 500 only for idempotent requests; never 409 or 412,
    which lakeFS uses for real conflicts.
    """
    return status in _RETRY_ALWAYS or (status == 500 and idempotent)


def header_value(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None, name: str
) -> str | None:
    """A header's value, looked up case-insensitively in a mapping or a list of pairs."""
    if not headers:
        return None
    # A mapping, anything else with items() (an http.client/email message), or pairs.
    pairs = headers.items() if hasattr(headers, "items") else headers
    lowered = name.lower()
    return next((str(v) for k, v in pairs if k.lower() == lowered), None)


# An object store's error (S3, GCS and Azure answer <Error><Code>..</Code><Message>..</Message>).
_XML_ERROR = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?<Error>")
_XML_CODE = re.compile(r"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
# /api/v1/repositories/REPO[/branches|tags|commits/ID | /refs/REF/...]: a path prefix before
# /api/v1 (lakeFS behind a reverse proxy) is allowed.
_API_PATH = re.compile(
    r"/api/v1/repositories/([^/]+)(?:/(?:branches|tags|commits)/([^/]+)|/refs/([^/]+)/)?"
)


def _message(status: int, text: str | None) -> str:
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        message = parsed.get("message")
        # JSON without a message (a merge's conflict answers with its result): the status says it
        return message if isinstance(message, str) else _phrase(status)
    if text and _XML_ERROR.match(text):
        parts = [m.group(1) for m in (_XML_CODE.search(text), _XML_MESSAGE.search(text)) if m]
        if parts:
            return "object store: " + ": ".join(html.unescape(p) for p in parts)
    first = (text or "").strip()
    return first[:_MAX_MESSAGE] if first else _phrase(status)


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _params(query: str) -> tuple[tuple[str, str], ...]:
    pairs = (pair.partition("=") for pair in query.split("&") if pair)
    return tuple((unquote(k), unquote(v)) for k, _, v in pairs)


def make_status_error(
    status: int,
    *,
    body: bytes | str | None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    method: str,
    path: str,
    object_path: str | None = None,
) -> APIStatusError:
    """The error for an HTTP error answer (its text: see this module's docstring).

    Args:
        status: the HTTP status.
        body: the response body (lakeFS's is JSON with a ``message``).
        headers: the response headers (any mapping; looked up case-insensitively).
        method: the request's method.
        path: the request's URL or path; scheme and host are dropped, the query's parameters
            kept (decoded, with signatures and credentials redacted).
        object_path: the object the request was about: a 404 then is
            :class:`ObjectNotFoundError` and a 412 :class:`ObjectExistsError`.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = redact(text) if text else None
    cls: type[APIStatusError] = _BY_STATUS.get(status, APIStatusError)
    if 500 <= status <= 599 and cls is APIStatusError:
        cls = ServerError
    if object_path is not None and cls is NotFoundError:
        cls = ObjectNotFoundError
    elif object_path is not None and cls is PreconditionFailedError:
        cls = ObjectExistsError
    url = urlsplit(redact(path))
    url_path = url.path or "/"
    names = _API_PATH.search(url_path)
    repository = unquote(names.group(1)) if names else None
    ref = (names.group(2) or names.group(3)) if names else None
    return cls(
        _message(status, text),
        status_code=status,
        method=method.upper(),
        path=url_path,
        body=text,
        request_id=header_value(headers, "X-Request-Id"),
        params=_params(url.query),
        repository=repository,
        ref=unquote(ref) if ref else None,
        object_path=object_path,
    )
