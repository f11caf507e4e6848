"""``lakefs_sdk``'s REST client, replaced by one that sends through a :class:`~.Transport`."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import urllib3
from lakefs_sdk.configuration import Configuration
from lakefs_sdk.rest import RESTClientObject, RESTResponse

from lakefs._transport._protocol import HTTPTransport

if TYPE_CHECKING:
    from lakefs._transport._core import Transport


class SDKRestClient(RESTClientObject):
    """``lakefs_sdk``'s REST client, routed through a :class:`Transport`.

    Every generated ``lakefs_sdk`` call then shares the transport's pool, default timeout, auth,
    retry loop, limits and error mapping: it raises ``LakeFSError``, never ``ApiException`` or
    urllib3's errors.
    """

    def __init__(self, configuration: Configuration, transport: Transport) -> None:
        # The parent's constructor would build a pool of its own: nothing of it is needed.
        self.configuration = configuration
        self._transport = transport

    @property
    def pool_manager(self) -> HTTPTransport:  # type: ignore[override]
        """The transport's pool (what ``lakefs_sdk`` code reading this attribute expects)."""
        return self._transport.pool

    def request(
        self,
        method: str,
        url: str,
        query_params: Any = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
    ) -> Any:
        """Send one generated call (same signature as ``lakefs_sdk.rest.RESTClientObject``)."""
        del query_params, _preload_content  # the URL holds the query; answers are read whole
        method = method.upper()
        headers = dict(headers or {})
        content_type = headers.get("Content-Type", "")
        data: bytes | None
        if post_params and content_type == "multipart/form-data":
            data, headers["Content-Type"] = urllib3.encode_multipart_formdata(post_params)
        elif post_params:
            data = urlencode(post_params).encode()
        elif body is None:
            data = None
        elif isinstance(body, (bytes, str)) and not re.search("json", content_type, re.I):
            data = body.encode() if isinstance(body, str) else body
        else:
            data = _json_bytes(body)
            headers.setdefault("Content-Type", "application/json")
        resp = self._transport.request(
            method, url, headers=headers, body=data, timeout=_request_timeout
        )
        return RESTResponse(resp)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()
