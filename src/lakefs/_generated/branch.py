# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
# `name = _module.function` binds a function of lakefs.lib as the method: its signature and
# docstring are written there, once.
"""A branch: a reference that can be written to, committed and merged into."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from lakefs.lib.commits import commit_reference

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated import schemas as wire

__all__ = ["Branch"]


class Branch(Reference):
    """A branch: a reference that can be written to, committed and merged into."""

    def __init__(self, repository_id: str, branch_id: str, client: Client | None = None) -> None:
        """Refer to a branch; no request is sent.

        Args:
            repository_id: The repository's name.
            branch_id: The branch's name.
            client: The client to use; the default client when omitted.

        Raises:
            ValidationError: ``repository_id`` or ``branch_id`` is malformed, or ``client`` is not a
                lakefs.Client.
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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            This branch.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or ``source_reference_id`` does not exist.
            ConflictError: The branch exists already (and ``exist_ok`` is False).

        Example:
            >>> repository = lakefs.repository(repo.id)
            >>> dev = repository.branch("dev").create("main", exist_ok=True)
            >>> dev.head() == repository.branch("main").head()
            True
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
        """The commit the branch points to now.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A Reference to the branch's head commit (fixed, unlike the branch).

        Raises:
            NotFoundError: The repository or the branch does not exist.
        """
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
        """Whether the branch exists (one request).

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            True if it exists, False if lakeFS answers 404.

        Raises:
            APIStatusError: LakeFS refused the request (its subclass names the status).
        """
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
        """Commit the branch's uncommitted changes; returns the commit, which carries what lakeFS
        answered: ``get_commit()`` on it sends no request.

        Args:
            message: The commit message.
            metadata: Key-value metadata of the commit.
            allow_empty: Commit even when there are no changes.
            date: The commit's date (a datetime, naive taken as UTC, or Unix seconds).
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A Reference to the new commit, carrying it (id, message, metadata, date, parents).

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the branch does not exist.
            ConflictError: Resource Conflicts With Target.
            BadRequestError: There are no changes to commit (and ``allow_empty`` is False).
            PreconditionFailedError: A pre-commit hook refused the commit.

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> _ = main.upload(b"id\\n1\\n", "commits/data.csv")
            >>> commit = main.commit_changes("add data", metadata={"source": "example"})
            >>> commit.get_commit().message, commit.metadata()
            ('add data', {'source': 'example'})
        """
        validate.commit_message(message, "message")
        validate.commit_metadata(metadata, "metadata")
        date = validate.unix_seconds(date, "date")
        data: wire.Commit = self._request(
            ops.commit,
            self.repository_id,
            self.id,
            body={
                "message": message,
                "metadata": metadata,
                "allow_empty": allow_empty,
                "date": date,
                "force": False,
            },
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return commit_reference(self, data)

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the branch does not exist.
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

    reverse = _commits.reverse

    def cherry_pick(
        self,
        reference_id: str | Reference,
        parent_number: int | None = None,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Reference:
        """Apply the changes of commit ``reference_id`` to this branch as a new commit, which
        carries what lakeFS answered (``get_commit()`` on it sends no request).

        Args:
            reference_id: The commit to pick.
            parent_number: For a merge commit, the parent (from 1) to compare with.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A Reference to the new commit, carrying it.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository, the branch or the commit does not exist.
            ConflictError: The changes conflict with the branch's.
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
        return commit_reference(self, data)

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the branch does not exist.
            ObjectNotFoundError: No object at ``path`` (also a ``FileNotFoundError``).
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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of Change: no request is sent until it is iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or the branch does not exist (raised while iterating).
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

        return Paginator(
            fetch_page,
            max_amount=max_amount,
            after=after,
            lists=f"uncommitted changes of {self.repository_id!r} on {self.id!r} under {prefix!r}",
        )

    def delete(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the branch (its commits stay reachable from other references).

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Raises:
            NotFoundError: The repository or the branch does not exist.
        """
        self._request(
            ops.delete_branch,
            self.repository_id,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    upload = _objects.upload

    open = _writer.open

    upload_file = _writer.upload_file

    upload_folder = _folders.upload_folder

    import_from = _imports.import_from

    transaction = _transactions.transaction

    delete_objects = _objects.delete_objects

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
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            The copy's ObjectInfo.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository, the branch or ``from_reference`` does not exist.
            ObjectNotFoundError: No object at ``from_path`` in ``from_reference``.
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
