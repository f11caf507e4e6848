# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""A tag: a fixed, named reference to a commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakefs import _validation as validate
from lakefs._exceptions import ConflictError, NotFoundError
from lakefs._generated import operations as ops
from lakefs._generated.reference import Reference
from lakefs._resource import Resource, ref_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lakefs._client import Client, RequestTimeout

__all__ = ["Tag"]


class Tag(Reference):
    """A tag: a fixed, named reference to a commit."""

    def __init__(self, repository_id: str, tag_id: str, client: Client | None = None) -> None:
        """Refer to a tag; no request is sent.

        Args:
            repository_id: The repository's name.
            tag_id: The tag's name.
            client: The client to use; the default client when omitted.

        Raises:
            ValidationError: ``repository_id`` or ``tag_id`` is malformed, or ``client`` is not a
                lakefs.Client.
        """
        validate.repository_id(repository_id, "repository_id")
        validate.tag_id(tag_id, "tag_id")
        Resource.__init__(self, client)
        self.repository_id = repository_id
        self.id = tag_id

    def create(
        self,
        source_ref: str | Reference,
        *,
        exist_ok: bool = False,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Tag:
        """Create the tag, pointing at ``source_ref``; returns it. An existing tag is a
        ConflictError, unless ``exist_ok``: then it is returned as it is (never moved).

        Args:
            source_ref: The commit, branch or tag to point at.
            exist_ok: Return it as it is when it exists already (never moved).
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Returns:
            This tag.

        Raises:
            ValidationError: An argument is malformed (raised before any request is sent).
            NotFoundError: The repository or ``source_ref`` does not exist.
            ConflictError: The tag exists already (and ``exist_ok`` is False).
        """
        validate.ref_or_resource(source_ref, "source_ref")
        try:
            self._request(
                ops.create_tag,
                self.repository_id,
                body={"id": self.id, "ref": ref_id(source_ref), "force": False},
                timeout=timeout,
                extra_headers=extra_headers,
            )
        except ConflictError:
            if not exist_ok:
                raise
        return self

    def exists(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the tag exists (one request).

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
                ops.get_tag,
                self.repository_id,
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
        """Delete the tag.

        Args:
            timeout: Each request's timeout (None: the client's).
            extra_headers: Headers added to each request sent to lakeFS.

        Raises:
            NotFoundError: The repository or the tag does not exist.
        """
        self._request(
            ops.delete_tag,
            self.repository_id,
            self.id,
            timeout=timeout,
            extra_headers=extra_headers,
        )
