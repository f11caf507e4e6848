# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""A read-only reference in a repository: a commit, a tag, a branch or an expression such as
``main~2``. It has no write methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from lakefs_sdk.api.commits_api import CommitsApi
from lakefs_sdk.api.objects_api import ObjectsApi
from lakefs_sdk.api.refs_api import RefsApi
from lakefs_sdk.models.merge import Merge

from lakefs import _validation as validate
from lakefs._objects import Change, ObjectInfo, object_entries
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource, ref_id
from lakefs.lib import reader as _reader

if TYPE_CHECKING:
    from collections.abc import Mapping
    from io import TextIOWrapper
    from os import PathLike
    from pathlib import Path
    from typing import Literal

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._objects import CommonPrefix
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
            data = self._call(
                ObjectsApi(self._sdk).list_objects_with_http_info,
                repository=self.repository_id,
                ref=self.id,
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
        data = self._call(
            ObjectsApi(self._sdk).stat_object_with_http_info,
            repository=self.repository_id,
            ref=self.id,
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
        data = self._call(
            ObjectsApi(self._sdk).get_object_with_http_info,
            repository=self.repository_id,
            ref=self.id,
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
        block_size: int = 8388608,
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
        block_size: int = 8388608,
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
        block_size: int = 8388608,
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
        )

    def download_file(
        self,
        path: str,
        local_path: str | PathLike[str],
        pre_signed: bool | None = None,
        *,
        block_size: int = 8388608,
    ) -> Path:
        """Stream an object to a local file, written under a temporary name and renamed when
        complete (so a failure never leaves a partial file).

        Args:
            path: The object's path.
            local_path: The file to write.
            pre_signed: Read straight from the object store (None: when the server supports it).
            block_size: The largest request, in bytes.
        """
        return _reader.download_file(
            self, path=path, local_path=local_path, pre_signed=pre_signed, block_size=block_size
        )

    def log(
        self,
        max_amount: int | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Reference]:
        """The commits reachable from this reference, newest first.

        Args:
            max_amount: The most items to yield (None for all).
        """

        def fetch_page(cursor: str, amount: int) -> Page[Reference]:
            data = self._call(
                RefsApi(self._sdk).log_commits_with_http_info,
                repository=self.repository_id,
                ref=self.id,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(
                data,
                [
                    Reference(self.repository_id, item["id"], client=self._client)
                    for item in data["results"]
                ],
            )

        return Paginator(fetch_page, max_amount=max_amount, after="")

    def metadata(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The metadata of the commit this reference points to."""
        data = self._call(
            CommitsApi(self._sdk).get_commit_with_http_info,
            repository=self.repository_id,
            commit_id=self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return dict(data.get("metadata") or {})

    def commit_message(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """The message of the commit this reference points to."""
        data = self._call(
            CommitsApi(self._sdk).get_commit_with_http_info,
            repository=self.repository_id,
            commit_id=self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return str(data["message"])

    def diff(
        self,
        other_ref: str | Reference,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        delimiter: str = "/",
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
        """
        validate.ref_or_resource(other_ref, "other_ref")
        validate.text(after, "after")
        validate.text(prefix, "prefix")
        validate.text(delimiter, "delimiter")

        def fetch_page(cursor: str, amount: int) -> Page[Change]:
            data = self._call(
                RefsApi(self._sdk).diff_refs_with_http_info,
                repository=self.repository_id,
                left_ref=self.id,
                right_ref=ref_id(other_ref),
                type="two_dot",
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
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Merge this reference into ``destination_branch``; returns the merge commit.

        Args:
            destination_branch: The branch to merge into.
            message: The merge commit's message.
            metadata: The merge commit's metadata.
            strategy: On conflicts: None fails, 'dest-wins' or 'source-wins' pick a side.
        """
        validate.ref_or_resource(destination_branch, "destination_branch")
        validate.optional_text(message, "message")
        validate.commit_metadata(metadata, "metadata")
        validate.merge_strategy(strategy, "strategy")
        data = self._call(
            RefsApi(self._sdk).merge_into_branch_with_http_info,
            repository=self.repository_id,
            source_ref=self.id,
            destination_branch=ref_id(destination_branch),
            merge=Merge.from_dict({"message": message, "metadata": metadata, "strategy": strategy}),
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return Reference(self.repository_id, data["reference"], client=self._client)
