# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""A read-only reference in a repository: a commit, a tag, a branch or an expression such as
``main~2``. It has no write methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from lakefs import _validation as validate
from lakefs._generated import operations as ops
from lakefs._objects import Change, ObjectInfo, object_entries
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource, ref_id
from lakefs.lib import commits as _commits
from lakefs.lib import folders as _folders
from lakefs.lib import objects as _objects
from lakefs.lib import reader as _reader
from lakefs.lib.commits import log_entry
from lakefs.lib.folders import DEFAULT_FOLDER_WORKERS
from lakefs.lib.reader import DEFAULT_BLOCK_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime
    from io import TextIOWrapper
    from os import PathLike
    from pathlib import Path
    from typing import Literal

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated import schemas as wire
    from lakefs._generated.branch import Branch
    from lakefs._objects import CommonPrefix
    from lakefs._values import Commit
    from lakefs.lib.folders import TransferResult
    from lakefs.lib.progress import ProgressEvent
    from lakefs.lib.reader import ObjectReader

__all__ = ["Reference"]


class Reference(Resource):
    """A read-only reference in a repository: a commit, a tag, a branch or an expression such as
    ``main~2``. It has no write methods.
    """

    def __init__(self, repository_id: str, reference_id: str, client: Client | None = None) -> None:
        """Refer to a reference; no request is sent.

        Args:
            repository_id: The repository's name.
            reference_id: The commit id or reference.
            client: The client to use; the default client when omitted.
        """
        validate.repository_id(repository_id, "repository_id")
        validate.ref_id(reference_id, "reference_id")
        Resource.__init__(self, client)
        self.repository_id = repository_id
        self.id = reference_id

    def list_objects(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "/",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[ObjectInfo | CommonPrefix]:
        """List objects, and with a delimiter the common prefixes ("directories") below it.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
            delimiter: Delimiter used to group common prefixes by.
        """
        validate.text(after, "after")
        validate.text(prefix, "prefix")
        validate.text(delimiter, "delimiter")

        def fetch_page(cursor: str, amount: int) -> Page[ObjectInfo | CommonPrefix]:
            data: wire.ObjectStatsList = self._request(
                ops.list_objects,
                self.repository_id,
                self.id,
                prefix=prefix,
                delimiter=delimiter,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(data, object_entries(self, data["results"]))

        return Paginator(fetch_page, max_amount=max_amount, after=after)

    def stat_object(
        self,
        path: str,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """The object's metadata.

        Args:
            path: The object's path.
        """
        validate.object_path(path, "path")
        data: wire.ObjectStats = self._request(
            ops.stat_object,
            self.repository_id,
            self.id,
            path=path,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return ObjectInfo.from_stats(self, data)

    def download(
        self,
        path: str,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The object's whole content (``open()`` reads large objects in bounded memory).

        Args:
            path: The object's path.
        """
        validate.object_path(path, "path")
        data = self._request(
            ops.get_object,
            self.repository_id,
            self.id,
            path=path,
            timeout=timeout,
            extra_headers=extra_headers,
            raw=True,
        )
        return bytes(data)

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
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectReader: ...

    @overload
    def open(
        self,
        path: str,
        mode: Literal["r"] = "r",
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TextIOWrapper: ...

    def open(
        self,
        path: str,
        mode: Literal["r", "rb"] = "r",
        pre_signed: bool | None = None,
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        newline: str | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectReader | TextIOWrapper:
        """Open an object for reading, as a binary file ("rb") or a text file ("r"). Data arrives
        by ranged requests behind a read-ahead buffer, so memory stays bounded whatever the
        object's size; a missing object raises FileNotFoundError here.

        Args:
            path: The object's path.
            mode: "rb" for bytes, "r" for text.
            pre_signed: Read straight from the object store (None: when the server supports it).
            encoding: Text mode's encoding.
            errors: Text mode's decoding errors.
            newline: Text mode's newline handling.
            block_size: The largest read-ahead request, in bytes.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _reader.open_reader(
            self,
            path=path,
            mode=mode,
            pre_signed=pre_signed,
            encoding=encoding,
            errors=errors,
            newline=newline,
            block_size=block_size,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def download_file(
        self,
        path: str,
        local_path: str | PathLike[str],
        pre_signed: bool | None = None,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        max_workers: int | None = None,
        progress: bool | Callable[[ProgressEvent], None] | None = None,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Path:
        """Stream an object to a local file, written under a temporary name and renamed when
        complete (so a failure never leaves a partial file).

        Args:
            path: The object's path.
            local_path: The file to write.
            pre_signed: Read straight from the object store (None: when the server supports it).
            block_size: The largest request, in bytes.
            max_workers: Ranged GETs in flight at once for a large object (None: chosen from its
                size and the server; 1 reads it as one stream).
            progress: A progress bar: None shows one on a terminal, True always, False never (nor
                with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _reader.download_file(
            self,
            path=path,
            local_path=local_path,
            pre_signed=pre_signed,
            block_size=block_size,
            max_workers=max_workers,
            progress=progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def download_folder(
        self,
        prefix: str,
        local_dir: str | PathLike[str],
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
        """Download every object under ``prefix`` into ``local_dir`` (its path below the prefix
        becomes the file's path), in parallel. Each file lands under a temporary name and is
        renamed when complete; one file's failure does not stop the others (see the result's
        ``failed``). Unchanged files (same size and checksum) are not downloaded again.

        Args:
            prefix: The objects' prefix ("" for the whole reference).
            local_dir: The folder to write into (created).
            include: Glob patterns on the path below the prefix: only matching objects are
                transferred (None: all).
            exclude: Glob patterns on the path below the prefix: matching objects are left alone.
            delete: Mirror: remove local files (passing the patterns) that have no object.
            skip_unchanged: Skip files whose size and checksum equal the object's ('sha256': and the
                SHA-256 stored by uploads in that mode, else downloaded).
            max_workers: Files transferred at once.
            pre_signed: Read straight from the object store (None: when the server supports it).
            progress: A progress bar: None shows one on a terminal, True always, False never (nor
                with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _folders.download_folder(
            self,
            prefix=prefix,
            local_dir=local_dir,
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

    def log(
        self,
        max_amount: int | None = None,
        *,
        objects: list[str] | None = None,
        prefixes: list[str] | None = None,
        since: datetime | None = None,
        first_parent: bool = False,
        stop_at: str | Reference | None = None,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Reference]:
        """The commits reachable from this reference, newest first. Each is a Reference that
        carries its commit: ``get_commit()``, ``commit_message()`` and ``metadata()`` on it send
        no request.

        Args:
            max_amount: The most items to yield (None for all).
            objects: Only commits that change one of these objects.
            prefixes: Only commits that change something under one of these prefixes.
            since: Only commits made after this time (a naive datetime is taken as UTC).
            first_parent: Follow only the first parent of merge commits.
            stop_at: Stop at this commit (it is the last one listed).
        """
        validate.optional_paths(objects, "objects")
        validate.optional_paths(prefixes, "prefixes")
        validate.utc(since, "since")
        validate.optional_ref(stop_at, "stop_at")

        def fetch_page(cursor: str, amount: int) -> Page[Reference]:
            data: wire.CommitList = self._request(
                ops.log_commits,
                self.repository_id,
                self.id,
                objects=objects,
                prefixes=prefixes,
                since=validate.utc(since, "since"),
                first_parent=first_parent or None,
                stop_at=None if stop_at is None else ref_id(stop_at),
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(data, [log_entry(self, item) for item in data["results"]])

        return Paginator(fetch_page, max_amount=max_amount, after="")

    def get_commit(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Commit:
        """The commit this reference points to (a log entry already has it; no request then).

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _commits.get_commit(self, timeout=timeout, extra_headers=extra_headers)

    def metadata(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The metadata of the commit this reference points to.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _commits.metadata(self, timeout=timeout, extra_headers=extra_headers)

    def commit_message(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """The message of the commit this reference points to.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        return _commits.commit_message(self, timeout=timeout, extra_headers=extra_headers)

    def find_merge_base(
        self,
        destination_branch: str | Reference,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """The best common ancestor of this reference and ``destination_branch``.

        Args:
            destination_branch: The other side (a branch or any reference).
        """
        validate.ref_or_resource(destination_branch, "destination_branch")
        data: wire.FindMergeBaseResult = self._request(
            ops.find_merge_base,
            self.repository_id,
            self.id,
            ref_id(destination_branch),
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["base_commit_id"], client=self._client)

    def presigned_url(
        self,
        path: str,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """A URL from which anyone can GET the object, without credentials, until it expires (the
        server's pre-signed URL lifetime). PresignNotSupportedError when the server's blockstore
        cannot pre-sign.

        Args:
            path: The object's path.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.
        """
        validate.object_path(path, "path")
        return _objects.presigned_url(self, path=path, timeout=timeout, extra_headers=extra_headers)

    def diff(
        self,
        other_ref: str | Reference,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "/",
        diff_type: str = "two_dot",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Change]:
        """What changes going from this reference to ``other_ref`` (``a.diff(b)`` lists what b
        adds, removes and changes relative to a).

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            other_ref: The reference to compare with.
            prefix: Return items prefixed with this value.
            delimiter: Delimiter used to group common prefixes by.
            diff_type: 'two_dot': what changes from this reference to the other; 'three_dot': what
                the other changed since their merge base (what a merge would apply).
        """
        validate.ref_or_resource(other_ref, "other_ref")
        validate.text(after, "after")
        validate.text(prefix, "prefix")
        validate.text(delimiter, "delimiter")
        validate.diff_type(diff_type, "diff_type")

        def fetch_page(cursor: str, amount: int) -> Page[Change]:
            data: wire.DiffList = self._request(
                ops.diff_refs,
                self.repository_id,
                self.id,
                ref_id(other_ref),
                type=diff_type,
                prefix=prefix,
                delimiter=delimiter,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(data, [Change.from_diff(self, item) for item in data["results"]])

        return Paginator(fetch_page, max_amount=max_amount, after=after)

    def merge_into(
        self,
        destination_branch: str | Branch,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
        strategy: str | None = None,
        *,
        squash: bool = False,
        force: bool = False,
        allow_empty: bool = False,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Merge this reference into ``destination_branch``; returns the merge commit.

        Args:
            destination_branch: The branch to merge into.
            message: The merge commit's message.
            metadata: The merge commit's metadata.
            strategy: On conflicts: None fails, 'dest-wins' or 'source-wins' pick a side.
            squash: Merge as one commit with a single parent (a squash merge).
            force: Merge even into a protected branch.
            allow_empty: Make the merge commit even when there is nothing to merge.
        """
        validate.ref_or_resource(destination_branch, "destination_branch")
        validate.optional_text(message, "message")
        validate.commit_metadata(metadata, "metadata")
        validate.merge_strategy(strategy, "strategy")
        data: wire.MergeResult = self._request(
            ops.merge_into_branch,
            self.repository_id,
            self.id,
            ref_id(destination_branch),
            body={
                "message": message,
                "metadata": metadata,
                "strategy": strategy,
                "squash_merge": squash,
                "force": force,
                "allow_empty": allow_empty,
            },
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["reference"], client=self._client)
