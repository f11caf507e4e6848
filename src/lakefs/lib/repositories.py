"""Repository helpers: ``get_or_create`` and ``list_repositories``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lakefs import _wire as wire
from lakefs._client import Client, RequestTimeout
from lakefs._exceptions import ConflictError
from lakefs._generated import operations as ops
from lakefs._pagination import Page, Paginator
from lakefs._resource import Resource

if TYPE_CHECKING:
    from lakefs._generated.repository import Repository

__all__ = ["get_or_create", "list_repositories"]


def get_or_create(
    repository: Repository,
    storage_namespace: str,
    default_branch_id: str = "main",
    include_samples: bool = False,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Repository:
    """The repository, created if it does not exist yet (idempotent).

    An existing repository is returned as it is, whatever its namespace; a conflict for another
    reason (say, the namespace is another repository's) is raised.

    Args:
        storage_namespace: Where its data lives when created.
        default_branch_id: Its first branch, when created.
        include_samples: Fill it with lakeFS's sample data, when created.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        This repository.

    Raises:
        ValidationError: a malformed storage namespace or branch name (before any request).
        ConflictError: it could not be created for another reason than existing (say, the
            namespace is another repository's).
        BadRequestError: lakeFS refuses the storage namespace.
    """
    options: dict[str, Any] = {"timeout": timeout, "extra_headers": extra_headers}
    try:
        return repository.create(storage_namespace, default_branch_id, include_samples, **options)
    except ConflictError:
        if not repository.exists(**options):  # a 409 for another reason (namespace taken)
            raise
        return repository


def list_repositories(
    max_amount: int | None = None,
    after: str = "",
    prefix: str = "",
    client: Client | None = None,
) -> Paginator[Repository]:
    """The repositories on the server, by name.

    Args:
        max_amount: the most repositories to yield (None for all).
        after: start after this name.
        prefix: only names starting with this.
        client: the client to use; the default client when omitted.

    Returns:
        A lazy Paginator of Repository: no request is sent until it is iterated, then one
        per page.

    Raises:
        ValidationError: a bad ``max_amount``, ``after``, ``prefix`` or ``client``.
    """
    from lakefs._generated.repository import Repository

    owner = Resource(client)

    def fetch_page(cursor: str, amount: int) -> Page[Repository]:
        data = wire.send(
            owner.client, ops.list_repositories, prefix=prefix, after=cursor, amount=amount
        )
        return owner._page(
            data, [Repository(item["id"], client=client) for item in data["results"]]
        )

    lists = f"repositories under {prefix!r}" if prefix else "repositories"
    return Paginator(fetch_page, max_amount=max_amount, after=after, lists=lists)
