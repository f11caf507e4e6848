# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""A branch: a reference that can be written to, committed and merged into."""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from lakefs import _validation as validate
from lakefs._exceptions import ConflictError, NotFoundError
from lakefs._generated import operations as ops
from lakefs._generated.reference import Reference
from lakefs._objects import Change, ObjectInfo
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource, ref_id
from lakefs.lib import commits as _commits
from lakefs.lib import folders as _folders
from lakefs.lib import imports as _imports
from lakefs.lib import objects as _objects
from lakefs.lib import transactions as _transactions
from lakefs.lib import writer as _writer
from lakefs.lib.folders import DEFAULT_FOLDER_WORKERS
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE
from lakefs.lib.writer import DEFAULT_MAX_WORKERS, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime
    from io import TextIOWrapper
    from os import PathLike
    from typing import Literal

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated import schemas as wire
    from lakefs.lib.folders import TransferResult
    from lakefs.lib.imports import ImportManager
    from lakefs.lib.objects import UploadData
    from lakefs.lib.progress import ProgressEvent
    from lakefs.lib.reader import ObjectReader
    from lakefs.lib.transactions import BranchTransaction
    from lakefs.lib.writer import ObjectWriter

__all__ = ["Branch"]


class Branch(Reference):
    """A branch: a reference that can be written to, committed and merged into."""

    def __init__(self, repository_id: str, branch_id: str, client: Client | None = None) -> None:
        """Refer to a branch; no request is sent.

        Args:
            repository_id: The repository's name.
            branch_id: The branch's name.
            client: The client to use; the default client when omitted.
        """
        validate.repository_id(repository_id, "repository_id")
        validate.branch_id(branch_id, "branch_id")
        Resource.__init__(self, client)
        self.repository_id = repository_id
        self.id = branch_id

    def create(
        self,
        source_reference_id: str | Reference,
        *,
        exist_ok: bool = False,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Branch:
        """Create the branch from ``source_reference_id``; returns it. An existing branch is a
        ConflictError, unless ``exist_ok``: then it is returned as it is (never moved).

        Args:
            source_reference_id: The branch, tag or commit to start from.
            exist_ok: Return it as it is when it exists already (never moved).
        """
        validate.ref_or_resource(source_reference_id, "source_reference_id")
        try:
            self._request(
                ops.create_branch,
                self.repository_id,
                body={
                    "name": self.id,
                    "source": ref_id(source_reference_id),
                    "force": False,
                    "hidden": False,
                },
                timeout=timeout,
                extra_headers=extra_headers,
            )
        except ConflictError:
            if not exist_ok:
                raise
        return self

    def head(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """The commit the branch points to now."""
        data: wire.Ref = self._request(
            ops.get_branch,
            self.repository_id,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["commit_id"], client=self._client)

    def exists(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the branch exists (one request)."""
        try:
            self._request(
                ops.get_branch,
                self.repository_id,
                self.id,
                timeout=timeout,
                extra_headers=extra_headers,
            )
        except NotFoundError:
            return False
        return True

    def commit_changes(
        self,
        message: str,
        metadata: dict[str, str] | None = None,
        *,
        allow_empty: bool = False,
        date: datetime | int | None = None,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Commit the branch's uncommitted changes; returns the commit.

        Args:
            message: The commit message.
            metadata: Key-value metadata of the commit.
            allow_empty: Commit even when there are no changes.
            date: The commit's date (a datetime, naive taken as UTC, or Unix seconds).
        """
        validate.commit_message(message, "message")
        validate.commit_metadata(metadata, "metadata")
        validate.unix_seconds(date, "date")
        data: wire.Commit = self._request(
            ops.commit,
            self.repository_id,
            self.id,
            body={
                "message": message,
                "metadata": metadata,
                "allow_empty": allow_empty,
                "date": validate.unix_seconds(date, "date"),
                "force": False,
            },
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["id"], client=self._client)

    def reset(
        self,
        path: str | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Discard uncommitted changes: all of them, or those of one object (``path``) or of a
        prefix ending in ``/``.

        Args:
            path: An object path, or a prefix ending in '/'; None resets everything.
        """
        validate.optional_text(path, "path")
        self._request(
            ops.reset_branch,
            self.repository_id,
            self.id,
            body={
                "type": (
                    "reset" if path is None else "common_prefix" if path.endswith("/") else "object"
                ),
                "path": path,
                "force": False,
            },
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def reverse(
        self,
        reference_id: str | Reference,
        parent_number: int = 0,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Revert the changes of commit ``reference_id`` in a new commit on this branch; returns
        the new commit (read as the branch's head right after).

        Args:
            reference_id: The commit to revert.
            parent_number: For a merge commit, the parent (from 1) to revert relative to.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _commits.reverse(
            self,
            reference_id=reference_id,
            parent_number=parent_number,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def cherry_pick(
        self,
        reference_id: str | Reference,
        parent_number: int | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Apply the changes of commit ``reference_id`` to this branch as a new commit.

        Args:
            reference_id: The commit to pick.
            parent_number: For a merge commit, the parent (from 1) to compare with.
        """
        validate.ref_or_resource(reference_id, "reference_id")
        validate.optional_parent(parent_number, "parent_number")
        data: wire.Commit = self._request(
            ops.cherry_pick,
            self.repository_id,
            self.id,
            body={"ref": ref_id(reference_id), "parent_number": parent_number, "force": False},
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["id"], client=self._client)

    def update_object_metadata(
        self,
        path: str,
        metadata: dict[str, str],
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Replace an object's user metadata (its content is untouched); the change is staged on
        the branch like a write.

        Args:
            path: The object's path.
            metadata: The new metadata (keys as for uploads).
        """
        validate.object_path(path, "path")
        validate.object_metadata(metadata, "metadata")
        self._request(
            ops.update_object_user_metadata,
            self.repository_id,
            self.id,
            path=path,
            body={"set": metadata},
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def list_uncommitted(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Change]:
        """The uncommitted changes on the branch.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
        """
        validate.text(after, "after")
        validate.text(prefix, "prefix")

        def fetch_page(cursor: str, amount: int) -> Page[Change]:
            data: wire.DiffList = self._request(
                ops.diff_branch,
                self.repository_id,
                self.id,
                prefix=prefix,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(data, [Change.from_diff(self, item) for item in data["results"]])

        return Paginator(fetch_page, max_amount=max_amount, after=after)

    def delete(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the branch (its commits stay reachable from other references)."""
        self._request(
            ops.delete_branch,
            self.repository_id,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def upload(
        self,
        data: UploadData,
        path: str,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Write an object: bytes, str (as UTF-8), a binary or text file object (streamed), or a
        pathlib.Path naming a local file (streamed).

        Args:
            data: The content.
            path: The object's path.
            content_type: Its content type (application/octet-stream when None).
            metadata: User metadata to store with it.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _objects.upload(
            self,
            data=data,
            path=path,
            content_type=content_type,
            metadata=metadata,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    @overload
    def open(
        self,
        path: str,
        mode: Literal["rb"],
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectReader: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["wb", "xb"],
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectWriter: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["r", "w", "x"] = "r",
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TextIOWrapper: ...

    def open(
        self,
        path: str,
        mode: Literal["r", "rb", "w", "wb", "x", "xb"] = "r",
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectReader | ObjectWriter | TextIOWrapper:
        """Open an object for reading ("r", "rb") or writing ("w", "wb"; "x", "xb" to refuse an
        existing path). A written object appears only when the file closes successfully; an
        exception inside the with block, or discard(), leaves nothing. Writes stream with
        bounded memory: through lakeFS, or pre-signed (in parallel parts) straight to the object
        store.

        Args:
            path: The object's path.
            mode: A read or write mode.
            pre_signed: Transfer straight to the object store (None: when the server supports it).
            encoding: Text modes' encoding.
            errors: Text reads' decoding errors.
            newline: Text reads' newline handling.
            block_size: The largest read request.
            content_type: A written object's content type (None: guessed from the path).
            metadata: User metadata of a written object.
            part_size: The size of a multipart part (and of a single-request upload).
            max_workers: Parts uploaded at once.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _writer.open_branch_file(
            self,
            path=path,
            mode=mode,
            pre_signed=pre_signed,
            encoding=encoding,
            errors=errors,
            newline=newline,
            block_size=block_size,
            content_type=content_type,
            metadata=metadata,
            part_size=part_size,
            max_workers=max_workers,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def upload_file(
        self,
        local_path: str | PathLike[str],
        path: str,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        pre_signed: bool | None = None,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = DEFAULT_MAX_WORKERS,
        progress: bool | Callable[[ProgressEvent], None] | None = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Upload a local file, streamed; its content type is guessed from its name when not given.

        Args:
            local_path: The file to send.
            path: The object's path.
            content_type: The object's content type.
            metadata: Its user metadata.
            pre_signed: Upload straight to the object store (None: when the server supports it).
            part_size: The part size, when a large pre-signed file goes in parts.
            max_workers: Parts uploaded at once.
            progress: A progress bar: None shows one on a terminal, True always, False never (nor
                with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
            multipart_threshold: A pre-signed file up to this size goes in one request, a larger one
                in parts.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _writer.upload_file(
            self,
            local_path=local_path,
            path=path,
            content_type=content_type,
            metadata=metadata,
            pre_signed=pre_signed,
            part_size=part_size,
            max_workers=max_workers,
            progress=progress,
            multipart_threshold=multipart_threshold,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def upload_folder(
        self,
        local_dir: str | PathLike[str],
        prefix: str = "",
        *,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        delete: bool = False,
        skip_unchanged: bool | Literal["sha256"] = True,
        max_workers: int = DEFAULT_FOLDER_WORKERS,
        pre_signed: bool | None = None,
        progress: bool | Callable[[ProgressEvent], None] | None = None,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TransferResult:
        """Upload every file under ``local_dir`` to ``prefix`` (a file's path below the folder
        becomes its path below the prefix), in parallel. Each object appears only when its
        upload succeeded; one file's failure does not stop the others (see the result's
        ``failed``). Unchanged files (same size and checksum) are not sent again.

        Args:
            local_dir: The folder to send.
            prefix: Where the files land on the branch (a '/' is added when missing).
            include: Glob patterns on the path below the folder: only matching files are transferred
                (None: all).
            exclude: Glob patterns on the path below the folder: matching files are left alone.
            delete: Mirror: delete objects under the prefix (passing the patterns) that have no
                local file, in batched deletes staged on the branch.
            skip_unchanged: Skip files whose size and checksum equal the object's ('sha256': and the
                SHA-256 stored with it; each file sent stores its own).
            max_workers: Files transferred at once.
            pre_signed: Upload straight to the object store (None: when the server supports it).
            progress: A progress bar: None shows one on a terminal, True always, False never (nor
                with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _folders.upload_folder(
            self,
            local_dir=local_dir,
            prefix=prefix,
            include=include,
            exclude=exclude,
            delete=delete,
            skip_unchanged=skip_unchanged,
            max_workers=max_workers,
            pre_signed=pre_signed,
            progress=progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def import_from(
        self,
        object_store_uri: str,
        destination: str,
        commit_message: str,
        metadata: dict[str, str] | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ImportManager:
        """Prepare an import of object-store data into this branch, as one commit (no request yet):
        add sources with .prefix() / .object(), then .run() (or .start() and .wait()).

        Args:
            object_store_uri: The prefix to import, e.g. s3://bucket/path/.
            destination: Where its objects land on the branch.
            commit_message: The import commit's message.
            metadata: The import commit's metadata.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _imports.import_from(
            self,
            object_store_uri=object_store_uri,
            destination=destination,
            commit_message=commit_message,
            metadata=metadata,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def transaction(
        self,
        commit_message: str,
        metadata: dict[str, str] | None = None,
        *,
        txn_id: Callable[[], str] | None = None,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> BranchTransaction:
        """A transaction: ``with branch.transaction("message") as tx:`` works on an ephemeral
        branch, committed and merged into this one only if the block succeeds.

        Args:
            commit_message: The transaction commit's message.
            metadata: The commit's metadata.
            txn_id: Makes the ephemeral branch's suffix (default: random).
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _transactions.transaction(
            self,
            commit_message=commit_message,
            metadata=metadata,
            txn_id=txn_id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def delete_objects(
        self,
        object_paths: str | Iterable[str],
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete one object or many (any iterable of paths; sent in batches of 1,000). Paths that
        do not exist are ignored; a path the server refuses raises.

        Args:
            object_paths: A path or paths to delete.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _objects.delete_objects(
            self, object_paths=object_paths, timeout=timeout, extra_headers=extra_headers
        )

    def copy_object(
        self,
        from_reference: str | Reference,
        from_path: str,
        to_path: str | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Copy an object on the server, from any reference into this branch.

        Args:
            from_reference: The reference to copy from.
            from_path: The object to copy.
            to_path: Where to write it (the same path when None).
        """
        validate.ref_or_resource(from_reference, "from_reference")
        validate.object_path(from_path, "from_path")
        data: wire.ObjectStats = self._request(
            ops.copy_object,
            self.repository_id,
            self.id,
            dest_path=from_path if to_path is None else to_path,
            body={
                "src_path": from_path,
                "src_ref": ref_id(from_reference),
                "force": False,
                "shallow": False,
            },
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return ObjectInfo.from_stats(self, data)
