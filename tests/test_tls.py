"""lakeFS over https, as production installs run it: a real lakeFS 1.86.0 serving TLS with a
certificate of a CA made for the run, and (``s3``) the object store behind nginx with a
certificate of a second CA, so that pre-signed URLs are ``https://`` too.

These run live only (a cassette holds no handshake). ``make test-tls`` also runs the rest of the
live suite against https servers (``--lakefs-tls``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
import trustme

import lakefs
from lakefs import Client, TLSError, ValidationError
from lakefs.testing import DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY, LocalLakeFS

pytestmark = pytest.mark.loopback


@pytest.fixture(autouse=True)
def _system_trust_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine points SSL_CERT_FILE (and requests'/boto3's variables) at the system bundle;
    # each test sets what it means to test.
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _client(server: LocalLakeFS, **options: Any) -> Client:
    return Client(**server.client_options(**options))


def _repo(server: LocalLakeFS, client: Client, name: str) -> lakefs.Repository:
    namespace = server.storage_namespace(f"{name}-{os.urandom(4).hex()}")
    return lakefs.repository(name, client=client).create(namespace)


# -- the reproduction of the issue, and every operation family --------------------------------


def test_ssl_ca_cert_reaches_an_https_lakefs(tls_local: LocalLakeFS) -> None:
    assert tls_local.endpoint.startswith("https://")
    assert tls_local.ca_cert is not None
    client = _client(tls_local, ssl_ca_cert=str(tls_local.ca_cert))
    assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"


def test_every_operation_family_over_https(tls_local: LocalLakeFS, tmp_path: Path) -> None:
    client = _client(tls_local, ssl_ca_cert=str(tls_local.ca_cert))
    repo = _repo(tls_local, client, "tls-families")
    main = repo.branch("main")
    main.upload(b"hello over tls", "a/b.txt")  # upload
    assert main.download("a/b.txt") == b"hello over tls"  # download
    with main.open("a/c.txt", "w") as f:  # open for writing and reading
        f.write("text")
    with main.open("a/c.txt", "r") as r:
        assert r.read() == "text"
    assert sorted(o.path for o in main.list_objects(prefix="a/")) == ["a/b.txt", "a/c.txt"]
    main.commit_changes("first")
    with main.transaction(commit_message="in a transaction") as tx:  # transactions
        tx.upload(b"tx", "tx.txt")
    assert main.download("tx.txt") == b"tx"
    src = tmp_path / "folder"  # folders
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.bin").write_bytes(b"x" * 1000)
    main.upload_folder(src, "folder/", progress=False)
    out = tmp_path / "out"
    main.download_folder("folder/", out, progress=False)
    assert (out / "sub" / "x.bin").read_bytes() == b"x" * 1000
    main.commit_changes("folders")
    (tls_local.import_dir / "imp").mkdir()  # imports
    (tls_local.import_dir / "imp" / "i.txt").write_bytes(b"imported")
    result = main.import_from(
        f"local://{tls_local.import_dir}/imp/", "imported/", commit_message="import"
    ).run()
    assert result.ingested_objects == 1
    assert main.download("imported/i.txt") == b"imported"
    fs = fsspec.filesystem(  # lakefs://
        "lakefs",
        host=tls_local.endpoint,
        access_key_id=tls_local.access_key_id,
        secret_access_key=tls_local.secret_access_key,
        ssl_ca_cert=str(tls_local.ca_cert),
        skip_instance_cache=True,
    )
    assert fs.cat_file(f"{repo.id}/main/a/b.txt") == b"hello over tls"
    with fsspec.open(
        f"lakefs://{repo.id}/main/a/fs.txt",
        "wb",
        ssl_ca_cert=str(tls_local.ca_cert),
        host=tls_local.endpoint,
        access_key_id=tls_local.access_key_id,
        secret_access_key=tls_local.secret_access_key,
    ) as w:
        w.write(b"through fsspec.open")
    assert main.download("a/fs.txt") == b"through fsspec.open"


def test_verify_ssl_false_works_and_says_nothing_secret(
    tls_local: LocalLakeFS, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(tls_local, verify_ssl=False, ssl_ca_cert=None)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, "lakefs"):
        warnings.simplefilter("always")
        assert lakefs.ServerConfiguration(client=client).version() == "1.86.0"
        lakefs.repository("no-such-repo", client=client).exists()
    said = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    said += [repr(client), repr(client.config)]
    assert any("Unverified HTTPS request" in text for text in said)  # urllib3 warns, once a host
    basic = base64.b64encode(f"{DEV_ACCESS_KEY_ID}:{DEV_SECRET_ACCESS_KEY}".encode()).decode()
    for text in said:
        assert DEV_SECRET_ACCESS_KEY not in text
        assert basic not in text


# -- what a misconfigured client sees -----------------------------------------------------------


def _retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]


def test_a_private_ca_not_given_is_a_tls_error_not_retried(
    tls_local: LocalLakeFS, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(tls_local, ssl_ca_cert=None, retries=5)  # the system trust store only
    with caplog.at_level(logging.DEBUG, "lakefs"), pytest.raises(TLSError) as info:
        lakefs.ServerConfiguration(client=client).version()
    text = str(info.value)
    assert isinstance(info.value, lakefs.APIConnectionError)
    assert "certificate verify failed" in text
    assert "ssl_ca_cert=" in text
    assert "SSL_CERT_FILE" in text
    assert f"lakeFS at {tls_local.endpoint}" in text
    assert _retries_logged(caplog) == []  # not retried


@contextlib.contextmanager
def _tls_server(
    cert: trustme.LeafCert, handle: Callable[[ssl.SSLContext, socket.socket, int], None]
) -> Iterator[int]:
    """A TLS server on a free port serving ``cert``: ``handle(context, raw socket, n)`` takes
    the n-th connection (it does the handshake itself). Yields the port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        n = 0
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            with raw:
                raw.settimeout(5)
                with contextlib.suppress(OSError):  # ssl.SSLError is an OSError
                    handle(context, raw, n)
            n += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _recording(received: list[bytes]) -> Callable[[ssl.SSLContext, socket.socket, int], None]:
    """A handler that records what arrives after a handshake, and answers 500."""

    def handle(context: ssl.SSLContext, raw: socket.socket, n: int) -> None:
        with context.wrap_socket(raw, server_side=True) as tls:
            received.append(tls.recv(65536))  # reached only after a handshake
            tls.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")

    return handle


