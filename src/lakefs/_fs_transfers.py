"""``put`` and ``get`` of ``lakefs://``, through the folder transfer engine.

Both keep fsspec's path semantics (which local path each remote name becomes, and back) and
stream their files into one :func:`~lakefs.lib.folders.transfer_run` as they are named:
``max_workers`` at a time, memory bounded by the files in flight, the first failure stopping
the rest and raised as itself.

``get`` writes every file as ``download_folder`` does (:func:`~lakefs.lib.folders.
fetch_contained`): a name below the destination that would leave it (``../a``, ``a//b``, NUL,
a part longer than 255 bytes...) or a symbolic link on its way is refused, file by file, with
a :class:`~lakefs.ValidationError`, whatever fsspec's version; each file gets its name only
when whole.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from glob import has_magic
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fsspec.callbacks import Callback, NoOpCallback
from fsspec.implementations.local import LocalFileSystem, make_path_posix, trailing_sep
from fsspec.utils import other_paths

from lakefs import _validation as validate
from lakefs._exceptions import ValidationError
from lakefs._fs_precheck import Stored, stat_or_none
from lakefs._objects import checksum_of, content_type_of, metadata_of, size_of
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib._local_tree import LocalTree
from lakefs.lib.folders import (
    Transfer,
    TransferRun,
    fetch_contained,
    same_content,
    transfer_run,
)
from lakefs.lib.progress import ProgressEvent, Tracker
from lakefs.lib.writer import _make_target, send_file

if TYPE_CHECKING:
    from lakefs._fs_refs import FSPath
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference
    from lakefs.fs import LakeFSFileSystem

__all__ = [
    "Deferred",
    "GetItem",
    "PutItem",
    "PutScope",
    "child_of",
    "get_transfer",
    "plan_get",
    "plan_put",
    "put_transfer",
    "release",
    "running",
]


class _Held(Callback):  # type: ignore[misc]  # fsspec is untyped
    """A file's child callback, kept open until the file's transfer ends (fsspec's ``put``
    closes it as soon as ``put_file`` returns, which only queues it)."""

    def __init__(self, child: Callback) -> None:
        super().__init__()
        self.child = child
        self.released = False

    def __exit__(self, *exc: object) -> None:
        """Nothing: closed when the transfer ends."""

    def release(self) -> None:
        """The transfer ended: close the child (once)."""
        if not self.released:
            self.released = True
            self.child.close()


def child_of(callback: Callback) -> Callback:
    """The callback a file's bytes are counted on."""
    return callback.child if isinstance(callback, _Held) else callback


def release(callback: Callback) -> None:
    """Close a held child callback (a caller's own callback is the caller's to close)."""
    if isinstance(callback, _Held):
        callback.release()


class Deferred(Callback):  # type: ignore[misc]  # fsspec is untyped
    """The callback ``put`` hands fsspec's expansion in place of the caller's: the caller's
    callback learns the file count at once, then one update per file as each transfer ends
    (not as it is queued); each file's child callback stays open until then."""

    def __init__(self, outer: Callback) -> None:
        super().__init__()
        self.outer = outer

    def set_size(self, size: int) -> None:
        """The number of files."""
        self.outer.set_size(size)

    def wrap(self, iterable: Any) -> Any:
        """The files, counted when their transfers end instead."""
        yield from iterable

    def branched(self, path_1: str, path_2: str, **kwargs: Any) -> Callback:
        """The caller's child callback for one file, held open."""
        return _Held(self.outer.branched(path_1, path_2, **kwargs))


