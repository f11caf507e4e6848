"""lakeFS behind a reverse proxy at a path prefix, as enterprise installs run it: a real nginx
(Debian's package) at ``/lakefs/`` forwarding to lakeFS, over http, and over https in front of an
https lakeFS whose store is https too. ``host=`` carries the prefix. Live only.
"""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pytest
import trustme

import lakefs
from lakefs import Client, NotFoundError
from lakefs.testing import LocalLakeFS
from lakefs.testing._field import Nginx

pytestmark = pytest.mark.loopback


def _roundtrip(client: Client, server: LocalLakeFS, name: str, tmp_path: Path) -> None:
    """API calls, uploads and downloads (pre-signed where the store can), folders, lakefs://."""
    assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"
    repo = lakefs.repository(name, client=client).create(
        server.storage_namespace(f"{name}-{os.urandom(4).hex()}")
    )
    main = repo.branch("main")
    pre_signed = server.blockstore == "s3"
    with main.open("a/x.bin", "wb", pre_signed=pre_signed) as w:
        w.write(b"behind a prefix" * 1000)
    with main.open("a/x.bin", "rb", pre_signed=pre_signed) as r:
        assert r.read() == b"behind a prefix" * 1000
    main.upload(b"small", "a/y.txt")
    assert [o.path for o in main.list_objects(prefix="a/")] == ["a/x.bin", "a/y.txt"]
    main.commit_changes("prefixed")
    assert main.head().commit_message() == "prefixed"
    out = tmp_path / name
    main.download_folder("a/", out, progress=False)
    assert (out / "y.txt").read_bytes() == b"small"
    with pytest.raises(NotFoundError):
        repo.branch("no-such-branch").head()
    options = {
        "host": client.config.host,
        "access_key_id": server.access_key_id,
        "secret_access_key": server.secret_access_key,
    }
    if server.ca_cert is not None:
        options["ssl_ca_cert"] = str(server.ca_cert)
    fs = fsspec.filesystem("lakefs", skip_instance_cache=True, **options)
    assert fs.cat_file(f"{name}/main/a/y.txt") == b"small"
    fs.pipe_file(f"{name}/main/b/z.txt", b"via lakefs://")
    assert sorted(fs.ls(f"{name}/main/b", detail=False)) == [f"{name}/main/b/z.txt"]


def test_http_prefix(plain_local: LocalLakeFS, tmp_path: Path) -> None:
    with Nginx(plain_local.endpoint, prefix="/lakefs/") as nginx:
        assert nginx.url.endswith("/lakefs")
        client = Client(
            host=nginx.url + "/",  # a trailing slash is fine
            access_key_id=plain_local.access_key_id,
            secret_access_key=plain_local.secret_access_key,
        )
        assert client.config.host == nginx.url + "/api/v1"
        _roundtrip(client, plain_local, "prefix-http", tmp_path)
        log = nginx.access_log()
    assert "/lakefs/api/v1/repositories" in log  # every call went through the prefix


def test_https_prefix_in_front_of_https_lakefs(tls_s3: LocalLakeFS, tmp_path: Path) -> None:
    front_ca = trustme.CA()  # nginx's own certificate, of a CA the client is given
    cert = front_ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(tmp_path / "front-key.pem"))
    (tmp_path / "front.pem").write_bytes(b"".join(c.bytes() for c in cert.cert_chain_pems))
    bundle = tmp_path / "bundle.pem"
    assert tls_s3.ca_cert is not None
    assert tls_s3.lakefs_ca_cert is not None
    bundle.write_bytes(front_ca.cert_pem.bytes() + tls_s3.ca_cert.read_bytes())
    with Nginx(
        tls_s3.endpoint,
        prefix="/lakefs/",
        tls_cert=tmp_path / "front.pem",
        tls_key=tmp_path / "front-key.pem",
        upstream_ca=tls_s3.lakefs_ca_cert,
        upstream_server_name="localhost",
    ) as nginx:
        assert nginx.url.startswith("https://")
        client = Client(
            host=nginx.url,
            access_key_id=tls_s3.access_key_id,
            secret_access_key=tls_s3.secret_access_key,
            ssl_ca_cert=str(bundle),
        )
        server = _Fronted(tls_s3, bundle)
        _roundtrip(client, server, "prefix-https", tmp_path)  # type: ignore[arg-type]
        assert "/lakefs/api/v1/repositories" in nginx.access_log()


class _Fronted:
    """The https server as ``_roundtrip`` sees it: the client's CA bundle includes nginx's."""

    def __init__(self, server: LocalLakeFS, bundle: Path) -> None:
        self._server = server
        self.ca_cert = bundle
        self.blockstore = server.blockstore
        self.access_key_id = server.access_key_id
        self.secret_access_key = server.secret_access_key

    def storage_namespace(self, name: str) -> str:
        return self._server.storage_namespace(name)
