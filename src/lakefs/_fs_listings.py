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

import bisect
import contextlib
import errno
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractFileSystem

from lakefs._exceptions import APIResponseError, NotFoundError, ValidationError
from lakefs._fs_cache import Listing, Rows
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
    listed_stats,
    metadata_of,
    mtime_of,
    size_of,
)
from lakefs._pagination import AHEAD
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
    "file_entry_of",
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
    return file_entry_of(name, obj._stat())


def file_entry_of(name: str, stats: Mapping[str, Any]) -> Entry:
    """An object's entry from its ObjectStats JSON."""
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
    return find(fs, path, p, maxdepth, withdirs, detail)


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
    entry = siblings.entry(path)
    if entry is None:
        raise FileNotFoundError(errno.ENOENT, "no such object or prefix (cached listing)", path)
    return [entry] if entry["type"] == "file" else None


def _pinned_info(fs: LakeFSFileSystem, path: str, p: _Path) -> Entry | None:
    """``path``'s entry from a commit's listing (None: no such listing kept). A branch's
    listings never answer ``info``: its paths are asked of the server."""
    listing = fs.dircache.listing(path)
    if listing is not None and listing.pin is not None and _holds(fs, listing, p):
        return dir_entry(path)
    siblings = fs.dircache.listing(fs._parent(path))
    if siblings is None or siblings.pin is None or not _holds(fs, siblings, p):
        return None
    entry = siblings.entry(path)
    if entry is None:
        raise FileNotFoundError(errno.ENOENT, "no such object or prefix (at that commit)", path)
    return dict(entry)


def _at(fs: LakeFSFileSystem, p: _Path, commit: str | None) -> Reference:
    """Where a listing of ``p`` is taken: the commit it is pinned to, else the ref."""
    return Reference(p.repo, commit, client=fs.client) if commit else fs._reference(p)


# -- asking the server ----------------------------------------------------------------------


@contextlib.contextmanager
def _well_formed(path: str) -> Iterator[None]:
    """A listing of ``path`` whose objects lack a field their entries need (a time, a path),
    or hold one of another type, raises ``APIResponseError``: the server's answer is
    malformed (not the ``KeyError``, ``TypeError`` or ``AttributeError`` reading it raised,
    which is the cause)."""
    try:
        yield
    except (KeyError, TypeError, AttributeError) as exc:
        raise APIResponseError(
            f"{path}: the listing's objects lack a field or hold one of another type ({exc!r})",
            method="GET",
        ) from exc


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
        with _well_formed(path):
            for item in listed:
                name = f"{base}/{item.path.rstrip('/')}"
                if isinstance(item, CommonPrefix):
                    entries.append(dir_entry(name))
                elif not item.path.endswith("/"):  # a "directory marker" is listed already
                    entries.append(file_entry(name, item))
        if not entries and p.key:
            entry = fs.info(path)  # a missing path raises here
            if entry["type"] == "file":
                return [entry]
            # a directory of nothing but its marker: empty, as its parent's listing says
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
    fs: LakeFSFileSystem,
    path: str,
    p: _Path,
    maxdepth: int | None,
    withdirs: bool,
    detail: bool = True,
) -> Any:
    """Every object under ``path`` at a ref (and directories, ``withdirs``) from one flat
    listing made now: by name with their entries (``detail``), else their names; it fills the
    cache of ``path`` and every directory below.

    Pages are fetched up to two ahead while one is read, and each object costs a name and a
    row of the cache's columns (:class:`lakefs._fs_cache.Rows`): no ``ObjectInfo``, no
    ``datetime`` and no dict per object unless entries are asked for.
    """
    if maxdepth is not None and maxdepth < 1:
        raise ValueError("maxdepth must be at least 1")
    ticket = fs.dircache.ticket()
    commit = pin(fs, p)
    want = detail or fs._seen.entries is not None  # entries asked for, or collected
    names: list[str] = []
    markers: list[str] = []  # directories named by "directory markers" (keys ending in "/")
    entries: list[Entry] = []
    rows: dict[str, Rows] = {}
    keep = fs.dircache.use_listings_cache
    listed = _at(fs, p, commit).list_objects(prefix=f"{p.key}/" if p.key else "", delimiter="")
    top = f"{p.repo}/{p.ref}/"
    with _well_formed(path):
        for page in listed.pages(ahead=AHEAD):
            results = listed_stats(page.items)
            keys = list(map(_PATH, results))
            if "/" in map(_LAST, keys):  # "directory markers": directories, not objects
                markers.extend(top + k[:-1] for k in keys if k.endswith("/") and k != "/")
                results = [r for r, k in zip(results, keys, strict=True) if not k.endswith("/")]
                keys = [k for k in keys if not k.endswith("/")]
            listed_names = [top + key for key in keys]
            names.extend(listed_names)
            if want:
                entries.extend(map(file_entry_of, listed_names, results))
            if keep:
                _keep_page(rows, path, listed_names, results)
    if keep:
        for marker in markers:  # an empty directory, listed in its parent's rows
            _rows(rows, marker, path)
    if names or markers:
        fs.dircache.store(ticket, rows, commit)
    elif p.key:
        return _itself(fs, path, detail)
    if maxdepth is None and not withdirs:  # every object, nothing to count
        if not want:
            names.sort()  # in the listing's order already: one pass
            return names
        out = dict(zip(names, entries, strict=True))
    else:
        out = _within(fs, path, names, entries if want else None, maxdepth, withdirs, markers)
    fs._seen.record(out.values())
    ordered = sorted(out)  # in the listing's order already: one pass
    return {n: out[n] for n in ordered} if detail else ordered


