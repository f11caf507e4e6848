"""Argument checks run before any request is sent; each raises ``ValidationError`` naming the
argument and its value."""

from __future__ import annotations

import re

from lakefs._exceptions import ValidationError

__all__ = [
    "branch_id",
    "commit_message",
    "merge_strategy",
    "object_path",
    "ref_id",
    "ref_or_resource",
    "repository_id",
    "storage_namespace",
    "tag_id",
]

_REPOSITORY = re.compile(r"[a-z0-9][a-z0-9-]{2,62}")
_BRANCH = re.compile(r"\w[-\w]*")
_NAMESPACE = re.compile(r"(s3|gs|https?|mem|local|transient|azure|abfss?)://.+")
_TAG_FORBIDDEN = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|^[-/.]|[/.]$|\.lock$|//")
_STRATEGIES = ("dest-wins", "source-wins")


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a str, not {type(value).__name__} ({value!r})")
    return value


def repository_id(value: object, name: str) -> None:
    """3-63 lowercase letters, digits and dashes, starting with a letter or digit."""
    if not _REPOSITORY.fullmatch(_str(value, name)):
        raise ValidationError(
            f"{name} {value!r} is not a valid repository name: 3 to 63 characters of a-z, 0-9 "
            "and '-', starting with a letter or a digit"
        )


def branch_id(value: object, name: str) -> None:
    """Letters, digits, underscores and dashes, not starting with a dash."""
    if not _BRANCH.fullmatch(_str(value, name)):
        raise ValidationError(
            f"{name} {value!r} is not a valid branch name: letters, digits, '_' and '-', not "
            "starting with '-' (no '/' or '.')"
        )


def tag_id(value: object, name: str) -> None:
    """A git-like name: no spaces, control characters, ``~^:?*[\\``, ``..`` or ``@{``."""
    text = _str(value, name)
    if not text or _TAG_FORBIDDEN.search(text):
        raise ValidationError(f"{name} {value!r} is not a valid tag name")


def ref_id(value: object, name: str) -> None:
    """A non-empty reference: a commit id, branch, tag or expression such as ``main~1``."""
    if not _str(value, name) or any(c.isspace() for c in str(value)):
        raise ValidationError(f"{name} {value!r} is not a valid reference")


def ref_or_resource(value: object, name: str) -> None:
    """A reference given as a string, or a Reference/Branch/Tag."""
    from lakefs._resource import ref_id as resolve

    ref_id(resolve(value) if not isinstance(value, str) else value, name)


def storage_namespace(value: object, name: str) -> None:
    """A URI the server's blockstore understands: ``s3://``, ``gs://``, ``local://`` ..."""
    if not _NAMESPACE.fullmatch(_str(value, name)):
        raise ValidationError(
            f"{name} {value!r} is not a storage namespace: expected a URI such as "
            "s3://bucket/prefix, gs://bucket/prefix, https://account.blob... or local://name"
        )


def object_path(value: object, name: str) -> None:
    """A non-empty object path."""
    if not _str(value, name):
        raise ValidationError(f"{name} must not be empty")


def commit_message(value: object, name: str) -> None:
    """A non-empty commit message."""
    if not _str(value, name).strip():
        raise ValidationError(f"{name} must not be empty")


def merge_strategy(value: object, name: str) -> None:
    """None, ``'dest-wins'`` or ``'source-wins'``."""
    if value is not None and value not in _STRATEGIES:
        raise ValidationError(f"{name} must be None, 'dest-wins' or 'source-wins', not {value!r}")
