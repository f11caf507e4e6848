"""Secrets never show: not in logs, reprs or error texts (replayed and live)."""

from __future__ import annotations

import base64
import logging

import lakefs_sdk
import pytest

import lakefs
from lakefs import Client, UnauthorizedError
from lakefs._logs import redact
from tests.conftest import Server

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.server("local")
def test_no_secret_in_logs_reprs_or_errors(
    server: Server, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = server.client(secret_access_key="x1")
    texts = [repr(client), str(client.config), repr(client.config), repr(wrong.config)]
    with caplog.at_level(logging.DEBUG, logger="lakefs"):
        with pytest.raises(UnauthorizedError) as info:
            lakefs.repository("secret-check", client=wrong).exists()
        texts += [str(info.value), repr(info.value), str(info.value.body)]
        with pytest.raises(lakefs.NotFoundError) as missing:
            lakefs_sdk.RepositoriesApi(client.sdk).get_repository("no-such-repo")
        texts += [
            str(missing.value),
            repr(missing.value),
            repr(lakefs.repository("rep", client=client)),
        ]
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records  # the requests were logged
    basic = base64.b64encode(f"{server.access_key_id}:{SECRET}".encode()).decode()
    for text in texts:
        assert SECRET not in text
        assert basic not in text


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("headers {'Authorization': 'Basic QUtJQTpzZWNyZXQ='}", "QUtJQTpzZWNyZXQ="),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("Cookie: internal_auth_session=abcdef123", "abcdef123"),
        ("PUT http://s3:9000/b/k?X-Amz-Credential=AKIAX%2F&X-Amz-Signature=deadbeef", "deadbeef"),
        ('{"secret_access_key": "hunter2-long-secret"}', "hunter2"),
        ("{'token': 'tok-abcdef-123'}", "tok-abcdef"),
    ],
)
def test_redact(line: str, secret: str) -> None:
    out = redact(line)
    assert secret not in out
    assert "REDACTED" in out


def test_redacting_filter_applies_to_every_sdk_logger(caplog: pytest.LogCaptureFixture) -> None:
    from lakefs._logs import get_logger

    log = get_logger("test")
    with caplog.at_level(logging.DEBUG, logger="lakefs"):
        log.info("sending %s", {"Authorization": "Basic c2VjcmV0LXZhbHVl"})
    assert "c2VjcmV0LXZhbHVl" not in caplog.text
    assert "REDACTED" in caplog.text


def test_lakefs_log_switches_on_one_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from lakefs._logs import logger, setup_logging

    before = list(logger.handlers)
    try:
        setup_logging({})
        assert logger.handlers == before
        setup_logging({"LAKEFS_LOG": "debug"})
        setup_logging({"LAKEFS_LOG": "DEBUG"})
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1
        assert logger.level == logging.DEBUG
    finally:
        logger.handlers = before
        logger.setLevel(logging.NOTSET)
