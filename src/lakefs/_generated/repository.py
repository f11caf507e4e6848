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
        """Whether the repository exists (one request)."""
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
        """Delete the repository (its data in the storage namespace is left in place)."""
        self._request(
            ops.delete_repository,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def branch(self, branch_id: str) -> Branch:
        """The branch named ``branch_id`` of this repository (no request is sent)."""
        return Branch(self.id, branch_id, client=self._client)

    def commit(self, commit_id: str) -> Reference:
        """The commit ``commit_id`` of this repository, read-only (no request is sent)."""
        return Reference(self.id, commit_id, client=self._client)

    def ref(self, reference_id: str) -> Reference:
        """Any reference (branch, tag, commit or expression such as ``main~1``), read-only."""
        return Reference(self.id, reference_id, client=self._client)

    def tag(self, tag_id: str) -> Tag:
        """The tag named ``tag_id`` of this repository (no request is sent)."""
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
        """List branches.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
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

        return Paginator(fetch_page, max_amount=max_amount, after=after)

    def list_tags(
        self,
        max_amount: int | None = None,
        after: str = "",
        prefix: str = "",
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Tag]:
        """List tags.

        Args:
            max_amount: The most items to yield (None for all).
            after: Start after this value.
            prefix: Return items prefixed with this value.
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

        return Paginator(fetch_page, max_amount=max_amount, after=after)

    def properties(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> RepositoryProperties:
        """The repository's name, default branch, storage namespace and creation date."""
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
        """The repository's metadata."""
        data: wire.RepositoryMetadata = self._request(
            ops.get_repository_metadata,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return dict(data or {})
