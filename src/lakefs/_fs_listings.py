"""The listings of ``lakefs://``: ``ls``, ``info``, ``find`` and ``walk``, and what the
listing cache (:mod:`lakefs._fs_cache`) may answer for them.

A listing of a ref is taken at the commit its ref resolves to when that is not a branch (so the
cache may keep it for as long as the ref resolves there), else at the branch. ``ls`` answers
from the cache while a listing holds; ``info`` of a branch's path always asks the server (its
size, existence and kind decide what ``get``, ``put``, ``rm`` and readers like Dask do), and
only a commit's listing answers it; ``find`` (and ``walk``, ``glob``, ``du``) list every time
and fill the cache for ``ls``.

The SDK's errors come out of these as it raises them: the filesystem's verbs translate them
(:func:`lakefs._fs_errors.translating`), and :func:`pin` names the ref it resolves.
"""

from __future__ import annotations

import contextlib
import errno
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractFileSystem

from lakefs._exceptions import APIResponseError, NotFoundError, ValidationError
from lakefs._fs_cache import Listing
from lakefs._fs_errors import translating
from lakefs._fs_refs import FSPath as _Path
from lakefs._fs_refs import in_transaction
from lakefs._generated import operations as ops
from lakefs._generated.reference import Reference
from lakefs._generated.repository import Repository
from lakefs._objects import (
    CommonPrefix,
    ObjectInfo,
    checksum_of,
    content_type_of,
    metadata_of,
    mtime_of,
    size_of,
)
from lakefs._transport import json_object
from lakefs.lib.repositories import list_repositories

if TYPE_CHECKING:
    from lakefs.fs import LakeFSFileSystem

__all__ = [
    "Seen",
    "cached_ls",
    "dir_entry",
    "exists",
    "file_detail",
    "file_entry",
    "find",
    "find_path",
    "info",
    "is_kind",
    "list_path",
    "ls",
    "pin",
    "walk",
    "walk_path",
]

Entry = dict[str, Any]
_STATS_FIELDS = (("path", str), ("checksum", str), ("mtime", int))  # what an entry needs


def file_entry(name: str, obj: ObjectInfo) -> Entry:
    """An object's entry, from its stats in one look (a listing builds 1,000s of these), not
    one accessor call per field."""
    stats = obj._stat()
    return {
        "name": name,
        "size": size_of(stats),
        "type": "file",
        "mtime": mtime_of(stats),
        "checksum": checksum_of(stats),
        "content_type": content_type_of(stats),
        "metadata": metadata_of(stats),
    }


def dir_entry(name: str) -> Entry:
    """A directory's entry."""
    return {"name": name, "size": 0, "type": "directory"}


class Seen(threading.local):
    """The entries this thread's listings answer while an expansion collects them (``get``'s
    and ``copy``'s: the kinds they act on, fresh, not from the cache)."""

    entries: dict[str, Entry] | None = None

    @contextlib.contextmanager
    def collecting(self) -> Iterator[dict[str, Entry]]:
        """Collect the entries listed meanwhile (nested: into the outer collection)."""
        outer = self.entries
        seen: dict[str, Entry] = {} if outer is None else outer
        self.entries = seen
        try:
            yield seen
        finally:
            self.entries = outer

    def record(self, entries: Iterable[Entry]) -> None:
        """Entries a listing answered (kept only while collecting)."""
        seen = self.entries
        if seen is not None:
            for entry in entries:
                seen[entry["name"]] = entry


# -- the verbs -------------------------------------------------------------------------------


def ls(fs: LakeFSFileSystem, path: str, detail: bool, refresh: bool, kwargs: dict[str, Any]) -> Any:
    """``fs.ls``: a cached listing while it holds, else one listed now."""
    path = fs._strip_protocol(path)
    p = fs._parse(path)
    if kwargs.get("recursive"):
        found = fs.find(path, withdirs=True, detail=True)
        below = [e for name, e in found.items() if name != path or e["type"] == "file"]
        return below if detail else [e["name"] for e in below]
    if refresh and p.ref:
        fs._refs.forget(p.repo, p.ref)
    entries = None if refresh else cached_ls(fs, path, p)
    if entries is None:
        entries = list_path(fs, path, p)
    return entries if detail else [e["name"] for e in entries]


