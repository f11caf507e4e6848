"""Forward proxies for field tests: tinyproxy and squid, with CONNECT and Basic authentication
(the notes of how each answers: ``lakefs.testing._field``)."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from lakefs.testing._launcher import (
    _PROBE_PATH,
    _find_program,
    _Launcher,
    _quote,
)
from lakefs.testing._process import ServerStartError

__all__ = ["Squid", "TinyProxy"]


class _ForwardProxy(_Launcher):
    """What TinyProxy and Squid share: auth, CONNECT ports, URLs, a config file, a log of the
    requests seen. A subclass gives the config's lines, the flags before the config's path
    (``_flags``) and how a log line names a request (``_request_in``)."""

    _flags: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        connect_ports: Iterable[int] | None = None,
        port: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(port, startup_timeout)
        if auth is not None:
            self._check_auth(auth)
        self.auth = auth
        self.connect_ports = None if connect_ports is None else [int(p) for p in connect_ports]
        if self.connect_ports is not None and any(not 0 < p < 65536 for p in self.connect_ports):
            raise ValueError(f"connect_ports must be TCP ports: {self.connect_ports}")

    @classmethod
    def _check_auth(cls, auth: tuple[str, str]) -> None:
        """Raise ValueError if the program cannot take these credentials."""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (never with credentials)."""
        return f"http://127.0.0.1:{self.port}"

    def url_with_credentials(self, user: str | None = None, password: str | None = None) -> str:
        """``http://user:password@127.0.0.1:PORT``, percent-encoded; by default with ``auth``.

        Raises:
            ValueError: no user or password given and the proxy has no ``auth``.
        """
        if user is None or password is None:
            if self.auth is None:
                raise ValueError("this proxy has no auth: give user and password")
            user = self.auth[0] if user is None else user
            password = self.auth[1] if password is None else password
        quoted = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
        return f"http://{quoted}@127.0.0.1:{self.port}"

    def log_text(self) -> str:
        raise NotImplementedError

    def requests_seen(self) -> list[str]:
        """``"METHOD URL"`` of each request in the log, oldest first, the start-up probe left out.

        Such as ``"CONNECT 127.0.0.1:1234"`` or ``"GET http://127.0.0.1:1234/api/v1/x?y=1"``.
        Refused requests are listed too: tinyproxy logs a request line when it arrives, before
        checking credentials and ports; squid when the transaction ends (a CONNECT when its
        tunnel closes).
        """
        seen = (self._request_in(line) for line in self.log_text().splitlines())
        return [r for r in seen if r is not None and not r.endswith(f" {_PROBE_PATH}")]

    def _request_in(self, line: str) -> str | None:
        raise NotImplementedError

    def _config_lines(self) -> list[str]:
        raise NotImplementedError

    def _command(self, program: str) -> list[str]:
        conf = self.directory / f"{self._program}.conf"
        header = f"# written by lakefs.testing._proxies.{type(self).__name__}"
        conf.write_text("\n".join([header, *self._config_lines()]) + "\n")
        return [program, *self._flags, str(conf)]


class TinyProxy(_ForwardProxy, program="tinyproxy"):
    """tinyproxy in the foreground (``tinyproxy -d -c CONF``): an HTTP forward proxy with CONNECT.

    It listens on 127.0.0.1, serves clients from 127.0.0.1 only, has no upstream proxy, and logs
    at level Info to ``tinyproxy.log`` in its directory. It answers a missing password with 407
    and a wrong one with **401** (see the notes of ``lakefs.testing._field``).

    Args:
        auth: ``(user, password)`` for Basic proxy authentication (tinyproxy allows only
            ``[A-Za-z0-9._-]`` in them); none by default.
        connect_ports: the ports CONNECT may reach; ``None`` (the default) allows every port, an
            empty list none.
        port, startup_timeout: as every launcher's (``lakefs.testing._launcher``).
    """

    _flags = ("-d", "-c")
    _REQUEST = re.compile(r"Request \(file descriptor \d+\): (.*?)(?: HTTP/\d(?:\.\d)?)?$")
    _TOKEN = re.compile(r"[A-Za-z0-9._-]+")

    @classmethod
    def _check_auth(cls, auth: tuple[str, str]) -> None:
        if not all(cls._TOKEN.fullmatch(part) for part in auth):
            raise ValueError("tinyproxy's BasicAuth takes only [A-Za-z0-9._-] in user and password")

    def log_text(self) -> str:
        """tinyproxy's log so far."""
        return self._read("tinyproxy.log")

    def _request_in(self, line: str) -> str | None:
        match = self._REQUEST.search(line)  # the request line, without the HTTP version
        return match.group(1) if match else None

    def _config_lines(self) -> list[str]:
        d = self.directory
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Bind 127.0.0.1",
            "Timeout 600",
            f"LogFile {_quote(d / 'tinyproxy.log')}",
            "LogLevel Info",
            f"PidFile {_quote(d / 'tinyproxy.pid')}",
            "MaxClients 100",
            "Allow 127.0.0.1",
            'ViaProxyName "tinyproxy"',
        ]
        if self.auth is not None:
            lines.append(f"BasicAuth {self.auth[0]} {self.auth[1]}")
        if self.connect_ports is not None:
            lines += [f"ConnectPort {p}" for p in self.connect_ports] or ["ConnectPort 0"]
        return lines

    def _logs(self) -> list[Path]:
        return [self.directory / "tinyproxy.log"]