@contextmanager
def running(
    fs: LakeFSFileSystem, kind: str, outer: Callback | None, files: int | None = None
) -> Iterator[TransferRun]:
    """A transfer run of ``put``/``get`` files: ``max_workers`` at a time (one, in this
    thread, for a single file), ``outer`` told of each file done, the first failure raised as
    itself once the run ends (a :class:`~lakefs.TransferError` would hide
    ``FileNotFoundError``, ``PermissionError``... from ``except`` clauses).

    Args:
        fs: the filesystem.
        kind: ``"put"`` or ``"get"``.
        outer: the caller's callback, counting files (None: none).
        files: how many files will come, when known.
    """

    def progress(event: ProgressEvent) -> None:
        if outer is not None and event.kind == "file" and event.outcome == "sent":
            outer.relative_update(1)

    counting = outer is not None and not isinstance(outer, NoOpCallback)  # else no events

    with transfer_run(
        operation=kind,
        max_workers=fs.max_workers if files is None else max(min(fs.max_workers, files), 1),
        progress=progress if counting else False,
        fail_fast=True,
    ) as run:
        yield run
    if run.result.failed:
        raise next(iter(run.result.failed.values()))


# -- get -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetItem:
    """One file (or directory) of a ``get``.

    Attributes:
        rpath: the remote path (stripped).
        local: the local path fsspec names for it.
        root: the destination folder it must stay in (None: ``local`` was named by the caller).
        relative: its name below ``root``.
        kind: ``"file"`` or ``"directory"`` as this ``get``'s own listing said (None: unlisted).
        size: its size in that listing (None: unknown).
        checksum: its checksum in that listing (None: unknown): with ``size``, what
            ``precheck`` compares a local file with, instead of a stat of its own.
    """

    rpath: str
    local: str
    root: Path | None = None
    relative: str = ""
    kind: str | None = None
    size: int | None = None
    checksum: str | None = None


def plan_get(
    fs: LakeFSFileSystem,
    rpath: Any,
    lpath: Any,
    recursive: bool,
    maxdepth: int | None,
    kwargs: dict[str, Any],
) -> list[GetItem]:
    """The files of ``get(rpath, lpath, ...)``, named as fsspec's ``get`` names them (its
    expansion of globs, directories and trailing slashes), each remote name below the
    destination kept with it, for the containment rule. Kinds and sizes come from the
    listings this expansion makes, fresh, never from the listing cache."""
    if isinstance(lpath, list) and isinstance(rpath, list):
        pairs = zip(rpath, lpath, strict=False)
        return [GetItem(fs._strip_protocol(r), os.fspath(p)) for r, p in pairs]
    with fs._listed() as seen:
        source_is_str = isinstance(rpath, str)
        rpaths = fs.expand_path(rpath, recursive=recursive, maxdepth=maxdepth, **kwargs)
        if source_is_str and (not recursive or maxdepth is not None):
            # a glob that is not recursive copies no directories
            rpaths = [p for p in rpaths if not (trailing_sep(p) or _is_dir(fs, seen, p))]
            if not rpaths:
                return []
    if isinstance(lpath, str):
        lpath = make_path_posix(lpath)
    source_is_file = len(rpaths) == 1
    dest_is_dir = isinstance(lpath, str) and (trailing_sep(lpath) or LocalFileSystem().isdir(lpath))
    magic = source_is_str and has_magic(rpath)
    exists = source_is_str and (
        (magic and source_is_file) or (not magic and dest_is_dir and not trailing_sep(rpath))
    )
    lpaths = other_paths(rpaths, lpath, exists=exists, flatten=not source_is_str)
    base = lpath.rstrip("/") if isinstance(lpath, str) else None
    items = []
    for remote, local in zip(rpaths, lpaths, strict=True):
        entry = seen.get(remote, {})
        kind, size, checksum = entry.get("type"), entry.get("size"), entry.get("checksum")
        if base is None or local == base:  # each destination named by the caller
            items.append(GetItem(remote, local, None, "", kind, size, checksum))
            continue
        # A name below the destination must stay there; anything else fails closed (an
        # absolute name is refused).
        rest = local[len(base) :] if local.startswith(base) else ""
        relative = rest[1:] if rest.startswith("/") else local
        items.append(GetItem(remote, local, Path(base or "/"), relative, kind, size, checksum))
    return items


