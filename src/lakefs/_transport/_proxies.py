"""Which proxy a URL goes through: ``proxy=``, else the standard environment variables.

As requests and curl read them: ``HTTPS_PROXY`` / ``HTTP_PROXY`` by the URL's scheme (``ALL_PROXY``
as a fallback), except for the hosts ``NO_PROXY`` names. A proxy URL's credentials are sent to the
proxy only, as ``Proxy-Authorization``.
"""

from __future__ import annotations

import functools
import ipaddress
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

import urllib3

from lakefs._config import proxy_url


@dataclass(frozen=True)
class Proxy:
    """A forward proxy: its URL without credentials, and the headers that carry them."""

    url: str
    headers: dict[str, str]


def proxies_from_environment() -> dict[str, str]:
    """``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (either case, lower case
    first) as urllib reads them: ``{"https": ..., "http": ..., "all": ..., "no": ...}``, each
    proxy URL checked (a malformed one is a ValidationError naming the variable)."""
    found = urllib.request.getproxies_environment()
    for scheme in ("https", "http", "all"):
        if found.get(scheme):
            name = f"{scheme.upper()}_PROXY"
            found[scheme] = proxy_url(found[scheme], f"{name} (or {name.lower()})")
    return found


def proxy_for(url: str, explicit: str | None, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy for ``url``: ``explicit`` (the ``proxy=`` option) for every request; else the
    environment's for the URL's scheme (``ALL_PROXY`` as a fallback), unless ``NO_PROXY``
    names the host."""
    chosen = explicit
    if chosen is None:
        scheme = url.partition(":")[0].lower()  # the URL is parsed only when a proxy may apply
        chosen = environ.get(scheme) or environ.get("all")
        if chosen:
            parts = urlsplit(url)
            if parts.hostname and _bypass(parts, environ):
                chosen = None
    if not chosen:
        return None
    return _parse_proxy(chosen)


def _bypass(parts: SplitResult, environ: Mapping[str, str]) -> bool:
    """Whether ``NO_PROXY`` names the URL's host: ``*``; a host or domain (``example.com``
    and ``.example.com`` both cover ``a.example.com``), optionally with ``:port``; an IP
    address or network (``10.0.0.0/8``)."""
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    for entry in environ.get("no", "").replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and str(port) != entry_port:
            continue
        name = name.strip("[]")
        if _ip_in(host, name):
            return True
        name = name.lstrip("*").lstrip(".")  # "*.example.com" as curl's ".example.com"
        if host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (head.endswith("]") or ":" not in head)


def _ip_in(host: str, entry: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


@functools.lru_cache(maxsize=64)
def _parse_proxy(url: str) -> Proxy:
    """A proxy URL, checked (:func:`lakefs._config.proxy_url`), as a URL less its credentials
    and the header that carries them (parsed once per URL, not per request)."""
    url = proxy_url(url, "proxy")
    parts = urlsplit(url)
    headers: dict[str, str] = {}
    if parts.username is not None or parts.password is not None:
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        headers = urllib3.make_headers(proxy_basic_auth=f"{user}:{password}")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return Proxy(url, headers)
