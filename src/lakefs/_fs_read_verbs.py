"""The reading verbs of :class:`~lakefs.fs.LakeFSFileSystem`: ``open`` for reading and
writing (``_open``), ``cat_file``, ``get_file`` and ``get``.

A mixin of the filesystem (the class is composed in :mod:`lakefs.fs`): each verb says what it
does and where its errors are translated; its body is in :mod:`lakefs._fs_reads`.
"""

from __future__ import annotations

from typing import IO, Any

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem

from lakefs import _fs_reads as reads
from lakefs._fs_errors import translating
from lakefs._fs_files import FSReader, FSWriter

__all__ = ["ReadVerbs"]


class ReadVerbs(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """What :class:`~lakefs.fs.LakeFSFileSystem` opens, reads and downloads."""

    @translating("path")
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> FSReader | FSWriter:
        """A binary file: an :class:`~lakefs.ObjectReader` (``rb``; it pickles, and reopens
        the same version where it was) or an :class:`~lakefs.ObjectWriter` (``wb``, ``xb``;
        published when it closes; it does not pickle). A write takes ``content_type`` and
        ``metadata``, a read ``cache_type`` and ``cache_options``: fsspec's cache of that
        name made with those options (as s3fs's files make it: ``"blockcache"`` with
        ``maxblocks``, ``"parts"`` with the ``data`` known already, ...), or the reader's own
        read-ahead for ``"readahead"`` (fsspec's default); any other option (or an option
        the cache does not take) is a :class:`~lakefs.ValidationError` naming it."""
        path = self._strip_protocol(path)
        return reads.open_file(self, path, mode, block_size, cache_options, kwargs)

    @translating(lambda self, path, *args, **kwargs: path)
    def _open_reader(
        self, path: str, block_size: int, version: tuple[str | None, int, int] | None
    ) -> FSReader:
        """``path`` opened for reading (``version``: again, as an unpickled file is)."""
        return reads.open_reader(self, path, block_size, version)

    @translating("path")
    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """An object's bytes, or those from ``start`` to ``end`` (negative: from the end), in
        one ranged request whose answer says the size (a suffix range for a negative
        ``start``); an answer cut short is resumed, and a failure is a typed error.

        Args:
            path: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            start: the first byte (negative: from the end; None: 0).
            end: the byte after the last (negative: from the end; None: the end).
            **kwargs: accepted and ignored.

        Returns:
            The bytes, as ``data[start:end]`` slices them (empty past the end).

        Raises:
            FileNotFoundError: no such object, ref or repository.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            ObjectChangedError: the object changed while an answer cut short was resumed.
            LakeFSError: another failure of the request.
        """
        return reads.cat(self, path, start, end)

    @translating("rpath")
    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Callback = DEFAULT_CALLBACK,
        outfile: IO[bytes] | None = None,
        **kwargs: Any,
    ) -> None:
        """Stream an object to a local file, named only when complete (a directory becomes
        a local directory), never through a symbolic link in its place; ``lpath`` (or
        ``outfile``) may be a binary file object. ``callback`` learns the size and then each
        chunk's bytes.

        Args:
            rpath: the object's ``REPOSITORY/REF/PATH`` (``lakefs://`` optional).
            lpath: the local path, or a binary file object to write into.
            callback: an fsspec callback told the size and each chunk's bytes.
            outfile: a binary file object to write into (instead of ``lpath``).
            **kwargs: ``precheck=False`` downloads even when the local file holds the object
                already.

        Raises:
            FileNotFoundError: no such object, ref or repository.
            PermissionError: the key is refused (401, 403).
            ValidationError: the object's name or the local destination is refused (a
                symbolic link in its place).
            OSError: the local file cannot be written.
            LakeFSError: another failure of the requests.
        """
        reads.get_file(self, rpath, lpath, callback, outfile, kwargs)

    def get(
        self,
        rpath: Any,
        lpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Download objects (``recursive``: prefixes) as fsspec names them, through the
        folder transfer engine: ``max_workers`` at a time, each file written as
        ``download_folder`` writes it (a name below the destination that would leave it, or a
        symbolic link on its way, is refused: that file fails with a
        :class:`~lakefs.ValidationError`), named only when complete.
        ``callback`` counts files as they are done; each file's child callback its bytes. The
        first failure stops the rest and is raised as it is (``FileNotFoundError``,
        ``PermissionError``, ...); Ctrl-C stops the transfers in flight at their next chunk.

        Args:
            rpath: the remote path(s): a path, a glob or a list.
            lpath: the local destination (a directory for many files).
            recursive: download prefixes with everything under them.
            callback: an fsspec callback counting files; its children count bytes.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).
            **kwargs: ``precheck=False`` downloads even the local files that hold their object
                already; fsspec's expansion options.

        Raises:
            FileNotFoundError: a path names nothing.
            PermissionError: the key is refused (401, 403).
            ValidationError: a name would leave the destination or pass a symbolic link.
            OSError: a local file cannot be written.
            LakeFSError: another failure of the requests.
        """
        reads.get(self, rpath, lpath, recursive, callback, maxdepth, kwargs)