def _kept(
    reference: Reference, item: GetItem, key: str, root: Path, relative: str, part_size: int
) -> int | None:
    """``precheck`` of a download: the size of the local file in the object's place when it
    is a regular file (not through a link) that already holds what the object does (the
    folder engine's rule: by the size and checksum the ``get``'s listing gave, else a stat);
    None: download it."""
    if os.path.isabs(relative) or ".." in Path(relative).parts:
        return None  # the download itself refuses it
    local = root / relative
    try:
        if os.path.realpath(local) != os.path.join(os.path.realpath(root), *Path(relative).parts):
            return None  # a link on the way: the download decides
        st = os.lstat(local)
    except (OSError, ValueError):  # a name no local file can have: the download refuses it
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    if item.size is not None and item.checksum is not None:
        stored: Mapping[str, Any] | None = {"size_bytes": item.size, "checksum": item.checksum}
    else:
        stored = stat_or_none(reference, key)
    return st.st_size if _unchanged(stored, local, st.st_size, part_size) else None


def _is_dir(fs: LakeFSFileSystem, seen: dict[str, dict[str, Any]], path: str) -> bool:
    entry = seen.get(path)
    return entry["type"] == "directory" if entry is not None else fs.isdir(path)


def _make_directory(root: Path, relative: str) -> int:
    """A ``get`` directory: made below ``root`` (by the containment rule) unless it is there."""
    with LocalTree(root) as tree, tree.place(relative) as place:
        if place.stat is None:
            with suppress(FileExistsError):  # a file's transfer made it meanwhile
                place.mkdir()
        now = place.lstat()
        if now is None or not stat.S_ISDIR(now.st_mode):
            raise FileExistsError(
                errno.EEXIST, "a file is in the directory's place", str(place.path)
            )
    return 0


def get_transfer(
    fs: LakeFSFileSystem,
    item: GetItem,
    child: Callback,
    *,
    close_child: bool = False,
    precheck: bool = True,
) -> Transfer:
    """One ``get`` file: its reference resolved here (in the calling thread), run by the
    engine, ``child`` told of its size and bytes (and closed when it ends, ``close_child``).
    A name the caller gave (no ``root``) is written where it says; one below a destination
    by the containment rule."""
    p = fs._parse(item.rpath)
    root = item.root if item.root is not None else Path(item.local).parent
    relative = item.relative if item.root is not None else Path(item.local).name
    reference = fs._reference(p) if p.key else None

    def run(counter: Tracker) -> int:
        try:
            return fetch(counter)
        finally:
            if close_child:
                child.close()

    def fetch(counter: Tracker) -> int:
        if item.kind == "directory" or reference is None:
            return _make_directory(root, relative)
        if item.size is not None:
            child.set_size(item.size)
        try:
            with fs._errors(item.rpath):
                validate.object_path(p.key, "path")
                kept = (
                    _kept(reference, item, p.key, root, relative, fs.part_size)
                    if precheck
                    else None
                )
                if kept is not None:
                    child.set_size(kept)
                    counter.advance(kept)
                    return kept
                got = fetch_contained(
                    reference,
                    p.key,
                    root,
                    relative,
                    pre_signed=resolve_pre_signed(fs.client, fs.pre_signed),
                    block_size=fs.block_size,
                    counter=counter,
                )
        except FileNotFoundError:
            if item.kind is None and fs.isdir(item.rpath):  # asked now, not from a cache
                return _make_directory(root, relative)
            raise
        if got != item.size:
            child.set_size(got)
        return got

    return Transfer(item.rpath, run, item.size or 0, child.relative_update)


# -- put -------------------------------------------------------------------------------------


def _unchanged(
    stored: Mapping[str, Any] | None,
    local: Path | IO[bytes],
    size: int,
    part_size: int,
    metadata: dict[str, str] | None = None,
    content_type: str | None = None,
) -> bool:
    """``precheck``: whether the object whose ``stored`` stats lakeFS answered holds what the
    local file does, by the folder engine's own rule (:func:`lakefs.lib.folders.
    same_content`: the size and lakeFS's checksum); with ``metadata`` or ``content_type``
    given, they must match too (else the transfer would change them). A missing object
    (None) is not unchanged."""
    if stored is None:
        return False
    if metadata is not None and metadata_of(stored) != metadata:
        return False
    if content_type is not None and content_type_of(stored) != content_type:
        return False
    return same_content(local, size, checksum_of(stored), size_of(stored), part_size)


