"""The one way requests leave this SDK: a pooled urllib3 transport with timeouts and retries.

Both kinds of request go through :meth:`Transport.request`, and so through the same connection
pool, default timeout, retry loop, error mapping and logging:

* the generated ``lakefs_sdk`` calls, whose REST client is replaced by :class:`SDKRestClient`;
* the raw path, for bodies streamed from files or iterators and answers read incrementally, which
  ``lakefs_sdk`` cannot do (it reads whole bodies).

The layers, top to bottom (one module each):

* ``_core``: :class:`Transport`, a client's pool, timeouts, auth and retry policy;
* ``_retry``: the retry loop and :class:`RetryPolicy`;
* ``_exchange``: one attempt, in layers: prepare, send once, redirect, status, capped read;
* ``_body``: request bodies given afresh to each attempt (:data:`Body`);
* ``_failures``: urllib3's errors and a proxy's refusals as this SDK's errors;
* ``_protocol``: :class:`HTTPTransport`, what sends one exchange (the seam ``Client(transport=...)``
  replaces), and what callers need without urllib3 (``import lakefs`` does not import it: the
  other layers are imported with the first client);
* ``_pool``: this process's own pools, whose connections report to the call's deadline;
  ``_proxies``: which proxy a URL goes through;
* ``_sdk``: ``SDKRestClient``, what :attr:`lakefs.Client.sdk` sends through (imported with
  ``lakefs_sdk``, on first use).

Retry policy: connection failures before a request was sent are always retried; a lost or timed-out
answer only for idempotent methods; failures that cannot succeed (TLS, redirects) never. Statuses
408, 429, 502, 503 and 504 are retried, 500 only for idempotent methods, 409 and 412 never (lakeFS
means real conflicts by them). Backoff is exponential with full jitter, ``Retry-After`` is
honoured. A body is sent again only from its start: bytes, a seekable file rewound, a path
reopened; a streamed body (an iterator, a pipe) that was already consumed is never retried.

Safety: each process has its own pool (a child after ``fork()`` never shares a parent's socket);
redirects are errors except where a caller allows one (a pre-signed read, to http(s) only, without
credentials); answers read whole are capped at :data:`MAX_ANSWER_BYTES`; a call's total time is
bounded (:attr:`Timeout.total`); error texts, their causes and logs never hold credentials or
signatures (:func:`lakefs._logs.redact`).

TLS and proxies: one ``SSLContext`` per pool trusts the system's store (``SSL_CERT_FILE``
honoured) plus ``ssl_ca_cert``, for lakeFS and pre-signed URLs alike. Each request takes the
proxy that :func:`proxy_for` chooses for its URL (``proxy=``, else the standard environment
variables), with the proxy URL's credentials sent as ``Proxy-Authorization``. A certificate not
trusted is a :class:`~lakefs.TLSError` and a proxy's refusal a :class:`~lakefs.ProxyError`,
neither retried.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lakefs._transport._protocol import HTTPTransport, json_object

if TYPE_CHECKING:
    from lakefs._transport._body import Body
    from lakefs._transport._core import Transport
    from lakefs._transport._failures import proxy_refusal, safe_cause
    from lakefs._transport._pool import Routes
    from lakefs._transport._proxies import proxies_from_environment, proxy_for
    from lakefs._transport._retry import IDEMPOTENT_METHODS, RetryPolicy

# Imported on first use: these layers import urllib3, which ``import lakefs`` does not.
_LAZY = {
    "Body": "_body",
    "Transport": "_core",
    "proxy_refusal": "_failures",
    "safe_cause": "_failures",
    "Routes": "_pool",
    "_Routes": "_pool",  # the name tests/test_proxy_rules.py imports
    "proxies_from_environment": "_proxies",
    "proxy_for": "_proxies",
    "IDEMPOTENT_METHODS": "_retry",
    "RetryPolicy": "_retry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name.lstrip("_"))
    globals()[name] = value
    return value


MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer read whole (JSON and error bodies; far above any real lakeFS answer, whose
listing pages are about 1 MiB). Larger ones fail with :class:`~lakefs.APIResponseError`. Object
reads are streamed and not capped. Read here at each request (setting it here takes effect)."""

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_ANSWER_BYTES",
    "Body",
    "HTTPTransport",
    "RetryPolicy",
    "Routes",
    "Transport",
    "json_object",
    "proxies_from_environment",
    "proxy_for",
    "proxy_refusal",
    "safe_cause",
]