class Squid(_ForwardProxy, program="squid"):
    """squid in the foreground (``squid -N -f CONF``): an HTTP forward proxy with CONNECT.

    The same interface as :class:`TinyProxy`, for a proxy that answers a missing *or wrong*
    password with the standard 407. No cache, no DNS beyond 127.0.0.1, no ICP/HTCP/pinger;
    clients from 127.0.0.1 only; the access log (with query strings) in its directory. As root,
    squid runs as ``proxy`` and its directory belongs to that user. Needs ``openssl`` to hash
    the password.

    Args:
        auth: ``(user, password)`` for Basic proxy authentication (``basic_ncsa_auth``).
        connect_ports: the ports CONNECT may reach; ``None`` (the default) allows every port.
        port, startup_timeout: as every launcher's (``lakefs.testing._launcher``).
    """

    _flags = ("-N", "-f")
    _AUTH_HELPER = Path("/usr/lib/squid/basic_ncsa_auth")

    @classmethod
    def _check_auth(cls, auth: tuple[str, str]) -> None:
        if ":" in auth[0] or any("\n" in part for part in auth):
            raise ValueError("a squid user name cannot hold ':' nor either part a newline")

    def log_text(self) -> str:
        """squid's access log so far (a line per finished transaction)."""
        return self._read("access.log")

    def cache_log(self) -> str:
        """squid's cache (diagnostic) log so far."""
        return self._read("cache.log")

    def _request_in(self, line: str) -> str | None:
        fields = line.split()  # time elapsed client CODE/STATUS bytes METHOD URL ...
        return f"{fields[5]} {fields[6]}" if len(fields) >= 7 else None

    def _command(self, program: str) -> list[str]:
        d = self.directory
        if any(c in str(d) for c in " \n\"'"):
            raise ServerStartError(f"squid cannot use a directory with spaces or quotes: {d}")
        cmd = super()._command(program)
        if os.geteuid() == 0:
            # squid will not keep root: it becomes cache_effective_user, which must write here.
            try:
                user = pwd.getpwnam("proxy")
            except KeyError as e:
                raise ServerStartError("running as root, squid needs the user 'proxy'") from e
            for path in [d, *d.iterdir()]:
                os.chown(path, user.pw_uid, user.pw_gid)
        return cmd

    def _config_lines(self) -> list[str]:
        d = self.directory
        root = ["cache_effective_user proxy"] if os.geteuid() == 0 else []
        return [
            *root,
            f"http_port 127.0.0.1:{self.port}",
            f"pid_filename {d / 'squid.pid'}",
            f"cache_log {d / 'cache.log'}",
            f"access_log stdio:{d / 'access.log'}",
            "cache_store_log none",
            "netdb_filename none",
            f"coredump_dir {d}",
            "cache deny all",
            "cache_mem 8 MB",
            "shutdown_lifetime 0 seconds",
            "pinger_enable off",
            "dns_nameservers 127.0.0.1",
            "udp_incoming_address 127.0.0.1",
            "icp_port 0",
            "htcp_port 0",
            "visible_hostname squid",
            "strip_query_terms off",
            *self._access_lines(),
        ]

    def _access_lines(self) -> list[str]:
        """The ACLs: clients from 127.0.0.1 only, CONNECT's ports, then the credentials."""
        lines = ["acl field_clients src 127.0.0.1/32", "acl CONNECT method CONNECT"]
        if self.connect_ports is not None:
            ports = " ".join(str(p) for p in self.connect_ports)
            if ports:
                lines += [f"acl field_connect_ports port {ports}"]
                lines += ["http_access deny CONNECT !field_connect_ports"]
            else:
                lines += ["http_access deny CONNECT"]
        if self.auth is not None:
            if not self._AUTH_HELPER.exists():
                raise ServerStartError(f"{self._AUTH_HELPER} is missing: apt-get install squid")
            htpasswd = self.directory / "htpasswd"
            htpasswd.write_text(f"{self.auth[0]}:{_apr1(self.auth[1])}\n")
            lines += [
                f"auth_param basic program {self._AUTH_HELPER} {htpasswd}",
                "auth_param basic children 2 startup=1 idle=1",
                "auth_param basic realm squid",
                "acl field_authed proxy_auth REQUIRED",
                "http_access allow field_clients field_authed",
            ]
        else:
            lines += ["http_access allow field_clients"]
        return [*lines, "http_access deny all"]

    def _logs(self) -> list[Path]:
        return [self.directory / "cache.log"]


def _apr1(password: str) -> str:
    """An htpasswd hash of ``password`` (``openssl passwd -apr1``), for ``basic_ncsa_auth``."""
    openssl = _find_program("openssl", "openssl")
    done = subprocess.run(
        [openssl, "passwd", "-apr1", "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith("$apr1$"):
        raise ServerStartError(f"openssl passwd -apr1 failed: {done.stderr.strip()}")
    return done.stdout.strip()