def _https_client(port: int, **options: Any) -> Client:
    return Client(
        host=f"https://127.0.0.1:{port}",
        access_key_id=DEV_ACCESS_KEY_ID,
        secret_access_key=DEV_SECRET_ACCESS_KEY,
        **options,
    )


def _ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_a_host_name_mismatch_is_the_same_error_and_sends_nothing(tmp_path: Path) -> None:
    ca = trustme.CA()
    received: list[bytes] = []
    with _tls_server(ca.issue_cert("other.invalid"), _recording(received)) as port:
        client = _https_client(port, ssl_ca_cert=_ca_file(ca, tmp_path), retries=3)
        with pytest.raises(TLSError) as info:
            lakefs.ServerConfiguration(client=client).version()
    assert "certificate verify failed" in str(info.value)
    assert "mismatch" in str(info.value)
    assert received == []  # no request, so no credentials, ever left the client


def test_an_untrusted_certificate_gets_no_credentials(tmp_path: Path) -> None:
    untrusted = trustme.CA()
    received: list[bytes] = []
    with _tls_server(untrusted.issue_cert("127.0.0.1"), _recording(received)) as port:
        with pytest.raises(TLSError):
            lakefs.repository("repo", client=_https_client(port)).branch("main").download("a")
        assert received == []
        # The same server, its certificate trusted: the request (and its Authorization)
        # arrives, so the assertion above can fail.
        trusting = _https_client(port, ssl_ca_cert=_ca_file(untrusted, tmp_path), retries=0)
        with pytest.raises(lakefs.ServerError):
            lakefs.repository("repo", client=trusting).branch("main").download("a")
    assert len(received) == 1
    assert b"Authorization: Basic" in received[0]