def plan_put(
    fs: LakeFSFileSystem,
    lpath: Any,
    rpath: Any,
    recursive: bool,
    maxdepth: int | None,
    kwargs: dict[str, Any],
    absent: Callable[[str], None] | None = None,
) -> list[tuple[str, str, str | None]] | None:
    """The (local, remote, kind) of each file of ``put(lpath, rpath, ...)``, named as
    fsspec's ``put`` (and its async ``_put``) names them: the local expansion of globs,
    directories and trailing slashes once, then :func:`fsspec.utils.other_paths`; the kind
    (``"file"``, ``"directory"``) as the expansion's listings gave it (None: not listed).
    None: a glob that is not recursive named directories only (fsspec's ``put`` then does
    nothing, not even count). ``absent`` is told the destination when fsspec's question
    whether it is a directory found nothing there at all."""
    if isinstance(lpath, list) and isinstance(rpath, list):
        return [(lp, rp, None) for lp, rp in zip(lpath, rpath, strict=False)]  # the caller's
    source_is_str = isinstance(lpath, str)
    if source_is_str:
        lpath = make_path_posix(lpath)
    local = _LocalListed(skip_instance_cache=True)
    lpaths = local.expand_path(lpath, recursive=recursive, maxdepth=maxdepth, **kwargs)
    if source_is_str and (not recursive or maxdepth is not None):
        # a glob that is not recursive copies no directories
        lpaths = [p for p in lpaths if not (trailing_sep(p) or local.isdir(p))]
        if not lpaths:
            return None
    dest_is_dir = isinstance(rpath, str) and (
        trailing_sep(rpath) or _is_directory(fs, rpath, absent)
    )
    if isinstance(rpath, str):
        rpath = fs._strip_protocol(rpath)
    else:
        rpath = [fs._strip_protocol(p) for p in rpath]
    magic = source_is_str and has_magic(lpath)
    exists = source_is_str and (
        (magic and len(lpaths) == 1) or (not magic and dest_is_dir and not trailing_sep(lpath))
    )
    rpaths = other_paths(lpaths, rpath, exists=exists, flatten=not source_is_str)
    return [(lp, rp, local.kinds.get(lp)) for lp, rp in zip(lpaths, rpaths, strict=False)]


def _is_directory(fs: LakeFSFileSystem, path: str, absent: Callable[[str], None] | None) -> bool:
    """``fs.isdir(path)``, telling ``absent`` when there is nothing at ``path`` at all."""
    if absent is None:
        return bool(fs.isdir(path))
    try:
        return bool(fs.info(path)["type"] == "directory")
    except FileNotFoundError:
        absent(fs._strip_protocol(path))
        return False
    except ValidationError:
        return False


class _LocalListed(LocalFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's local filesystem, keeping the kind of each entry its listings give: which of
    ``put``'s files are directories, known without a stat each in the calling thread (where
    every system call hands the GIL to the workers, and waits to get it back)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kinds: dict[str, str] = {}

    def ls(self, path: str, detail: bool = False, **kwargs: Any) -> list[Any]:
        """As fsspec's, the kinds kept."""
        entries: list[dict[str, Any]] = super().ls(path, detail=True, **kwargs)
        self.kinds.update((entry["name"], entry["type"]) for entry in entries)
        return entries if detail else [entry["name"] for entry in entries]


@dataclass(frozen=True)
class PutItem:
    """One file of a ``put``: a local path, the remote path, its callback and options, and
    its kind when the expansion listed it (None: asked of the local filesystem)."""

    lpath: str
    rpath: str
    callback: Callback
    kwargs: dict[str, Any]
    kind: str | None = None


