"""One launcher for a throw-away local lakeFS: tests, the demo and ``make server`` all use it.

``LocalLakeFS`` starts lakeFS on a free loopback port in a fresh temporary directory with fixed
development credentials, waits for ``/api/v1/healthcheck``, and on exit stops every process it
started and removes its directory (a process killed outright leaves the directory behind, but its
programs' watchdogs stop them: ``lakefs.testing._process``). Two configurations:

* ``"local"``: local metadata and blockstore, with imports enabled from ``import_dir``.
* ``"s3"``: an S3 blockstore on gofakes3, a Go S3 server (started on its own free port with its
  bucket; built like lakeFS, see :func:`~lakefs.testing.ensure_gofakes3`), so that pre-signed
  URLs, pre-signed multipart uploads and imports from S3 prefixes exist. Its objects live in
  memory by default (``s3_store="disk"`` keeps them under the server's directory).

``tls=True`` serves both over https, as production installs are: a throwaway certificate
authority is made for the run (with ``trustme``), lakeFS serves TLS by its own settings
(``LAKEFS_TLS_*``), and with ``"s3"`` the store sits behind nginx terminating TLS with a
certificate of a second CA (lakeFS trusts it through ``SSL_CERT_FILE``), so that pre-signed URLs
are ``https://`` too. :attr:`LocalLakeFS.ca_cert` is a bundle of every CA a client needs.

Example:
    >>> with LocalLakeFS("local") as server:  # doctest: +SKIP
    ...     api = server.sdk_client()  # a ready lakefs_sdk.ApiClient
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import urllib3
from lakefs_sdk.api_client import ApiClient
from lakefs_sdk.configuration import Configuration

from lakefs.testing._build import ensure_binary, ensure_gofakes3
from lakefs.testing._process import ServerStartError, _free_port, _Lifecycle, _refuse_taken

if TYPE_CHECKING:
    from lakefs.testing._nginx import Nginx

__all__ = ["DEV_ACCESS_KEY_ID", "DEV_SECRET_ACCESS_KEY", "LocalLakeFS", "ServerStartError"]

Blockstore = Literal["local", "s3"]
S3Store = Literal["memory", "disk"]

# lakeFS's documented quickstart credentials: development only, never valid anywhere else.
DEV_ACCESS_KEY_ID = "AKIAIOSFOLQUICKSTART"
DEV_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3_BUCKET = "lakefs-test"
_S3_KEY_ID = "gofakes3-test-key"
_S3_SECRET = "gofakes3-test-secret"  # gofakes3 checks no signatures; any value works
DIR_PREFIX = "lakefs-server-"  # cassette scrubbing recognises paths under such a directory


def _answers(url: str, ok: set[int], ca_cert: Path | None = None) -> Callable[[], bool]:
    """A start-up probe: whether a GET of ``url`` answers one of the statuses ``ok``."""
    http = urllib3.PoolManager(
        retries=False,
        timeout=urllib3.Timeout(connect=1, read=2),
        ca_certs=str(ca_cert) if ca_cert else None,
    )

    def ready() -> bool:
        try:
            return http.request("GET", url).status in ok
        except urllib3.exceptions.HTTPError:
            return False

    return ready


class LocalLakeFS(_Lifecycle):
    """A lakeFS server of the pinned version, local to this machine, for tests and demos.

    Args:
        blockstore: ``"local"`` (local disk, imports allowed from :attr:`import_dir`) or ``"s3"``
            (gofakes3, a Go S3 server; pre-signed URLs, multipart uploads and imports available).
        port: the lakeFS port; a free one by default. A port in use is an error.
        startup_timeout: seconds to wait for each server to answer before giving up.
        binary: a lakeFS binary to run; by default :func:`ensure_binary` finds or builds one.
        s3_min_part_size: accepted for compatibility and ignored: gofakes3 enforces no smallest
            multipart part (S3 wants 5 MiB), so tests may use small parts.
        s3_store: with ``"s3"``, where gofakes3 keeps objects: ``"memory"`` (the default) or
            ``"disk"`` (under :attr:`directory`, for data larger than memory should hold).
        tls: serve lakeFS (and with ``"s3"`` the store) over https with certificates of CAs
            made for this run; clients pass ``ssl_ca_cert=server.ca_cert``. Needs ``trustme``
            (the ``testing`` extra) and, with ``"s3"``, nginx (``apt-get install nginx-light``).

    Attributes:
        endpoint: ``http://127.0.0.1:<port>`` (``https://`` with ``tls``); the API is under
            ``/api/v1``.
        ca_cert: with ``tls``, a PEM bundle of the CAs of lakeFS's and the store's certificates
            (None without ``tls``). :attr:`lakefs_ca_cert` and :attr:`store_ca_cert` hold each.
        access_key_id, secret_access_key: the administrator's (fixed, development-only) keys.
        import_dir: with ``"local"``, a directory lakeFS may import from (``local://`` URIs).
        s3_endpoint: with ``"s3"``, the object store's URL (path-style; any credentials work).

    Raises:
        ValueError: an unknown ``blockstore`` or ``s3_store`` (nothing is started until
            :meth:`start`).
    """

    access_key_id = DEV_ACCESS_KEY_ID
    secret_access_key = DEV_SECRET_ACCESS_KEY

    def __init__(
        self,
        blockstore: Blockstore = "local",
        *,
        port: int | None = None,
        startup_timeout: float = 60.0,
        binary: Path | None = None,
        s3_min_part_size: int | None = None,
        s3_store: S3Store = "memory",
        tls: bool = False,
    ) -> None:
        if blockstore not in ("local", "s3"):
            raise ValueError(f"blockstore must be 'local' or 's3', not {blockstore!r}")
        if s3_store not in ("memory", "disk"):
            raise ValueError(f"s3_store must be 'memory' or 'disk', not {s3_store!r}")
        self.blockstore: Blockstore = blockstore
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._binary = binary
        self._s3_min_part_size = s3_min_part_size
        self._s3_store: S3Store = s3_store
        self.port = 0
        self.s3_endpoint: str | None = None
        self.tls = bool(tls)
        self.ca_cert: Path | None = None
        self.lakefs_ca_cert: Path | None = None
        self.store_ca_cert: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalLakeFS:
        """Start the server(s) and wait until lakeFS is healthy.

        Returns:
            This launcher, running.

        Raises:
            RuntimeError: it is already running.
            ServerStartError: the port asked for is in use, or a server did not come up within
                ``startup_timeout`` (the message carries the tail of its log).
            LakeFSBuildError: no lakeFS (or gofakes3) binary could be found or built.
        """
        if self._dir is not None:
            raise RuntimeError("this LocalLakeFS is already running")
        _refuse_taken(self._requested_port)
        binary = self._binary or ensure_binary()
        self._begin(DIR_PREFIX)
        try:
            env = self._server_env()
            if self.tls:
                env.update(self._make_certificates())
            if self.blockstore == "s3":
                env.update(self._start_gofakes3())
            self.port = self._requested_port or _free_port()
            env["LAKEFS_LISTEN_ADDRESS"] = f"127.0.0.1:{self.port}"
            health = f"{self.endpoint}/api/v1/healthcheck"
            ready = _answers(health, {204}, self.lakefs_ca_cert)
            self._launch("lakefs", [str(binary), "run"], env, ready, self._startup_timeout, health)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this server started and remove its directory (idempotent)."""
        super().stop()
        self.ca_cert = self.lakefs_ca_cert = self.store_ca_cert = None

    # -- what a client needs ---------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The server's base URL (without ``/api/v1``)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def import_dir(self) -> Path:
        """A directory that the local configuration allows imports from."""
        return self.directory / "import"

    def storage_namespace(self, name: str) -> str:
        """A storage namespace for a new repository, on this server's blockstore.

        Args:
            name: the namespace's last part (a repository's name, say).

        Returns:
            A ``local://`` URI, or an ``s3://`` one in the server's bucket.
        """
        if self.blockstore == "s3":
            return f"s3://{S3_BUCKET}/{name}"
        return f"local://{name}"

    def lakectl_env(self) -> dict[str, str]:
        """The ``LAKECTL_*`` variables that point a client (or lakectl) at this server.

        With ``tls``, also ``SSL_CERT_FILE`` naming :attr:`ca_cert`: how lakectl (Go) and this
        SDK (OpenSSL's default trust) are told to trust a private CA without an option.

        Returns:
            The variables, by name.
        """
        env = {
            "LAKECTL_SERVER_ENDPOINT_URL": self.endpoint,
            "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": self.access_key_id,
            "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.ca_cert is not None:
            env["SSL_CERT_FILE"] = str(self.ca_cert)
        return env

    def example_env(self) -> dict[str, str]:
        """What the examples need besides ``LAKECTL_*``: where they may import from.

        Returns:
            ``LAKEFS_EXAMPLE_IMPORT_DIR`` (local) or ``LAKEFS_EXAMPLE_NAMESPACE`` (s3), by name.
        """
        if self.blockstore == "local":
            return {"LAKEFS_EXAMPLE_IMPORT_DIR": str(self.import_dir)}
        return {"LAKEFS_EXAMPLE_NAMESPACE": self.storage_namespace("examples")}

    def sdk_client(self) -> ApiClient:
        """A ready ``lakefs_sdk`` client for this server.

        Returns:
            A ``lakefs_sdk.ApiClient`` with the administrator's keys (and :attr:`ca_cert`).
        """
        config = Configuration(
            host=f"{self.endpoint}/api/v1",
            username=self.access_key_id,
            password=self.secret_access_key,
            ssl_ca_cert=str(self.ca_cert) if self.ca_cert else None,
        )
        return ApiClient(config)

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``lakefs.Client`` (and ``lakefs://``) that reach this server
        (with ``ssl_ca_cert`` over https); ``overrides`` replace or add options.

        Args:
            **overrides: options that replace or add to those.

        Returns:
            ``host``, ``access_key_id``, ``secret_access_key`` (and ``ssl_ca_cert``), with
            ``overrides`` applied.

        Example:
            >>> client = lakefs.Client(**server.client_options(retries=2))  # doctest: +SKIP
        """
        options: dict[str, Any] = {
            "host": self.endpoint,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        if self.ca_cert is not None:
            options["ssl_ca_cert"] = str(self.ca_cert)
        return {**options, **overrides}

    # -- internals -------------------------------------------------------------------------

    def _server_env(self) -> dict[str, str]:
        d = self.directory
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEFS_")}
        (d / "tmp").mkdir()
        env.update(
            {
                "TMPDIR": str(d / "tmp"),  # imports stage files there; removed with the directory
                "LAKEFS_DATABASE_TYPE": "local",
                "LAKEFS_DATABASE_LOCAL_PATH": str(d / "metadata"),
                "LAKEFS_COMMITTED_LOCAL_CACHE_DIR": str(d / "cache"),
                "LAKEFS_AUTH_ENCRYPT_SECRET_KEY": secrets.token_hex(16),
                "LAKEFS_INSTALLATION_USER_NAME": "admin",
                "LAKEFS_INSTALLATION_ACCESS_KEY_ID": self.access_key_id,
                "LAKEFS_INSTALLATION_SECRET_ACCESS_KEY": self.secret_access_key,
                "LAKEFS_STATS_ENABLED": "false",
                "LAKEFS_SECURITY_CHECK_LATEST_VERSION": "false",
                "LAKEFS_LOGGING_LEVEL": "WARN",
            }
        )
        if self.blockstore == "local":
            self.import_dir.mkdir()
            env.update(
                {
                    "LAKEFS_BLOCKSTORE_TYPE": "local",
                    "LAKEFS_BLOCKSTORE_LOCAL_PATH": str(d / "block"),
                    "LAKEFS_BLOCKSTORE_LOCAL_IMPORT_ENABLED": "true",
                    "LAKEFS_BLOCKSTORE_LOCAL_ALLOWED_EXTERNAL_PREFIXES": f'["{self.import_dir}"]',
                }
            )
        return env

    def _make_certificates(self) -> dict[str, str]:
        """Make this run's CAs and lakeFS's certificate; return lakeFS's TLS settings."""
        try:
            import trustme
        except ImportError as exc:
            raise ServerStartError(
                "tls=True needs trustme, which makes the run's certificates: "
                "pip install 'lakefs[testing]' (or trustme)"
            ) from exc
        d = self.directory / "tls"
        d.mkdir()
        lakefs_ca, store_ca = trustme.CA(), trustme.CA()
        self.lakefs_ca_cert, self.store_ca_cert = d / "lakefs-ca.pem", d / "store-ca.pem"
        lakefs_ca.cert_pem.write_to_path(str(self.lakefs_ca_cert))
        store_ca.cert_pem.write_to_path(str(self.store_ca_cert))
        self.ca_cert = d / "ca-bundle.pem"
        self.ca_cert.write_bytes(lakefs_ca.cert_pem.bytes() + store_ca.cert_pem.bytes())
        for name, ca in (("lakefs", lakefs_ca), ("store", store_ca)):
            cert = ca.issue_cert("127.0.0.1", "localhost")
            cert.private_key_pem.write_to_path(str(d / f"{name}-key.pem"))
            (d / f"{name}.pem").write_bytes(b"".join(c.bytes() for c in cert.cert_chain_pems))
        return {
            "LAKEFS_TLS_ENABLED": "true",
            "LAKEFS_TLS_CERT_FILE": str(d / "lakefs.pem"),
            "LAKEFS_TLS_KEY_FILE": str(d / "lakefs-key.pem"),
            # lakeFS's S3 client (Go) trusts the store's CA through Go's variable, and through
            # the AWS SDK's, which replaces Go's roots when set (as this environment may).
            "SSL_CERT_FILE": str(self.store_ca_cert),
            "AWS_CA_BUNDLE": str(self.store_ca_cert),
        }

    def _start_gofakes3(self) -> dict[str, str]:
        """Start gofakes3 with the bucket (behind TLS with ``tls``); return lakeFS's S3 settings."""
        binary = ensure_gofakes3()
        port = _free_port()
        cmd = [str(binary), "-initialbucket", S3_BUCKET, "-host", f"127.0.0.1:{port}"]
        if self._s3_store == "disk":
            store = self.directory / "s3"
            cmd += ["-backend", "fs", "-fs.path", str(store), "-fs.create"]
        else:
            cmd += ["-backend", "memory"]
        self.s3_endpoint = f"http://127.0.0.1:{port}"
        bucket = f"{self.s3_endpoint}/{S3_BUCKET}?max-keys=1"
        ready = _answers(bucket, {200})
        self._launch("gofakes3", cmd, dict(os.environ), ready, self._startup_timeout, bucket)
        if self.tls:
            self.s3_endpoint = self._start_store_tls(self.s3_endpoint)
        return {
            "LAKEFS_BLOCKSTORE_TYPE": "s3",
            "LAKEFS_BLOCKSTORE_S3_ENDPOINT": self.s3_endpoint,
            "LAKEFS_BLOCKSTORE_S3_FORCE_PATH_STYLE": "true",
            "LAKEFS_BLOCKSTORE_S3_REGION": "us-east-1",
            "LAKEFS_BLOCKSTORE_S3_DISCOVER_BUCKET_REGION": "false",
            "LAKEFS_BLOCKSTORE_S3_CREDENTIALS_ACCESS_KEY_ID": _S3_KEY_ID,
            "LAKEFS_BLOCKSTORE_S3_CREDENTIALS_SECRET_ACCESS_KEY": _S3_SECRET,
        }

    def _start_store_tls(self, upstream: str) -> str:
        """nginx terminating TLS in front of the store; returns the store's https URL."""
        from lakefs.testing._nginx import Nginx

        d = self.directory / "tls"
        nginx: Nginx = Nginx(
            upstream,
            tls_cert=d / "store.pem",
            tls_key=d / "store-key.pem",
            startup_timeout=self._startup_timeout,
        )
        self._procs.append(nginx)
        nginx.start()
        return nginx.url

    def __repr__(self) -> str:
        state = f"running at {self.endpoint}" if self._dir else "stopped"
        tls = ", tls=True" if self.tls else ""
        return f"LocalLakeFS(blockstore={self.blockstore!r}{tls}, {state})"