def exists(fs: LakeFSFileSystem, path: str, kwargs: dict[str, Any]) -> bool:
    """``fs.exists``: whether ``info`` finds ``path`` (a name lakeFS cannot hold: no)."""
    try:
        fs.info(path, **kwargs)
    except (FileNotFoundError, ValidationError):
        return False
    return True


def is_kind(fs: LakeFSFileSystem, path: str, kind: str) -> bool:
    """``fs.isdir``, ``fs.isfile``: whether ``path`` is of ``kind`` (missing: no)."""
    try:
        return bool(fs.info(path)["type"] == kind)
    except (FileNotFoundError, ValidationError):
        return False


def file_detail(fs: LakeFSFileSystem, path: str, field: str, what: str) -> Any:
    """An object's ``field`` from ``info`` (a directory has none: ``IsADirectoryError``)."""
    entry = fs.info(path)
    if entry["type"] != "file":
        raise IsADirectoryError(errno.EISDIR, f"a directory has no {what}", path)
    return entry[field]


def find_path(
    fs: LakeFSFileSystem, path: str, maxdepth: int | None, withdirs: bool, detail: bool
) -> Any:
    """``fs.find``: at a ref from one flat listing; above refs as fsspec walks."""
    path = fs._strip_protocol(path)
    p = fs._parse(path)
    if not p.ref:
        return AbstractFileSystem.find(
            fs, path, maxdepth=maxdepth, withdirs=withdirs, detail=detail
        )
    found = find(fs, path, p, maxdepth, withdirs)
    return found if detail else list(found)


def walk_path(
    fs: LakeFSFileSystem,
    path: str,
    maxdepth: int | None,
    topdown: bool,
    on_error: str | Callable[[BaseException], Any],
    kwargs: dict[str, Any],
) -> Iterator[Any]:
    """``fs.walk``: at a ref from one flat listing; above refs as fsspec walks."""
    path = fs._strip_protocol(path)
    if not fs._parse(path).ref:
        yield from AbstractFileSystem.walk(fs, path, maxdepth, topdown, on_error, **kwargs)
        return
    detail = kwargs.pop("detail", False)
    yield from walk(fs, path, maxdepth, topdown, on_error, detail)


# -- what the cache may answer --------------------------------------------------------------


@translating(lambda fs, p: f"{p.repo}/{p.ref}")
def pin(fs: LakeFSFileSystem, p: _Path) -> str | None:
    """The commit ``p``'s ref resolves to, which its listings are taken at and pinned to
    (None: a branch, a path above refs, or no cache kept)."""
    if not p.ref or not fs.dircache.use_listings_cache or in_transaction(fs, p):
        return None
    if fs._refs.is_branch(p.repo, p.ref):
        return None
    return fs._refs.resolve(p.repo, p.ref).commit


def _holds(fs: LakeFSFileSystem, listing: Listing | None, p: _Path) -> bool:
    """Whether a kept listing still holds for ``p``'s ref: a branch's while it has not
    expired (the cache's own check), a commit's while the ref resolves to that commit."""
    return listing is not None and (listing.pin is None or listing.pin == pin(fs, p))


def cached_ls(fs: LakeFSFileSystem, path: str, p: _Path) -> list[Entry] | None:
    """``path``'s cached listing; for an object, its entry in its parent's listing; None when
    it must be listed (fsspec's own version answers a directory known from its parent's
    listing with that one entry, not with its content). Refs are not denied from a
    repository's listing: commits and expressions are refs it does not hold."""
    listing = fs.dircache.listing(path)
    if listing is not None and _holds(fs, listing, p):
        return listing.entries
    parent = fs._parent(path)
    siblings = fs.dircache.listing(parent) if parent.count("/") >= 1 else None
    if siblings is None or not _holds(fs, siblings, p):
        return None
    for entry in siblings.entries:
        if entry["name"] == path:
            return [entry] if entry["type"] == "file" else None
    raise FileNotFoundError(errno.ENOENT, "no such object or prefix (cached listing)", path)


