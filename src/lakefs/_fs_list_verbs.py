"""The listing verbs of :class:`~lakefs.fs.LakeFSFileSystem`: ``ls``, ``info``, ``exists``,
``isdir``/``isfile``, ``find``, ``walk``, the cache's ``invalidate_cache`` and the details of one
object (``modified``, ``ukey``, ``checksum``, ``created``).

A mixin of the filesystem (the class is composed in :mod:`lakefs.fs`): each verb says what it
does and where its errors are translated; its body is in :mod:`lakefs._fs_listings`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fsspec.spec import AbstractFileSystem

from lakefs import _fs_listings as listings
from lakefs._fs_errors import translating

__all__ = ["ListingVerbs"]


class ListingVerbs(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """What :class:`~lakefs.fs.LakeFSFileSystem` lists and tells of paths."""

    _seen: listings.Seen  # what an expansion's listings answer (set by the filesystem)

    @translating("path")
    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> Any:
        """The entries directly under ``path`` (dicts with ``detail``, else names).

        The root lists the repositories; a repository lists its branches and its tags (each a
        path ``info``, ``ls`` and ``open`` accept, from two paged listings; a tag named like a
        branch once), not its commits; a ref or prefix lists its objects and prefixes. Walking
        or finding from a repository therefore goes through every branch and tag. A cached
        listing answers while it holds; ``refresh`` lists again (and asks again what a tag or
        expression resolves to). ``recursive=True`` (lakefs-spec's) lists everything below
        ``path``, objects and directories, from one flat listing (as ``find(withdirs=True)``).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional; empty: the root).
            detail: return entry dicts (``name``, ``size``, ``type``, ...), else names.
            refresh: list again instead of answering from the cache.
            **kwargs: ``recursive=True`` lists everything below ``path``.

        Returns:
            The entries (dicts with ``detail``, else their names).

        Raises:
            FileNotFoundError: no such repository, ref, prefix or object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.ls(self, path, detail, refresh, kwargs)

    @translating("path")
    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """An object's (or a directory's) details: ``name``, ``size``, ``type``, ``mtime``,
        ``checksum``, ``content_type``, ``metadata``; asked of the server, except for a path
        at a commit whose listing is kept.

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            refresh: ask the server even for a path at a commit whose listing is kept.
            **kwargs: accepted and ignored (fsspec's callers pass their own).

        Returns:
            The entry dict (a directory's has ``name``, ``size`` 0 and ``type``).

        Raises:
            FileNotFoundError: no such repository, ref, object or prefix.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        path = self._strip_protocol(path)
        return listings.info(self, path, self._parse(path), refresh)

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` is an object or a directory (a ``PermissionError`` is raised).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            **kwargs: passed to :meth:`info`.

        Returns:
            True if ``info`` finds it; False if it is missing or a name lakeFS cannot hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.exists(self, path, kwargs)

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a directory (a prefix, a ref or a repository).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            True for a directory; False for an object, a missing path or a name lakeFS cannot
            hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.is_kind(self, path, "directory")

    def isfile(self, path: str) -> bool:
        """Whether ``path`` is an object.

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            True for an object; False for a directory, a missing path or a name lakeFS cannot
            hold.

        Raises:
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.is_kind(self, path, "file")

    @translating("path")
    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Every object under ``path`` (and directories, ``withdirs``), from one flat listing
        (asked every time: never from the cache, which it fills).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional); above a ref, fsspec's walk.
            maxdepth: the deepest level below ``path`` to include (None: all).
            withdirs: include the directories too.
            detail: return ``{name: entry}``, else the sorted names.
            **kwargs: accepted and ignored.

        Returns:
            The names (or names to entries) found; an object ``path`` finds itself, a missing
            one nothing.

        Raises:
            ValueError: ``maxdepth`` is below 1.
            FileNotFoundError: no such repository or ref.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        return listings.find_path(self, path, maxdepth, withdirs, detail)

    def walk(
        self,
        path: str,
        maxdepth: int | None = None,
        topdown: bool = True,
        on_error: str | Callable[[BaseException], Any] = "omit",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """``os.walk`` over ``path``, from one flat listing (``detail=True`` gives dicts).

        Args:
            path: a ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            maxdepth: the deepest level to descend to (None: all).
            topdown: yield a directory before its subdirectories (else after).
            on_error: for a missing path or a refused key, ``"omit"`` (yield nothing),
                ``"raise"``, or a callable given the error.
            **kwargs: ``detail=True`` gives ``{name: entry}`` dicts instead of name lists.

        Returns:
            An iterator of ``(directory, dirs, files)`` tuples, as ``os.walk``'s.

        Raises:
            FileNotFoundError: ``path`` is missing (``on_error="raise"`` only; when iterated).
            PermissionError: the key is refused (``on_error="raise"`` only; when iterated).
        """
        return listings.walk_path(self, path, maxdepth, topdown, on_error, kwargs)

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings: all of them (and what tags and expressions resolve to), or
        those of ``path``, its parents and below.

        Args:
            path: the path whose listings to forget (None: all of them).
        """
        if path is None:
            self.dircache.invalidate(None)
            self._refs.forget()
        else:
            path = self._strip_protocol(path)
            self.dircache.invalidate(path)
        super().invalidate_cache(path)

    def _listed(self) -> contextlib.AbstractContextManager[dict[str, dict[str, Any]]]:
        """Collect the entries this thread's listings answer meanwhile (an expansion's: the
        kinds ``get`` and ``copy`` act on, fresh, not from the cache)."""
        return self._seen.collecting()

    # -- details -----------------------------------------------------------------------------------

    def modified(self, path: str) -> datetime:
        """When the object was last written (timezone-aware, UTC).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The object's modification time.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no time).
            PermissionError: the key is refused (401, 403).
        """
        mtime: datetime = listings.file_detail(self, path, "mtime", "modification time")
        return mtime

    def ukey(self, path: str) -> str:
        """lakeFS's checksum of the object (changes whenever its content does).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The checksum (an ETag-like string).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no checksum).
            PermissionError: the key is refused (401, 403).
        """
        return str(listings.file_detail(self, path, "checksum", "checksum"))

    def checksum(self, path: str) -> int:
        """lakeFS's checksum of the object, as an int (fsspec's convention).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            An int derived from the checksum (a SHA-256 prefix of :meth:`ukey`).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no checksum).
            PermissionError: the key is refused (401, 403).
        """
        return int(hashlib.sha256(self.ukey(path).encode()).hexdigest()[:32], 16)

    def created(self, path: str) -> datetime:
        """When the object was written (lakeFS keeps one time per object version).

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).

        Returns:
            The same time as :meth:`modified`.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` is a directory (it has no time).
            PermissionError: the key is refused (401, 403).
        """
        return self.modified(path)