def test_a_tls_handshake_cut_short_is_retried(tmp_path: Path) -> None:
    """A TLS terminator closing a new connection during the handshake (overloaded, restarting)
    is a cut connection, retried like one over plain http, not a refusal to trust."""
    ca = trustme.CA()
    body = b"the whole answer"
    served: list[str] = []

    def handle(context: ssl.SSLContext, raw: socket.socket, n: int) -> None:
        if n == 0:  # the first: read the ClientHello, then end the connection
            raw.recv(65536)
            raw.shutdown(socket.SHUT_WR)
            served.append("cut")
            return
        with context.wrap_socket(raw, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            served.append("answered")

    with _tls_server(ca.issue_cert("127.0.0.1"), handle) as port:
        client = _https_client(
            port, ssl_ca_cert=_ca_file(ca, tmp_path), retry_sleep=lambda seconds: None
        )
        assert lakefs.repository("repo", client=client).branch("main").download("a") == body
    assert served == ["cut", "answered"]


def test_ssl_ca_cert_that_is_no_file_is_refused_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ssl_ca_cert"):
        Client(host="https://h", access_key_id="a", secret_access_key="s", ssl_ca_cert="nope.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    client = Client(
        host="https://h", access_key_id="a", secret_access_key="s", ssl_ca_cert=str(garbage)
    )
    with pytest.raises(ValidationError, match="not a readable PEM"):
        lakefs.ServerConfiguration(client=client).version()


# -- lakectl's way: the environment and ~/.lakectl.yaml -------------------------------------------


def test_lakectl_environment_and_file_over_https(
    tls_local: LocalLakeFS, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """lakectl 1.86 has no TLS keys in its config file (cmd/lakectl/cmd/root.go: server has
    endpoint_url and retries only); it trusts a private CA through SSL_CERT_FILE, as Go does.
    The SDK follows it: the endpoint from LAKECTL_SERVER_ENDPOINT_URL, the keys from the file,
    the CA from SSL_CERT_FILE."""
    from lakefs._client import _reset_default_client

    (tmp_path / ".lakectl.yaml").write_text(
        "credentials:\n"
        f"  access_key_id: {tls_local.access_key_id}\n"
        f"  secret_access_key: {tls_local.secret_access_key}\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in [k for k in os.environ if k.startswith("LAKECTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LAKECTL_SERVER_ENDPOINT_URL", tls_local.endpoint)
    _reset_default_client()
    try:
        with pytest.raises(TLSError):  # the CA is not trusted yet
            lakefs.ServerConfiguration().version()
        _reset_default_client()
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_local.ca_cert))
        assert lakefs.ServerConfiguration().version() == "1.86.0"
        assert lakefs.default_client().config.host.startswith("https://")
    finally:
        _reset_default_client()


# -- pre-signed URLs over https: the store behind TLS with a CA of its own ----------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_pre_signed_transfers_over_https(tls_s3: LocalLakeFS, tmp_path: Path) -> None:
    assert tls_s3.s3_endpoint is not None
    assert tls_s3.s3_endpoint.startswith("https://")
    client = _client(tls_s3, ssl_ca_cert=str(tls_s3.ca_cert))
    config = lakefs.ServerConfiguration(client=client).storage_config()
    assert config.pre_sign_support()
    assert config.pre_sign_multipart_upload()
    main = _repo(tls_s3, client, "tls-presigned").branch("main")
    small = os.urandom(100_000)
    with main.open("small.bin", "wb", pre_signed=True) as w:
        w.write(small)
    with main.open("small.bin", "rb", pre_signed=True) as r:
        assert r.read() == small
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    main.upload_file(
        big,
        "big.bin",
        pre_signed=True,
        part_size=1024 * 1024,
        multipart_threshold=1024 * 1024,  # pre-signed multipart: 4 parts
        progress=False,
    )
    out = tmp_path / "out.bin"
    main.download_file("big.bin", out, pre_signed=True, progress=False)
    assert _sha(out.read_bytes()) == _sha(big.read_bytes())


def test_the_stores_ca_missing_names_the_store(tls_s3: LocalLakeFS) -> None:
    """``ssl_ca_cert`` holding lakeFS's CA only: lakeFS answers, the store's pre-signed URL
    fails, and the error says it was the object store."""
    client = _client(tls_s3, ssl_ca_cert=str(tls_s3.lakefs_ca_cert), retries=3)
    main = _repo(tls_s3, client, "tls-store-ca").branch("main")
    with main.open("x.bin", "wb", pre_signed=False) as w:
        w.write(b"via lakefs")
    with main.open("x.bin", "rb", pre_signed=False) as r:
        assert r.read() == b"via lakefs"  # lakeFS itself is trusted
    with pytest.raises(TLSError) as info, main.open("x.bin", "rb", pre_signed=True) as r:
        r.read()
    assert "the object store at https://127.0.0.1:" in str(info.value)
    assert "certificate verify failed" in str(info.value)
    assert "X-Amz-Signature" not in str(info.value)


def test_the_stores_ca_from_ssl_cert_file_beside_ssl_ca_cert(
    tls_s3: LocalLakeFS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system trust (here ``SSL_CERT_FILE``) still applies when ``ssl_ca_cert`` is given:
    a private CA for lakeFS does not make a store with another CA unreachable."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_s3.store_ca_cert))
    client = _client(tls_s3, ssl_ca_cert=str(tls_s3.lakefs_ca_cert))
    main = _repo(tls_s3, client, "tls-store-env").branch("main")
    with main.open("y.bin", "wb", pre_signed=True) as w:
        w.write(b"pre-signed")
    with main.open("y.bin", "rb", pre_signed=True) as r:
        assert r.read() == b"pre-signed"
