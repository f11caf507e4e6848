"""Authentication through an AWS IAM role (lakeFS Enterprise and Cloud).

The client proves its AWS identity with a pre-signed STS ``GetCallerIdentity`` request, which
lakeFS's external-principal login verifies and answers with a JWT. The token is refreshed a few
minutes before it expires. Needs ``pip install 'lakefs[aws-iam]'`` (boto3).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from lakefs._config import AwsIamSettings
from lakefs._exceptions import APIResponseError, NoAuthenticationFound
from lakefs._generated import operations as ops
from lakefs._transport import json_object

if TYPE_CHECKING:
    from lakefs._transport import Transport

__all__ = ["AwsIamTokenProvider", "identity_token"]

DEFAULT_REGION = "us-east-1"
REFRESH_MARGIN_S = 300.0


def _region(endpoint: str) -> str:
    """``https://sts.eu-central-1.amazonaws.com`` -> ``eu-central-1``; the global one: us-east-1."""
    host = urlsplit(endpoint).hostname or ""
    parts = host.split(".")
    if len(parts) >= 4 and parts[0] == "sts":
        return parts[1]
    return DEFAULT_REGION


def identity_token(
    session: Any, lakefs_host: str, headers: Mapping[str, str], presign_ttl_s: int
) -> str:
    """A base64 JSON description of a pre-signed STS ``GetCallerIdentity`` request.

    Args:
        session: a ``boto3.Session`` holding the role's credentials.
        lakefs_host: the lakeFS endpoint, signed into the request as ``X-LakeFS-Server-ID``
            unless ``headers`` are given.
        headers: extra headers to sign into the request.
        presign_ttl_s: how long the pre-signed request stays valid.
    """
    from botocore.client import Config
    from botocore.signers import RequestSigner

    sts = session.client("sts", config=Config(signature_version="v4"))
    endpoint = sts.meta.endpoint_url
    region = _region(endpoint)
    credentials = session.get_credentials()
    if credentials is None:
        raise NoAuthenticationFound("AWS IAM authentication: the boto3 session has no credentials")
    signer = RequestSigner(
        sts.meta.service_model.service_id, region, "sts", "v4", credentials, session.events
    )
    request = {
        "method": "POST",
        "url": f"{endpoint}/?Action=GetCallerIdentity&Version=2011-06-15",
        "body": {},
        "headers": dict(headers) or {"X-LakeFS-Server-ID": lakefs_host},
        "context": {},
    }
    url = signer.generate_presigned_url(
        request, region_name=region, expires_in=presign_ttl_s, operation_name=""
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    description = {
        "method": "POST",
        "host": urlsplit(url).hostname,
        "region": region,
        "action": query["Action"],
        "date": query["X-Amz-Date"],
        "expiration_duration": query["X-Amz-Expires"],
        "access_key_id": query["X-Amz-Credential"].split("/")[0],
        "signature": query["X-Amz-Signature"],
        "signed_headers": query.get("X-Amz-SignedHeaders", "").split(";"),
        "version": query["Version"],
        "algorithm": query["X-Amz-Algorithm"],
        "security_token": query.get("X-Amz-Security-Token"),
    }
    return base64.b64encode(json.dumps(description).encode()).decode()


class AwsIamTokenProvider:
    """Logs in to lakeFS with the role's identity and keeps a fresh JWT, thread-safely.

    Args:
        settings: token and pre-signing lifetimes, extra signed headers.
        transport: the client's transport (the login request itself carries no auth).
        session: a ``boto3.Session``; a default session when None.
        clock: the time source (injectable for tests).
    """

    def __init__(
        self,
        settings: AwsIamSettings,
        transport: Transport,
        session: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._lock_pid = os.getpid()
        self._token: str | None = None
        self._refresh_at = 0.0

    def _boto3_session(self) -> Any:
        if self._session is None:
            try:
                import boto3
            except ImportError as exc:
                raise NoAuthenticationFound(
                    "AWS IAM authentication needs boto3: pip install 'lakefs[aws-iam]'"
                ) from exc
            self._session = boto3.Session()
        return self._session

    def token(self) -> str:
        """A valid lakeFS JWT, logging in again when the current one is about to expire."""
        if self._lock_pid != os.getpid():  # forked while a login held the lock: a new one
            self._lock, self._lock_pid = threading.Lock(), os.getpid()
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._login()
            return self._token

    def _login(self) -> tuple[str, float]:
        host = self._transport.config.host
        ttl = self.settings.token_ttl_seconds
        identity = identity_token(
            self._boto3_session(),
            host,
            self.settings.token_request_headers,
            self.settings.url_presign_ttl_seconds,
        )
        body = json.dumps(
            {"token_expiration_duration": ttl, "identityRequest": {"identity_token": identity}}
        ).encode()
        route = ops.external_principal_login(self._transport)
        url = route.url
        response = self._transport.request(
            route.method,
            url,
            body=body,
            headers={"Content-Type": "application/json"},
            authenticate=False,
        )
        data = json_object(response, route.method, url)
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise APIResponseError("AWS IAM login: the server answered without a token")
        expiration = data.get("token_expiration")
        if not isinstance(expiration, (int, float)) or isinstance(expiration, bool):
            expiration = self._clock() + ttl
        expires = float(expiration)
        return token, max(expires - REFRESH_MARGIN_S, self._clock())