@dataclass
class PutScope:
    """What the files of one ``put`` share, in the one thread that names them: the
    destinations' listings (``precheck`` looks each object up there) and the branches
    resolved (each ``repository/ref`` checked once, not once a file)."""

    stored: Stored = field(default_factory=Stored)
    branches: dict[tuple[str, str], Branch] = field(default_factory=dict)

    def nothing_at(self, fs: LakeFSFileSystem, path: str) -> None:
        """``path`` (a destination) holds nothing: precheck looks nothing up under it."""
        p = fs._parse(path)
        if p.repo and p.ref and p.key:
            self.stored.nothing_at(p.repo, p.ref, p.key.rstrip("/"))

    def branch(self, fs: LakeFSFileSystem, p: FSPath) -> Branch:
        """The branch a write to ``p`` goes to (as ``fs._branch(p, create=True)``)."""
        if not p.key:  # refused as fs._branch refuses it
            return fs._branch(p, create=True)
        branch = self.branches.get((p.repo, p.ref))
        if branch is None:
            branch = self.branches[(p.repo, p.ref)] = fs._branch(p, create=True)
        return branch


def _upload(
    fs: LakeFSFileSystem,
    branch: Branch,
    key: str,
    local: IO[bytes],
    since: os.stat_result,
    mode: str,
    content_type: str | None,
    metadata: dict[str, str] | None,
    counter: Tracker,
) -> None:
    """Send a local file open for reading (``since``: its ``os.fstat`` before anything was
    read) as the object ``key`` (``mode="create"``: only if there is none, decided by the
    server when it is published), ``counter`` told of each chunk."""
    if mode != "create":
        target = _make_target(
            branch,
            key,
            exclusive=False,
            pre_signed=fs.pre_signed,
            content_type=content_type,
            metadata=metadata,
            part_size=fs.part_size,
            part_workers=fs.part_workers,
        )
        send_file(target, local, since.st_size, counter, since=since)
        return
    local.seek(0)
    with branch.open(key, "xb", fs.pre_signed, content_type=content_type, metadata=metadata) as f:
        while chunk := local.read(fs.part_size):
            f.write(chunk)
            counter.advance(len(chunk))


def put_transfer(fs: LakeFSFileSystem, item: PutItem, scope: PutScope | None = None) -> Transfer:
    """One ``put`` file: its branch is resolved here, in the calling thread (a read-only ref
    fails before anything is sent; a transaction starts once), and the engine runs it.
    ``scope``: what the ``put`` it is one file of shares (its ``precheck`` looks the object
    up in the destinations' listings, here); None: the branch resolved, and a stat in the
    transfer."""
    lpath = os.fspath(item.lpath)
    rpath = fs._strip_protocol(item.rpath)
    is_dir = item.kind == "directory" if item.kind is not None else os.path.isdir(lpath)
    if is_dir:  # nothing to upload (there are no empty directories)

        def nothing(counter: Tracker) -> int:
            release(item.callback)
            return 0

        return Transfer(rpath, nothing)
    p = fs._parse(rpath)
    branch = scope.branch(fs, p) if scope is not None else fs._branch(p, create=True)
    stored = scope.stored if scope is not None else None
    mode = item.kwargs.get("mode", "overwrite")
    metadata = item.kwargs.get("metadata")
    precheck = item.kwargs.get("precheck", True)
    given_type = item.kwargs.get("content_type")
    content_type = given_type or mimetypes.guess_type(os.path.basename(lpath))[0]
    child = child_of(item.callback)
    precheck = precheck and mode != "create"
    looked = stored.lookup(branch, p.key) if precheck and stored is not None else None

    def run(counter: Tracker) -> int:
        try:
            with open(lpath, "rb") as local:  # opened once: compared, then sent
                since = os.fstat(local.fileno())
                size = since.st_size
                child.set_size(size)
                with fs._errors(rpath):
                    if precheck and _unchanged(
                        looked if stored is not None else stat_or_none(branch, p.key),
                        local,
                        size,
                        fs.part_size,
                        metadata,
                        given_type,
                    ):
                        counter.advance(size)
                        return size
                    _upload(fs, branch, p.key, local, since, mode, content_type, metadata, counter)
            return size
        finally:
            release(item.callback)
            fs._written(rpath)

    counted = None if isinstance(child, NoOpCallback) else child.relative_update
    return Transfer(rpath, run, 0, counted)