def _pinned_info(fs: LakeFSFileSystem, path: str, p: _Path) -> Entry | None:
    """``path``'s entry from a commit's listing (None: no such listing kept). A branch's
    listings never answer ``info``: its paths are asked of the server."""
    listing = fs.dircache.listing(path)
    if listing is not None and listing.pin is not None and _holds(fs, listing, p):
        return dir_entry(path)
    siblings = fs.dircache.listing(fs._parent(path))
    if siblings is None or siblings.pin is None or not _holds(fs, siblings, p):
        return None
    for entry in siblings.entries:
        if entry["name"] == path:
            return dict(entry)
    raise FileNotFoundError(errno.ENOENT, "no such object or prefix (at that commit)", path)


def _at(fs: LakeFSFileSystem, p: _Path, commit: str | None) -> Reference:
    """Where a listing of ``p`` is taken: the commit it is pinned to, else the ref."""
    return Reference(p.repo, commit, client=fs.client) if commit else fs._reference(p)


# -- asking the server ----------------------------------------------------------------------


def list_path(fs: LakeFSFileSystem, path: str, p: _Path) -> list[Entry]:
    """The entries directly under ``path``, listed now, and kept for ``ls``."""
    ticket = fs.dircache.ticket()  # before the request: a write meanwhile wins
    commit = pin(fs, p)
    if not p.repo:
        entries = [dir_entry(r.id) for r in list_repositories(client=fs.client)]
    elif not p.ref:
        repo = Repository(p.repo, client=fs.client)
        refs = {b.id for b in repo.list_branches()}
        refs.update(t.id for t in repo.list_tags())
        entries = [dir_entry(f"{p.repo}/{ref}") for ref in sorted(refs)]
    else:
        base = f"{p.repo}/{p.ref}"
        entries = []
        listed = _at(fs, p, commit).list_objects(prefix=f"{p.key}/" if p.key else "", delimiter="/")
        for item in listed:
            name = f"{base}/{item.path.rstrip('/')}"
            if isinstance(item, CommonPrefix):
                entries.append(dir_entry(name))
            elif not item.path.endswith("/"):  # a "directory marker" is listed already
                entries.append(file_entry(name, item))
        if not entries and p.key:
            return [fs.info(path)]  # a file (a missing path raises here)
    fs._seen.record(entries)
    fs.dircache.store(ticket, {path: entries}, commit)
    return entries


def info(fs: LakeFSFileSystem, path: str, p: _Path, refresh: bool) -> Entry:
    """``path``'s entry: asked of the server, except at a commit whose listing is kept."""
    if not p.repo:
        return dir_entry("")
    if not p.ref:
        if not Repository(p.repo, client=fs.client).exists():
            raise FileNotFoundError(errno.ENOENT, "no such repository", path)
        return dir_entry(path)
    ref = fs._reference(p)
    if not p.key:
        list(ref.list_objects(max_amount=1))  # a missing ref or repository: 404
        return dir_entry(path)
    cached = None if refresh else _pinned_info(fs, path, p)
    if cached is not None:
        return cached
    try:
        entry = file_entry(path, _stat_object(fs, ref, p.key))
    except NotFoundError:
        listed = ref.list_objects(max_amount=1, prefix=f"{p.key}/", delimiter="/")
        if next(iter(listed), None) is None:
            raise FileNotFoundError(errno.ENOENT, "no such object or prefix", path) from None
        entry = dir_entry(path)
    fs._seen.record([entry])
    return entry


def _stat_object(fs: LakeFSFileSystem, ref: Reference, key: str) -> ObjectInfo:
    """An object's stats: one request straight through the transport (``info`` is the call
    data libraries make per file; lakefs_sdk's argument and model checks cost a third of a
    millisecond more per call)."""
    transport = fs.client.transport
    route = ops.stat_object(transport, ref.repository_id, ref.id, path=key)
    data = json_object(transport.request(route.method, route.url), route.method, route.url)
    if not all(isinstance(data.get(k), t) for k, t in _STATS_FIELDS):
        raise APIResponseError(
            f"{key}: the object's stats lack a field (path, checksum, mtime)",
            method=route.method,
            path=key,
        )
    return ObjectInfo.from_stats(ref, data)


