"""Logging under the ``lakefs`` logger, with secrets redacted from every line.

Silent by default. ``LAKEFS_LOG=debug`` (or ``info``) attaches a stream handler. Every SDK module
takes its logger from :func:`get_logger`, whose records pass through :class:`RedactingFilter`:
``Authorization`` values, cookies, tokens, secrets and pre-signed query strings never reach a
handler, whichever handler the application attaches.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

__all__ = ["RedactingFilter", "get_logger", "logger", "redact", "setup_logging"]

logger = logging.getLogger("lakefs")

_REDACTED = "REDACTED"
_RULES: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Basic xxx / 'Authorization': 'Bearer xxx' / authorization=...
    (
        re.compile(r"""(authorization['"]?\s*[:=]\s*['"]?)(basic|bearer)?\s*[^'",\s}]+""", re.I),
        rf"\1\2 {_REDACTED}",
    ),
    (re.compile(r"\b(Basic|Bearer) [A-Za-z0-9+/=._~-]{6,}"), rf"\1 {_REDACTED}"),
    (re.compile(r"""((?:set-)?cookie['"]?\s*[:=]\s*['"]?)[^'"\n]+""", re.I), rf"\1{_REDACTED}"),
    # Pre-signed URLs, whole or as a request line's path: drop the whole query string.
    (
        re.compile(r"([^\s'\"?]*)\?[^\s'\"]*(?:X-Amz-|[Ss]ignature=|[?&]sig=)[^\s'\"]*"),
        rf"\1?{_REDACTED}",
    ),
    (
        re.compile(
            r"""(['"]?(?:secret_access_key|jwt_token|session_token|token|password)['"]?"""
            r"""\s*[:=]\s*['"]?)[^'",\s}]+""",
            re.I,
        ),
        rf"\1{_REDACTED}",
    ),
]


def redact(text: str) -> str:
    """Remove credentials, tokens and pre-signed signatures from ``text``."""
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
