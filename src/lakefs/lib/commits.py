"""Commits of a reference: the commit itself, its message and metadata, and log entries that
carry their commit (so reading them sends no request)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lakefs import _validation as validate
from lakefs import _wire as wire
from lakefs._exceptions import ValidationError
from lakefs._generated import operations as ops
from lakefs._resource import ref_id
from lakefs._values import Commit

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = ["commit_message", "get_commit", "log_entry", "metadata", "reverse"]

_COMMIT = "_commit"  # where a log entry keeps the commit it came from


def log_entry(owner: Reference, item: Mapping[str, Any]) -> Reference:
    """A log entry: a Reference to the commit ``item``, carrying it."""
    from lakefs._generated.reference import Reference

    commit = Commit.from_json(owner, item)
    entry = Reference(owner.repository_id, commit.id, client=owner._client)
    setattr(entry, _COMMIT, commit)
    return entry


def get_commit(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Commit:
    """The commit this reference points to (a log entry already has it; no request then).

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
    """
    known = getattr(reference, _COMMIT, None)
    if isinstance(known, Commit):
        return known
    data = wire.send(
        reference.client,
        ops.get_commit,
        reference.repository_id,
        reference.id,
        timeout=timeout,
        extra_headers=extra_headers,
    )
    return Commit.from_json(reference, data)


def commit_message(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> str:
    """The message of the commit this reference points to (a log entry has it: no request).

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
    """
    return get_commit(reference, timeout=timeout, extra_headers=extra_headers).message


def metadata(
    reference: Reference,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The metadata of the commit this reference points to (a log entry has it: no request).

    Args:
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
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
        The new commit.
    """
    validate.ref_or_resource(reference_id, "reference_id")
    if isinstance(parent_number, bool) or not isinstance(parent_number, int) or parent_number < 0:
        raise ValidationError(f"parent_number must be an int >= 0, not {parent_number!r}")
    wire.send(
        branch.client,
        ops.revert_branch,
        branch.repository_id,
        branch.id,
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