def find(
    fs: LakeFSFileSystem, path: str, p: _Path, maxdepth: int | None, withdirs: bool
) -> dict[str, Entry]:
    """Every object under ``path`` at a ref (and directories, ``withdirs``), by name, from one
    flat listing made now; it fills the cache of ``path`` and every directory below."""
    if maxdepth is not None and maxdepth < 1:
        raise ValueError("maxdepth must be at least 1")
    ticket = fs.dircache.ticket()
    commit = pin(fs, p)
    base = f"{p.repo}/{p.ref}"
    files: dict[str, Entry] = {}
    ref = _at(fs, p, commit)
    for item in ref.list_objects(prefix=f"{p.key}/" if p.key else "", delimiter=""):
        if isinstance(item, ObjectInfo) and not item.path.endswith("/"):
            name = f"{base}/{item.path}"
            files[name] = file_entry(name, item)
    _fill_cache(fs, path, files, ticket, commit)
    out: dict[str, Entry] = {}
    if not files and p.key:
        try:
            entry = fs.info(path)
        except FileNotFoundError:
            return {}
        if entry["type"] == "file":
            out[path] = entry
    if maxdepth is None and not withdirs:  # every object, nothing to count
        out.update(files)
        files = {}
    depth0 = path.count("/")
    for name, entry in files.items():
        depth = name.count("/") - depth0
        if maxdepth is None or depth <= maxdepth:
            out[name] = entry
        if withdirs:
            parent = fs._parent(name)
            while parent.count("/") > depth0:
                if maxdepth is None or parent.count("/") - depth0 <= maxdepth:
                    out.setdefault(parent, dir_entry(parent))
                parent = fs._parent(parent)
    if withdirs and files:
        out[path] = dir_entry(path)
    fs._seen.record(out.values())
    return {n: out[n] for n in sorted(out)}  # in the listing's order already: one pass


def _fill_cache(
    fs: LakeFSFileSystem, path: str, files: dict[str, Entry], ticket: int, commit: str | None
) -> None:
    """Keep the listing of ``path`` and every directory below, from a flat listing."""
    if not files:
        return
    listings: dict[str, dict[str, Entry]] = {path: {}}
    for name, entry in files.items():
        # Names are stripped paths below ``path``: a parent is what precedes the last "/".
        parent = name.rpartition("/")[0]
        known = parent in listings
        listings.setdefault(parent, {})[name] = entry
        child = parent
        while not known and child and child != path:  # a new directory: register it
            parent = child.rpartition("/")[0]
            known = parent in listings
            listings.setdefault(parent, {}).setdefault(child, dir_entry(child))
            child = parent
    kept = {d: [entries[k] for k in sorted(entries)] for d, entries in listings.items()}
    fs.dircache.store(ticket, kept, commit)


def walk(
    fs: LakeFSFileSystem,
    path: str,
    maxdepth: int | None,
    topdown: bool,
    on_error: str | Callable[[BaseException], Any],
    detail: bool,
) -> Iterator[Any]:
    """``os.walk`` over ``path`` at a ref, from one flat listing."""
    try:
        listing = fs.find(path, withdirs=True, detail=True)
        if not listing:
            fs.info(path)  # raises for a missing path; an empty ref root lists nothing
    except (FileNotFoundError, PermissionError) as exc:
        if on_error == "raise":
            raise
        if callable(on_error):
            on_error(exc)
        return
    if listing.get(path, {}).get("type") == "file":
        files = {"": listing[path]}
        yield path, {}, files if detail else [""]
        return
    children: dict[str, list[Entry]] = {}
    for name, entry in listing.items():
        if name != path:
            children.setdefault(fs._parent(name), []).append(entry)
    yield from _walk_from(path, children, maxdepth, topdown, detail)


def _walk_from(
    path: str,
    children: dict[str, list[Entry]],
    maxdepth: int | None,
    topdown: bool,
    detail: bool,
) -> Iterator[Any]:
    dirs: dict[str, Entry] = {}
    files: dict[str, Entry] = {}
    for entry in children.get(path, []):
        short = entry["name"].rsplit("/", 1)[-1]
        (dirs if entry["type"] == "directory" else files)[short] = entry
    if detail:
        listed_dirs: Any = dirs
        listed_files: Any = files
    else:
        listed_dirs, listed_files = list(dirs), list(files)
    if topdown:
        yield path, listed_dirs, listed_files
    if maxdepth is None or maxdepth > 1:
        for d in list(listed_dirs):
            yield from _walk_from(
                f"{path}/{d}",
                children,
                None if maxdepth is None else maxdepth - 1,
                topdown,
                detail,
            )
    if not topdown:
        yield path, listed_dirs, listed_files
