"""Commits of a reference: the commit itself, its message and metadata, and log entries that
carry their commit (so reading them sends no request)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lakefs import _validation as validate
from lakefs._exceptions import ValidationError
from lakefs._generated import operations as ops
from lakefs._resource import CARRIED_COMMIT, ref_id
from lakefs._values import Commit
from lakefs.lib._at_reference import send_at

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = ["commit_message", "commit_reference", "get_commit", "log_entry", "metadata", "reverse"]

_COMMIT = CARRIED_COMMIT  # where a Reference keeps the commit it came with


def commit_reference(owner: Reference, item: Mapping[str, Any]) -> Reference:
    """A Reference to the commit ``item`` (lakeFS's ``Commit`` JSON), carrying it: what a log
    lists, and what ``commit_changes()`` and ``cherry_pick()`` return. ``get_commit()``,
    ``commit_message()`` and ``metadata()`` on it send no request, and its repr shows the
    commit's message."""
    from lakefs._generated.reference import Reference

    commit = Commit.from_json(owner, item)
    entry = Reference(owner.repository_id, commit.id, client=owner._client)
    setattr(entry, _COMMIT, commit)
    return entry


log_entry = commit_reference  # a log's entries are commit references


def get_commit(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Commit:
    """The commit this reference points to.

    A Reference that carries its commit (a log's entry, what ``commit_changes()`` and
    ``cherry_pick()`` return) answers at once; any other sends one request.

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        The Commit: id, parents, committer, message, creation date, metadata.

    Raises:
        NotFoundError: the repository or the reference does not exist.
    """
    known = getattr(reference, _COMMIT, None)
    if isinstance(known, Commit):
        return known
    data = send_at(reference, ops.get_commit, timeout=timeout, extra_headers=extra_headers)
    return Commit.from_json(reference, data)


def commit_message(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> str:
    """The message of the commit this reference points to (one that carries it: no request).

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        The commit's message.

    Raises:
        NotFoundError: the repository or the reference does not exist.
    """
    return get_commit(reference, timeout=timeout, extra_headers=extra_headers).message


def metadata(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The metadata of the commit this reference points to (one that carries it: no request).

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        The commit's key-value metadata (a copy: changing it changes nothing).

    Raises:
        NotFoundError: the repository or the reference does not exist.
    """
    return dict(get_commit(reference, timeout=timeout, extra_headers=extra_headers).metadata)


def reverse(
    branch: Branch,
    reference_id: str | Reference,
    parent_number: int = 0,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Reference:
    """Revert the changes of commit ``reference_id`` in a new commit on this branch.

    lakeFS answers a revert with no content, so the new commit is read as the branch's head
    right after (a commit made by someone else in between would be returned instead).

    Args:
        reference_id: The commit to revert.
        parent_number: For a merge commit, the parent (from 1) to revert relative to; 0 for
            a commit with one parent.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        A Reference to the new commit.

    Raises:
        ValidationError: ``reference_id`` is not a reference, or ``parent_number`` is not an
            int >= 0.
        ConflictError: the revert conflicts with the branch's changes.
        NotFoundError: the repository, the branch or the commit does not exist.
        BadRequestError: ``parent_number`` does not fit the commit (a merge commit needs one).
    """
    validate.ref_or_resource(reference_id, "reference_id")
    if isinstance(parent_number, bool) or not isinstance(parent_number, int) or parent_number < 0:
        raise ValidationError(f"parent_number must be an int >= 0, not {parent_number!r}")
    send_at(
        branch,
        ops.revert_branch,
        # lakefs_sdk's RevertCreation sends its defaults too: the same request either way
        body={
            "ref": ref_id(reference_id),
            "parent_number": parent_number,
            "force": False,
            "allow_empty": False,
        },
        timeout=timeout,
        extra_headers=extra_headers,
    )
    return branch.head(timeout=timeout, extra_headers=extra_headers)
