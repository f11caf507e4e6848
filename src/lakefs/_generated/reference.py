# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
# `name = _module.function` binds a function of lakefs.lib as the method: its signature and
# docstring are written there, once.
"""A read-only reference in a repository: a commit, a tag, a branch or an expression such as
``main~2``. It has no write methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakefs import _validation as validate
from lakefs._generated import operations as ops
from lakefs._objects import Change, ObjectInfo, object_entries
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource, ref_id
from lakefs.lib import _io_download as _io_download
from lakefs.lib import commits as _commits
from lakefs.lib import folders as _folders
from lakefs.lib import objects as _objects
from lakefs.lib import reader as _reader
from lakefs.lib.commits import log_entry

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated import schemas as wire
    from lakefs._generated.branch import Branch
    from lakefs._objects import CommonPrefix

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

        Raises:
            ValidationError: ``repository_id`` or ``reference_id`` is malformed, or ``client`` is
                not a lakefs.Client.
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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of ObjectInfo (an object) and CommonPrefix (a "directory", with a
            delimiter) in path order: no request is sent until it is iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the reference does not exist (raised while iterating).

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> _ = main.upload(b"id\\n1\\n", "data/a.csv")
            >>> _ = main.upload(b"id\\n2\\n", "data/sub/b.csv")
            >>> [entry.path for entry in main.list_objects(prefix="data/")]
            ['data/a.csv', 'data/sub/']
            >>> [entry.path for entry in main.list_objects(prefix="data/", delimiter="")]
            ['data/a.csv', 'data/sub/b.csv']
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

        return Paginator(
            fetch_page,
            max_amount=max_amount,
            after=after,
            lists=f"objects of {self.repository_id!r} at {self.id!r} under {prefix!r}",
        )

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            The object's ObjectInfo (size, checksum, modification time, metadata...).

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the reference does not exist.
            ObjectNotFoundError: No object at ``path`` (also a ``FileNotFoundError``).

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> _ = main.upload(b"0123456789", "stats/data.bin", metadata={"kind": "digits"})
            >>> info = main.stat_object("stats/data.bin")
            >>> info.path, info.size_bytes(), info.metadata()
            ('stats/data.bin', 10, {'kind': 'digits'})
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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            The object's bytes.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the reference does not exist.
            ObjectNotFoundError: No object at ``path`` (also a ``FileNotFoundError``).
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

    open = _reader.open

    download_file = _io_download.download_file

    download_folder = _folders.download_folder

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of References that carry their commit: no request is sent until it is
            iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the reference does not exist (raised while iterating).

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> _ = main.upload(b"one", "log/one.txt")
            >>> _ = main.commit_changes("add one")
            >>> _ = main.upload(b"two", "log/two.txt")
            >>> _ = main.commit_changes("add two")
            >>> [c.commit_message() for c in main.log(max_amount=2)]
            ['add two', 'add one']
            >>> [c.commit_message() for c in main.log(objects=["log/one.txt"])]
            ['add one']
        """
        validate.optional_paths(objects, "objects")
        validate.optional_paths(prefixes, "prefixes")
        since = validate.utc(since, "since")
        validate.optional_ref(stop_at, "stop_at")

        def fetch_page(cursor: str, amount: int) -> Page[Reference]:
            data: wire.CommitList = self._request(
                ops.log_commits,
                self.repository_id,
                self.id,
                objects=objects,
                prefixes=prefixes,
                since=since,
                first_parent=first_parent or None,
                stop_at=None if stop_at is None else ref_id(stop_at),
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(data, [log_entry(self, item) for item in data["results"]])

        return Paginator(
            fetch_page,
            max_amount=max_amount,
            after="",
            lists=f"commits of {self.repository_id!r} from {self.id!r}",
        )

    get_commit = _commits.get_commit

    metadata = _commits.metadata

    commit_message = _commits.commit_message

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A Reference to the merge base commit.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or either reference does not exist.
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

    presigned_url = _objects.presigned_url

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
            other_ref: The reference to compare with.
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
            delimiter: Delimiter used to group common prefixes by.
            diff_type: 'two_dot': what changes from this reference to the other; 'three_dot': what
                the other changed since their merge base (what a merge would apply).
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of Change (its ``type``: added, removed, changed, or prefix with a
            delimiter): no request is sent until it is iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or either reference does not exist (raised while
                iterating).

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> before = main.head()
            >>> _ = main.upload(b"new", "diff/new.txt")
            >>> after = main.commit_changes("add new.txt")
            >>> [(change.type, change.path) for change in before.diff(after, prefix="diff/")]
            [('added', 'diff/new.txt')]
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

        return Paginator(
            fetch_page,
            max_amount=max_amount,
            after=after,
            lists=f"changes between {self.id!r} and {ref_id(other_ref)!r}",
        )

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
        """Merge this reference into ``destination_branch``; returns the merge commit (lakeFS
        answers its id only: ``get_commit()`` on it sends a request).

        Args:
            destination_branch: The branch to merge into.
            message: The merge commit's message.
            metadata: The merge commit's metadata.
            strategy: On conflicts: None fails, 'dest-wins' or 'source-wins' pick a side.
            squash: Merge as one commit with a single parent (a squash merge).
            force: Merge even into a protected branch.
            allow_empty: Make the merge commit even when there is nothing to merge.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A Reference to the merge commit.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository, this reference or the destination does not exist.
            ConflictError: The two sides change the same objects (and no ``strategy`` picks one).
            BadRequestError: There is nothing to merge (and ``allow_empty`` is False).

        Example:
            >>> repository = lakefs.repository(repo.id)
            >>> work = repository.branch("work").create("main", exist_ok=True)
            >>> _ = work.upload(b"id\\n1\\n", "merge/result.csv")
            >>> _ = work.commit_changes("compute the result")
            >>> merge = work.merge_into("main", message="publish the result")
            >>> repository.branch("main").head() == merge
            True
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
