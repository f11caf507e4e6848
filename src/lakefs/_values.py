"""Frozen values read from lakeFS: a commit, a repository's properties."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from lakefs._exceptions import APIResponseError

__all__ = ["Commit", "RepositoryProperties", "utc_from_unix"]


def utc_from_unix(value: object, what: str) -> datetime.datetime:
    """A timezone-aware UTC datetime from Unix seconds in an answer.

    Args:
        value: the seconds since the epoch, as the answer holds them.
        what: what the time is, for the message.

    Returns:
        The time, in UTC.

    Raises:
        APIResponseError: ``value`` is not a number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise APIResponseError(f"the answer's {what} is not a time: {value!r}")
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)


def _text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise APIResponseError(f"the answer's {what} has no {key!r}")
    return value


V = TypeVar("V", bound="_Read")


class _Read:
    """A value read from one JSON object of lakeFS's answers (``_parse`` reads its fields)."""

    _JSON: ClassVar[str]  # what the answer holds, for the error: "commit", "repository"

    @classmethod
    def from_json(cls: type[V], owner: object, data: Mapping[str, Any]) -> V:
        """The value from lakeFS's JSON for it (``Commit`` for a Commit, ``Repository`` for
        RepositoryProperties).

        Args:
            owner: unused (a value stands alone).
            data: the JSON object.

        Returns:
            The value.

        Raises:
            APIResponseError: ``data`` is not such an object: not an object, a field missing or
                malformed, or a date that is not a time.
        """
        del owner
        if not isinstance(data, Mapping):
            raise APIResponseError(f"the answer is not a {cls._JSON}")
        return cls._parse(data)

    @classmethod
    def _parse(cls: type[V], data: Mapping[str, Any]) -> V:
        raise NotImplementedError


@dataclass(frozen=True)
class Commit(_Read):
    """A commit, as lakeFS stores it.

    A log (``log()``, a paginator of references carrying their commits) shows as a table of
    commits in a notebook.

    Attributes:
        id: the commit id.
        parents: the parent commit ids (two for a merge; none for the first commit).
        committer: who made it.
        message: its message.
        creation_date: when it was made (timezone-aware, UTC).
        metadata: its key-value metadata.
        meta_range_id: the id of the metarange that holds its content.
    """

    id: str
    parents: tuple[str, ...]
    committer: str
    message: str
    creation_date: datetime.datetime
    metadata: dict[str, str] = field(default_factory=dict, hash=False)
    meta_range_id: str = ""

    _JSON: ClassVar[str] = "commit"

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> Commit:
        parents = data.get("parents") or []
        metadata = data.get("metadata") or {}
        if not isinstance(parents, list) or not isinstance(metadata, dict):
            raise APIResponseError("the answer's commit has malformed parents or metadata")
        return cls(
            id=_text(data, "id", "commit"),
            parents=tuple(str(p) for p in parents),
            committer=str(data.get("committer") or ""),
            message=str(data.get("message") or ""),
            creation_date=utc_from_unix(data.get("creation_date"), "commit date"),
            metadata={str(k): str(v) for k, v in metadata.items()},
            meta_range_id=str(data.get("meta_range_id") or ""),
        )


@dataclass(frozen=True)
class RepositoryProperties(_Read):
    """What a repository is: its name, first branch, storage namespace and creation date.

    Attributes:
        id: the repository's name.
        default_branch: the name of its default branch.
        storage_namespace: where its data lives (``s3://bucket/prefix``, ``local://...``).
        creation_date: when it was created (timezone-aware, UTC).
    """

    id: str
    default_branch: str
    storage_namespace: str
    creation_date: datetime.datetime

    _JSON: ClassVar[str] = "repository"

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> RepositoryProperties:
        return cls(
            id=_text(data, "id", "repository"),
            default_branch=_text(data, "default_branch", "repository"),
            storage_namespace=_text(data, "storage_namespace", "repository"),
            creation_date=utc_from_unix(data.get("creation_date"), "repository date"),
        )