_PATH = operator.itemgetter("path")
_LAST = operator.itemgetter(slice(-1, None))


def _itself(fs: LakeFSFileSystem, path: str, detail: bool) -> Any:
    """``find`` of a path nothing is under: the object itself, if it is one (else nothing)."""
    try:
        entry = fs.info(path)
    except FileNotFoundError:
        return {} if detail else []
    found = {path: entry} if entry["type"] == "file" else {}
    fs._seen.record(found.values())
    return found if detail else list(found)


def _keep_page(
    rows: dict[str, Rows], top: str, names: list[str], results: Sequence[Mapping[str, Any]]
) -> None:
    """One page's objects into the rows of their directories, each directory's run at once
    (a flat listing gives the objects of a directory one after another)."""
    if sorted(names) == names:  # lakeFS lists in order; a page in another takes the long way
        # A directory's objects are the names from its first one up to its path followed by
        # "0", the character after "/"; a run is all directly in it if no short name has "/".
        runs: list[tuple[str, int, int, list[str]]] = []
        i, count = 0, len(names)
        while i < count:
            cut = names[i].rfind("/")
            parent = names[i][:cut]
            end = bisect.bisect_left(names, f"{parent}0", i)
            runs.append((parent, i, end, list(map(_after(cut), names[i:end]))))
            i = end
        if "/" not in "".join(chain.from_iterable(run[3] for run in runs)):
            for parent, start, end, below in runs:
                _rows(rows, parent, top).add_files(below, results[start:end])
            return
    shorts: list[str] = []
    start, current = 0, None
    for i, name in enumerate(names):
        parent, _, short = name.rpartition("/")
        shorts.append(short)
        if parent != current:
            if current is not None:
                _rows(rows, current, top).add_files(shorts[start:i], results[start:i])
            start, current = i, parent
    if current is not None:
        _rows(rows, current, top).add_files(shorts[start:], results[start:])


def _after(cut: int) -> Callable[[str], str]:
    """What follows position ``cut`` of a str."""
    return operator.itemgetter(slice(cut + 1, None))


def _rows(rows: dict[str, Rows], directory: str, top: str) -> Rows:
    """A directory's rows; a new one registered in its parent's (and so on up to ``top``)."""
    made = rows.get(directory)
    if made is not None:
        return made
    made = rows[directory] = Rows(directory)
    child = directory
    while child != top and child:
        parent, _, short = child.rpartition("/")
        known = rows.get(parent)
        if known is None:
            known = rows[parent] = Rows(parent)
            known.add_dir(short)
            child = parent
            continue
        known.add_dir(short)
        break
    return made


def _within(
    fs: LakeFSFileSystem,
    path: str,
    names: list[str],
    entries: list[Entry] | None,
    maxdepth: int | None,
    withdirs: bool,
    markers: Sequence[str] = (),
) -> dict[str, Entry]:
    """The objects no deeper than ``maxdepth`` below ``path``, and their directories
    (``withdirs``: those of the objects and those ``markers`` name), by name (entries None:
    the names alone matter)."""
    out: dict[str, Any] = {}
    depth0 = path.count("/")
    for i, name in enumerate(names):
        depth = name.count("/") - depth0
        if maxdepth is None or depth <= maxdepth:
            out[name] = None if entries is None else entries[i]
        if withdirs:
            _directories_of(fs, out, fs._parent(name), depth0, maxdepth)
    if withdirs:
        for marker in markers:
            _directories_of(fs, out, marker, depth0, maxdepth)
        if names or markers:
            out[path] = dir_entry(path)
    return out


def _directories_of(
    fs: LakeFSFileSystem, out: dict[str, Any], directory: str, depth0: int, maxdepth: int | None
) -> None:
    """``directory`` and those above it, down to the depth ``depth0`` (excluded), into ``out``
    as directories (no deeper than ``maxdepth`` below ``depth0``)."""
    while directory.count("/") > depth0:
        if maxdepth is None or directory.count("/") - depth0 <= maxdepth:
            out.setdefault(directory, dir_entry(directory))
        directory = fs._parent(directory)


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
