"""Logging under the ``lakefs`` logger, with secrets redacted from every line.

Silent by default. ``LAKEFS_LOG=debug`` (or ``info``) attaches a stream handler. Every SDK module
takes its logger from :func:`get_logger`, whose records pass through :class:`RedactingFilter`:
``Authorization`` values, cookies, tokens, secrets, URL passwords and the signature-carrying
query parameters of pre-signed URLs never reach a handler, whichever handler the application
attaches (:func:`redact` is the rule; error texts and their causes go through it too).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping

__all__ = ["REDACTED", "RedactingFilter", "get_logger", "logger", "redact", "setup_logging"]

logger = logging.getLogger("lakefs")
# Silent unless the application (or LAKEFS_LOG) configures logging: without a handler of its
# own, Python's last-resort handler would print the SDK's warnings to stderr.
logger.addHandler(logging.NullHandler())

REDACTED = "REDACTED"
"""What a redacted value is replaced by."""

# Query parameters that carry a credential or a signature: S3's X-Amz-* (and SigV2's
# AWSAccessKeyId, Signature), GCS's X-Goog-* (and V2's GoogleAccessId, Signature), Azure SAS's
# sig (the signature) and se (its expiry), and token-, secret-, password- and api-key-named ones.
# Every other parameter (path=, prefix=, after=, amount=, presign=, x-id=, Expires=) is kept.
_SECRET_PARAMS = (
    r"X-Amz-[\w-]+|X-Goog-[\w-]+|AWSAccessKeyId|GoogleAccessId|Signature|sig|se"
    r"|[\w-]*token|[\w-]*secret|password|api_?key"
)


def _keep_quotes(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # Authorization: Basic xxx / 'Authorization': 'Bearer xxx' / Proxy-Authorization: ...
    (
        re.compile(r"""(authorization['"]?\s*[:=]\s*['"]?)(basic|bearer)?\s*[^'",\s}&]+""", re.I),
        rf"\1\2 {REDACTED}",
    ),
    (re.compile(r"\b(Basic|Bearer) [A-Za-z0-9+/=._~-]{6,}"), rf"\1 {REDACTED}"),
    (re.compile(r"""((?:set-)?cookie['"]?\s*[:=]\s*['"]?)[^'"\n]+""", re.I), rf"\1{REDACTED}"),
    # A URL's user:password@ loses the password.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/?#@'\"]*?:)[^\s/?#@'\"]+@", re.I), r"\1****@"),
    # Signature-carrying query parameters lose their values (names stay), also in JSON bodies,
    # which write "&" as "\u0026", and in XML, which writes it "&amp;".
    (
        re.compile(rf"((?:[?&]|\\u0026|&amp;)(?:{_SECRET_PARAMS})=)[^&\s'\"#\\<]*", re.I),
        rf"\1{REDACTED}",
    ),
    # An object store's XML error quotes the signature it was given and what was signed.
    (
        re.compile(
            r"(<(SignatureProvided|StringToSign(?:Bytes)?|CanonicalRequest(?:Bytes)?"
            r"|AWSAccessKeyId|Credential)>)[^<]*(</\2>)"
        ),
        rf"\1{REDACTED}\3",
    ),
    # secret_access_key: ..., "token": "...", password=..., *_SECRET_ACCESS_KEY=... (quotes kept)
    (
        re.compile(
            r"""((?<![\w-])['"]?[\w-]*(?:secret_access_key|secret|token|password)['"]?\s*[:=]\s*)"""
            r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^'",\s}&]+)""",
            re.I,
        ),
        _keep_quotes,
    ),
]


def redact(text: str) -> str:
    """``text`` with credentials, tokens and signatures replaced by ``REDACTED``.

    The one rule for log lines, error texts and chained causes: ``Authorization`` and cookie
    values, a URL's password (``user:****@``), secret-named fields (``secret_access_key``,
    ``token``, ``password``) and the values of signature-carrying query parameters (see
    ``_SECRET_PARAMS``); the rest of a URL, its other query parameters included, is kept.
    """
    for rx, replacement in _RULES:
        text = rx.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Renders a record's message with its arguments, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactingFilter()

# The libraries the SDK drives log request lines (pre-signed URLs with their signatures) at
# DEBUG. Their records are redacted too; their levels and handlers are left as they are.
_DRIVEN = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "lakefs_sdk.rest",
)
for _name in _DRIVEN:
    if _FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    """The logger ``lakefs.<name>``, with redaction attached (every SDK module uses this)."""
    log = logging.getLogger(f"lakefs.{name}")
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)
    return log


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_HANDLER_FLAG = "_lakefs_handler"


def setup_logging(environ: Mapping[str, str] | None = None) -> None:
    """Attach a stream handler to ``lakefs`` when ``LAKEFS_LOG`` is ``debug`` or ``info``.

    Reads only the environment; calling it again adds no second handler.
    """
    env = os.environ if environ is None else environ
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(env.get("LAKEFS_LOG", "").lower())
    if level is None:
        return
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    if not any(getattr(h, _HANDLER_FLAG, False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(
            _Formatter("[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s")
        )
        handler.addFilter(_FILTER)
        setattr(handler, _HANDLER_FLAG, True)
        logger.addHandler(handler)
    logger.setLevel(level)
