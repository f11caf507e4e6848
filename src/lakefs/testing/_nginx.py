"""nginx for field tests: a reverse proxy at a path prefix and/or a TLS terminator (the notes
of what it does: ``lakefs.testing._field``)."""

from __future__ import annotations

import grp
import os
import pwd
import urllib.parse
from pathlib import Path

from lakefs.testing._launcher import (
    _PROBE_PATH,
    _Launcher,
    _quote,
)

__all__ = ["Nginx"]


class Nginx(_Launcher, program="nginx", package="nginx-light"):
    """nginx in the foreground (``daemon off``; ``-c CONF -p DIR``), one server on 127.0.0.1.

    Requests to ``{prefix}<rest>`` go to ``{upstream}/<rest>``: the prefix stripped from the path
    as nginx normalises it (``%2F`` decoded, ``//`` merged), while prefix ``/`` forwards every URI
    byte for byte; the query string passes untouched; a path outside the prefix answers 404.
    Bodies stream both ways (no size limit, no spooling to disk, 300 s timeouts), the client's
    ``Host`` header goes upstream as sent (signed S3 URLs still match), ``Location`` and the other
    response headers come back unchanged, nothing is compressed.

    Args:
        upstream: ``http://127.0.0.1:PORT`` or ``https://127.0.0.1:PORT`` (host and port only).
        prefix: the path prefix, such as ``/lakefs``; ``/`` (the default) forwards every path.
        tls_cert: a PEM certificate (chain) for serving https; needs ``tls_key``.
        tls_key: its PEM private key (may be the same file as ``tls_cert``).
        upstream_ca: for an https upstream, verify its certificate against this PEM CA, with the
            name ``upstream_server_name`` (default: the upstream's host) sent as SNI and checked.
            Without it an https upstream is not verified.
        upstream_server_name: the name to check the upstream's certificate against. nginx checks
            DNS names only, so an upstream at an IP address needs a DNS name here (``localhost``).
        port, startup_timeout: as every launcher's (``lakefs.testing._launcher``).
    """

    # An invalid Host: nginx answers 400 itself and forwards nothing upstream.
    _probe = f"GET {_PROBE_PATH} HTTP/1.0\r\nHost: probe/invalid\r\n\r\n".encode()

    def __init__(
        self,
        upstream: str,
        *,
        prefix: str = "/",
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        upstream_ca: Path | None = None,
        upstream_server_name: str | None = None,
        port: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(port, startup_timeout)
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.port is None:
            raise ValueError(f"upstream must be http(s)://HOST:PORT, not {upstream!r}")
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise ValueError(f"upstream must be http(s)://HOST:PORT without a path: {upstream!r}")
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        if upstream_ca is not None and parts.scheme != "https":
            raise ValueError("upstream_ca verifies an https upstream; this one is http")
        if not prefix.startswith("/") or any(c in prefix for c in " ;{}?#\"'\\\n"):
            raise ValueError(f"prefix must be a path starting with '/', not {prefix!r}")
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self._upstream_host = parts.hostname
        self.prefix = prefix.rstrip("/")  # "" forwards everything
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.upstream_ca = upstream_ca
        self.upstream_server_name = upstream_server_name

    @property
    def tls(self) -> bool:
        """Whether nginx serves https."""
        return self.tls_cert is not None

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT`` followed by the prefix (no trailing ``/``)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{self.prefix}"

    def access_log(self) -> str:
        """The access log so far: ``addr "REQUEST LINE" status sent_bytes request_length
        "host" request_time upstream_status`` per line."""
        return self._read("access.log")

    def error_log(self) -> str:
        """The error log so far (upstream certificate failures, for one, are told there)."""
        return self._read("error.log")

    def _command(self, program: str) -> list[str]:
        conf = self.directory / "nginx.conf"
        conf.write_text(self._config())
        d = str(self.directory)
        return [program, "-p", d + "/", "-c", str(conf), "-e", str(self.directory / "error.log")]

    def _logs(self) -> list[Path]:
        return [self.directory / "error.log"]

    def _serves_tls(self) -> bool:
        return self.tls

    def _config(self) -> str:
        """nginx.conf: the master and its one worker, then the http settings and the server."""
        d = self.directory
        return f"""# written by lakefs.testing._nginx.Nginx
daemon off;
master_process on;
worker_processes 1;
pid {_quote(d / "nginx.pid")};
error_log {_quote(d / "error.log")} info;
{_user()}
events {{
    worker_connections 512;
}}
http {{{self._http_settings()}
    server {{
        listen 127.0.0.1:{self.port}{" ssl" if self.tls else ""};
        server_name _;
        {self._server_tls()}{self._locations()}
    }}
}}
"""

    def _http_settings(self) -> str:
        """The access log, temporary paths inside the directory, no limits, long timeouts."""
        d = self.directory
        tmp = d / "tmp"
        tmp.mkdir(exist_ok=True)
        return f"""
    log_format field '$remote_addr "$request" $status $body_bytes_sent $request_length '
                     '"$http_host" $request_time $upstream_status';
    access_log {_quote(d / "access.log")} field;
    client_body_temp_path {_quote(tmp / "client_body")};
    proxy_temp_path {_quote(tmp / "proxy")};
    fastcgi_temp_path {_quote(tmp / "fastcgi")};
    uwsgi_temp_path {_quote(tmp / "uwsgi")};
    scgi_temp_path {_quote(tmp / "scgi")};
    default_type application/octet-stream;
    gzip off;
    client_max_body_size 0;
    client_body_timeout 300s;
    send_timeout 300s;
    keepalive_timeout 75s;"""

    def _server_tls(self) -> str:
        """The certificate and key nginx serves https with ("" without ``tls_cert``)."""
        if self.tls_cert is None or self.tls_key is None:
            return ""
        return (
            f"ssl_certificate {_quote(self.tls_cert.resolve())};\n"
            f"        ssl_certificate_key {_quote(self.tls_key.resolve())};"
        )

    def _locations(self) -> str:
        """``{prefix}/`` and ``{prefix}`` forwarded without the prefix, 404 elsewhere; or every
        path forwarded as it is (prefix ``/``)."""
        proxy = self._proxy_settings()
        if not self.prefix:
            return f"""
        location / {{
            proxy_pass {self.upstream};{proxy}
        }}"""
        return f"""
        location {self.prefix}/ {{
            proxy_pass {self.upstream}/;{proxy}
        }}
        location = {self.prefix} {{
            proxy_pass {self.upstream}/;{proxy}
        }}
        location / {{
            return 404;
        }}"""

    def _proxy_settings(self) -> str:
        """How a location forwards: streaming both ways, the client's Host, long timeouts."""
        return f"""
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_redirect off;
            proxy_connect_timeout 30s;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            {self._upstream_tls()}"""

    def _upstream_tls(self) -> str:
        """SNI to an https upstream; with ``upstream_ca``, verifying its certificate."""
        settings = "proxy_ssl_server_name on;"
        if self.upstream_ca is not None:
            name = self.upstream_server_name or self._upstream_host
            settings += (
                "\n            proxy_ssl_verify on;"
                "\n            proxy_ssl_verify_depth 4;"
                f"\n            proxy_ssl_trusted_certificate {_quote(self.upstream_ca.resolve())};"
                f"\n            proxy_ssl_name {_quote(name)};"
            )
        elif self.upstream_server_name is not None:
            settings += f"\n            proxy_ssl_name {_quote(self.upstream_server_name)};"
        return settings


def _user() -> str:
    """As root, the workers' user and group: the current ones (nginx would pick nobody:nobody,
    and Debian has no group nobody)."""
    if os.geteuid() != 0:
        return ""
    names = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    return f"user {names[0]} {names[1]};"
