# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
# `name = _module.function` binds a function of lakefs.lib as the method: its signature and
# docstring are written there, once.
"""A lakeFS repository: branches, tags and commits over one storage namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakefs import _validation as validate
from lakefs._exceptions import ConflictError, NotFoundError
from lakefs._generated import operations as ops
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference
from lakefs._generated.tag import Tag
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource
from lakefs._values import RepositoryProperties
from lakefs.lib import repositories as _repositories

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lakefs._client import Client, RequestTimeout
    from lakefs._generated import schemas as wire

__all__ = ["Repository"]


class Repository(Resource):
    """A lakeFS repository: branches, tags and commits over one storage namespace."""

    def __init__(self, repository_id: str, client: Client | None = None) -> None:
        """Refer to a repository; no request is sent.

        Args:
            repository_id: The repository's name.
            client: The client to use; the default client when omitted.

        Raises:
            ValidationError: ``repository_id`` is malformed, or ``client`` is not a lakefs.Client.
        """
        validate.repository_id(repository_id, "repository_id")
        Resource.__init__(self, client)
        self.id = repository_id

    def create(
        self,
        storage_namespace: str,
        default_branch_id: str = "main",
        include_samples: bool = False,
        *,
        exist_ok: bool = False,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Repository:
        """Create the repository; returns it. An existing one is a ConflictError, unless
        ``exist_ok``: then it is returned as it is.

        Args:
            storage_namespace: Where its data lives, e.g. s3://bucket/prefix or local://name.
            default_branch_id: The name of its first branch.
            include_samples: Fill it with lakeFS's sample data.
            exist_ok: Return it as it is when it exists already (never moved).
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            This repository.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            ConflictError: The repository exists already (and ``exist_ok`` is False).
            BadRequestError: LakeFS refuses the storage namespace (one in use, or of another
                blockstore).

        Example:
            >>> new = lakefs.repository(repo.id + "-copy")
            >>> new.create(f"local://{new.id}", exist_ok=True).properties().default_branch
            'main'
            >>> new.delete()
        """
        validate.storage_namespace(storage_namespace, "storage_namespace")
        validate.branch_id(default_branch_id, "default_branch_id")
        try:
            self._request(
                ops.create_repository,
                body={
                    "name": self.id,
                    "storage_namespace": storage_namespace,
                    "default_branch": default_branch_id,
                    "sample_data": include_samples,
                    "read_only": False,
                },
                timeout=timeout,
                extra_headers=extra_headers,
            )
        except ConflictError:
            if not exist_ok:
                raise
        return self

    get_or_create = _repositories.get_or_create

    def exists(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the repository exists (one request).

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
                ops.get_repository,
                self.id,
                timeout=timeout,
                extra_headers=extra_headers,
            )
        except NotFoundError:
            return False
        return True

    def delete(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the repository (its data in the storage namespace is left in place).

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Raises:
            NotFoundError: The repository does not exist.
        """
        self._request(
            ops.delete_repository,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def branch(self, branch_id: str) -> Branch:
        """The branch named ``branch_id`` of this repository (no request is sent).

        Args:
            branch_id: The branch's name.

        Returns:
            The Branch (it may not exist yet; ``Branch.create`` creates it).

        Raises:
            ValidationError: ``branch_id`` is not a valid branch name.

        Example:
            >>> main = lakefs.repository(repo.id).branch("main")
            >>> main.exists()
            True
        """
        return Branch(self.id, branch_id, client=self._client)

    def commit(self, commit_id: str) -> Reference:
        """The commit ``commit_id`` of this repository, read-only (no request is sent).

        Args:
            commit_id: The commit's id (or a unique prefix of it).

        Returns:
            A read-only Reference to the commit.

        Raises:
            ValidationError: ``commit_id`` is not a valid reference.
        """
        return Reference(self.id, commit_id, client=self._client)

    def ref(self, reference_id: str) -> Reference:
        """Any reference (branch, tag, commit or expression such as ``main~1``), read-only.

        Args:
            reference_id: A branch, tag or commit id, or an expression such as ``main~1``.

        Returns:
            A read-only Reference.

        Raises:
            ValidationError: ``reference_id`` is not a valid reference.
        """
        return Reference(self.id, reference_id, client=self._client)

    def tag(self, tag_id: str) -> Tag:
        """The tag named ``tag_id`` of this repository (no request is sent).

        Args:
            tag_id: The tag's name.

        Returns:
            The Tag (it may not exist yet; ``Tag.create`` creates it).

        Raises:
            ValidationError: ``tag_id`` is not a valid tag name.

        Example:
            >>> repository = lakefs.repository(repo.id)
            >>> v1 = repository.tag("v1").create("main", exist_ok=True)
            >>> v1.get_commit().id == repository.branch("main").head().id
            True
        """
        return Tag(self.id, tag_id, client=self._client)

    def list_branches(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Branch]:
        """The repository's branches, by name.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of Branch: no request is sent until it is iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository does not exist (raised while iterating).
        """
        validate.text(after, "after")
        validate.text(prefix, "prefix")

        def fetch_page(cursor: str, amount: int) -> Page[Branch]:
            data: wire.RefList = self._request(
                ops.list_branches,
                self.id,
                prefix=prefix,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(
                data, [Branch(self.id, item["id"], client=self._client) for item in data["results"]]
            )

        return Paginator(
            fetch_page, max_amount=max_amount, after=after, lists=f"branches of {self.id!r}"
        )

    def list_tags(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Tag]:
        """The repository's tags, by name.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            A lazy Paginator of Tag: no request is sent until it is iterated, then one per page.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository does not exist (raised while iterating).
        """
        validate.text(after, "after")
        validate.text(prefix, "prefix")

        def fetch_page(cursor: str, amount: int) -> Page[Tag]:
            data: wire.RefList = self._request(
                ops.list_tags,
                self.id,
                prefix=prefix,
                after=cursor,
                amount=amount,
                timeout=timeout,
                extra_headers=extra_headers,
            )
            return self._page(
                data, [Tag(self.id, item["id"], client=self._client) for item in data["results"]]
            )

        return Paginator(
            fetch_page, max_amount=max_amount, after=after, lists=f"tags of {self.id!r}"
        )

    def properties(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> RepositoryProperties:
        """The repository's name, default branch, storage namespace and creation date.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            The RepositoryProperties.

        Raises:
            NotFoundError: The repository does not exist.
        """
        data: wire.Repository = self._request(
            ops.get_repository,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return RepositoryProperties.from_json(self, data)

    def metadata(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The repository's metadata.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            The metadata's keys and values (empty when it has none).

        Raises:
            NotFoundError: The repository does not exist.
        """
        data: wire.RepositoryMetadata = self._request(
            ops.get_repository_metadata,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return dict(data or {})
