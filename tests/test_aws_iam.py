"""AWS IAM role authentication: the signed identity, token refresh, and the server's answer."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

import lakefs
from lakefs import AwsIamSettings, NotImplementedByServerError
from lakefs._config import ClientConfig
from lakefs.lib.aws_iam import AwsIamTokenProvider, identity_token
from tests.conftest import Server


def _session() -> Any:
    return boto3.Session(
        aws_access_key_id="AKIAEXAMPLEROLE",
        aws_secret_access_key="role-secret",
        aws_session_token="role-session-token",
        region_name="eu-central-1",
    )


def test_identity_token_describes_a_presigned_get_caller_identity() -> None:
    token = identity_token(_session(), "https://lakefs.example.com/api/v1", {}, 60)
    described = json.loads(base64.b64decode(token))
    assert described["action"] == "GetCallerIdentity"
    assert described["method"] == "POST"
    assert described["access_key_id"] == "AKIAEXAMPLEROLE"
    assert described["expiration_duration"] == "60"
    assert described["security_token"] == "role-session-token"
    assert "x-lakefs-server-id" in described["signed_headers"]
    assert len(described["signature"]) == 64
    assert "role-secret" not in base64.b64decode(token).decode()


class _Response:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = json.dumps(data).encode()


class _LoginTransport:
    """Stands in for the transport: counts logins and answers with numbered tokens."""

    config = ClientConfig(host="https://lakefs.example.com", jwt_token="unused")

    def __init__(self) -> None:
        self.logins: list[dict[str, Any]] = []

    def api_url(self, segments: list[str], query: object = None) -> str:
        return self.config.host + "/" + "/".join(segments)

    def request(self, method: str, url: str, **kwargs: Any) -> _Response:
        assert kwargs["authenticate"] is False  # the login carries no credentials
        self.logins.append(json.loads(kwargs["body"]))
        return _Response({"token": f"jwt-{len(self.logins)}", "token_expiration": 10_000})


def test_tokens_are_reused_then_refreshed_before_they_expire() -> None:
    now = [1_000.0]
    transport = _LoginTransport()
    provider = AwsIamTokenProvider(
        AwsIamSettings(token_ttl_seconds=9_000),
        transport,  # type: ignore[arg-type]
        session=_session(),
        clock=lambda: now[0],
    )
    assert provider.token() == "jwt-1"
    now[0] = 9_000.0
    assert provider.token() == "jwt-1"
    now[0] = 9_800.0  # within five minutes of expiry (10,000)
    assert provider.token() == "jwt-2"
    assert transport.logins[0]["token_expiration_duration"] == 9_000
    assert "identity_token" in transport.logins[0]["identityRequest"]


@pytest.mark.loopback  # the signed identity differs per run, so this cannot replay
@pytest.mark.server("local")
def test_the_open_source_server_refuses_iam_login_clearly(server: Server) -> None:
    config = ClientConfig(
        host=server.endpoint, ssl_ca_cert=server.ca_cert, aws_iam=AwsIamSettings()
    )
    client = lakefs.Client.from_config(config)
    provider = client.transport.token.__self__  # type: ignore[union-attr]
    provider._session = _session()
    with pytest.raises(NotImplementedByServerError) as info:
        lakefs.repository("iam-check", client=client).exists()
    assert info.value.path == "/api/v1/auth/external/principal/login"
