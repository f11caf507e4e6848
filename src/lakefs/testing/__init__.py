"""Run a real, throw-away lakeFS for tests and demos.

``LocalLakeFS`` is the one launcher the SDK's own tests, ``make demo`` and ``make server`` use, and
it is public so that your tests can use it too::

    from lakefs.testing import LocalLakeFS

    with LocalLakeFS("local") as server:
        client = lakefs.Client(host=server.endpoint, access_key_id=server.access_key_id,
                               secret_access_key=server.secret_access_key)

The server binary is built from lakeFS's Go module on first use (Go >= 1.26.4), or taken from
``LAKEFS_BIN``. The ``"s3"`` configuration runs gofakes3, a Go S3 server built the same way (its
version pinned once, in ``lakefs/testing/gofakes3/go.mod``), or taken from ``GOFAKES3_BIN``.

``mock_client(handler)`` is the offline seam: a client whose requests a function answers (it is
``lakefs.Client(transport=MockTransport(handler))``).
"""

from lakefs.testing._build import (
    LakeFSBuildError,
    ensure_binary,
    ensure_gofakes3,
    gofakes3_version,
    lakefs_version,
)
from lakefs.testing._mock import (
    MockPool,
    MockRequest,
    MockResponse,
    MockTransport,
    mock_client,
    sent_requests,
)
from lakefs.testing._server import (
    DEV_ACCESS_KEY_ID,
    DEV_SECRET_ACCESS_KEY,
    LocalLakeFS,
    ServerStartError,
)

__all__ = [
    "DEV_ACCESS_KEY_ID",
    "DEV_SECRET_ACCESS_KEY",
    "LakeFSBuildError",
    "LocalLakeFS",
    "MockPool",
    "MockRequest",
    "MockResponse",
    "MockTransport",
    "ServerStartError",
    "ensure_binary",
    "ensure_gofakes3",
    "gofakes3_version",
    "lakefs_version",
    "mock_client",
    "sent_requests",
]
