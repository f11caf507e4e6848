"""The writing verbs of :class:`~lakefs.fs.LakeFSFileSystem`: ``pipe_file``, ``put_file`` and
``put``, ``copy`` and ``cp_file``, ``rm_file`` and ``rm``, ``touch``, and the directory verbs
that have nothing to do (``mkdir``, ``makedirs``, ``rmdir``).

A mixin of the filesystem (the class is composed in :mod:`lakefs.fs`): each verb says what it
does and where its errors are translated; its body is in :mod:`lakefs._fs_writes`.
"""

from __future__ import annotations

from typing import Any

from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.spec import AbstractFileSystem

from lakefs import _fs_writes as writes
from lakefs._fs_errors import translating

__all__ = ["WriteVerbs"]


class WriteVerbs(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """What :class:`~lakefs.fs.LakeFSFileSystem` writes, copies and removes."""

    @translating("path")
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as the object at ``path`` (``mode="create"`` refuses an existing one),
        with ``content_type`` and user ``metadata`` if given (any other option is refused).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            value: the bytes to write.
            mode: ``"overwrite"`` or ``"create"`` (refuse an existing object).
            **kwargs: ``content_type`` and ``metadata`` (a dict of strings).

        Raises:
            ValidationError: an unknown ``mode`` or option (before any request).
            FileExistsError: ``mode="create"`` and the object exists.
            FileNotFoundError: no such repository or branch (``create_branch_ok`` creates it).
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.pipe(self, path, value, mode, kwargs)

    @translating("rpath")
    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload a local file, streamed (a local directory uploads nothing); ``mode="create"``
        refuses an existing object. ``content_type`` (else guessed from the name) and user
        ``metadata`` are stored with it. ``callback`` learns the size and then each chunk's
        bytes.

        Args:
            lpath: the local file.
            rpath: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            callback: an fsspec callback told the size and each chunk's bytes.
            mode: ``"overwrite"`` or ``"create"`` (refuse an existing object).
            **kwargs: ``content_type``, ``metadata`` and ``precheck`` (False: upload even
                an object that holds the file already).

        Raises:
            ValidationError: an unknown option (before any request).
            FileExistsError: ``mode="create"`` and the object exists.
            FileNotFoundError: no such local file, repository or branch.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.put_file(self, lpath, rpath, callback, mode, kwargs)

    def put(
        self,
        lpath: Any,
        rpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Upload files (``recursive``: directories) as fsspec names them, through the folder
        transfer engine: ``max_workers`` at a time, each object published only when sent
        whole. ``callback`` counts files as they are done; each file's child callback (from
        ``callback.branched``) its bytes. The first failure stops the rest and is raised as it
        is (``FileNotFoundError``, ``PermissionError``, ...); Ctrl-C stops the transfers in
        flight at their next chunk.

        Args:
            lpath: the local path(s): a path, a glob or a list.
            rpath: the remote destination (a prefix for many files).
            recursive: upload directories with everything under them.
            callback: an fsspec callback counting files; its children count bytes.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).
            **kwargs: ``content_type``, ``metadata`` and ``mode``, as :meth:`put_file` takes
                them; fsspec's expansion options.

        Raises:
            ValidationError: an unknown option.
            FileNotFoundError: a local path, the repository or the branch is missing.
            FileExistsError: ``mode="create"`` and an object exists.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.put(self, lpath, rpath, recursive, callback, maxdepth, kwargs)

    def copy(self, path1: Any, path2: Any, recursive: bool = False, **kwargs: Any) -> None:
        """Copy objects as fsspec names them (``cp_file`` each); the directories among them
        are known from the expansion's own listing.

        Args:
            path1: the source path(s): a path, a glob or a list.
            path2: the destination path(s).
            recursive: copy prefixes with everything under them.
            **kwargs: fsspec's options (``maxdepth``, ``on_error``).

        Raises:
            FileNotFoundError: a source is missing (unless ``on_error="ignore"``).
            ReadOnlyReferenceError: the destination ref is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.copy(self, path1, path2, recursive, kwargs)

    @translating("path1")
    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy an object: on the server within a repository (across branches too), else
        streamed. A directory copies nothing (there are no empty directories). The copy keeps
        the source's content type and metadata: ``content_type=`` and ``metadata=`` are
        refused (write the object with them instead).

        Args:
            path1: the source object's ``REPOSITORY/REF/PATH``.
            path2: the destination's ``REPOSITORY/BRANCH/PATH``.
            **kwargs: accepted; ``content_type`` and ``metadata`` are refused.

        Raises:
            ValidationError: ``content_type`` or ``metadata`` given (before any request).
            FileNotFoundError: no such source object, ref or repository.
            ReadOnlyReferenceError: the destination ref is a tag, a commit or an expression.
            IsADirectoryError: ``path2`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.cp(self, path1, path2, kwargs)

    @translating("path")
    def rm_file(self, path: str) -> None:
        """Delete one object (as on S3, a missing object is no error; ``rm`` of a missing
        path raises ``FileNotFoundError``).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).

        Raises:
            FileNotFoundError: no such repository or branch.
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the request.
        """
        writes.rm_file(self, path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects: a path, a glob or a list; ``recursive`` removes everything under a
        prefix (compared as ``PREFIX/``), in requests of 1,000 paths. Every name the expansion
        gives is deleted as an object: a directory's name deletes nothing (an object of that
        name, if one appeared meanwhile), so no cached kind decides what is kept.

        Every ref written to is checked to be a branch before anything is removed: a path
        on a tag, a commit or an expression (a repository's root reaches its tags too) raises
        :class:`ReadOnlyReferenceError` and removes nothing.

        Args:
            path: a path, a glob or a list of them.
            recursive: remove everything under the prefixes named.
            maxdepth: the deepest level to descend to with ``recursive`` (None: all).

        Raises:
            FileNotFoundError: a path names nothing.
            ReadOnlyReferenceError: a ref is a tag, a commit or an expression.
            IsADirectoryError: a repository or a ref named without ``recursive``.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.rm(self, path, recursive, maxdepth)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing: directories exist while objects are under them.

        Args:
            path: ignored.
            create_parents: ignored.
            **kwargs: ignored.
        """

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing: directories exist while objects are under them.

        Args:
            path: ignored.
            exist_ok: ignored (an existing directory is never an error).
        """

    def rmdir(self, path: str) -> None:
        """Nothing: a directory disappears with its last object.

        Args:
            path: ignored.
        """

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        """Create an empty object (``truncate=False`` leaves an existing one as it is: one
        request that creates it only if it is missing, decided by the server).

        Args:
            path: the object's ``REPOSITORY/BRANCH/PATH`` (``lakefs://`` optional).
            truncate: replace an existing object with an empty one (False: leave it).
            **kwargs: ``content_type`` and ``metadata``, as :meth:`pipe_file` takes them.

        Raises:
            ValidationError: an unknown option (before any request).
            FileNotFoundError: no such repository or branch (``create_branch_ok`` creates it).
            ReadOnlyReferenceError: the ref is a tag, a commit or an expression.
            IsADirectoryError: ``path`` names a repository or a ref, not an object.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        writes.touch(self, path, truncate, kwargs)
