"""Argument checks run before any request is sent; each raises ``ValidationError`` naming the
argument and its value."""

from __future__ import annotations

import datetime
import re
import warnings
from dataclasses import dataclass

from lakefs._exceptions import ValidationError

__all__ = [
    "branch_id",
    "commit_metadata",
    "content_type",
    "diff_type",
    "headers",
    "object_metadata",
    "optional_parent",
    "optional_ref",
    "optional_paths",
    "optional_text",
    "utf8",
    "commit_message",
    "merge_strategy",
    "object_path",
    "ref_id",
    "ref_or_resource",
    "repository_id",
    "storage_namespace",
    "tag_id",
    "text",
    "unix_seconds",
    "utc",
]


@dataclass(frozen=True)
class _Whole:
    """A str that ``pattern`` matches whole; the error for any other value says it is not
    ``what``."""

    pattern: re.Pattern[str]
    what: str

    def check(self, value: object, name: str) -> None:
        if not self.pattern.fullmatch(_str(value, name)):
            raise ValidationError(f"{name} {value!r} is not {self.what}")


_REPOSITORY = _Whole(
    re.compile(r"[a-z0-9][a-z0-9-]{2,62}"),
    "a valid repository name: 3 to 63 characters of a-z, 0-9 and '-', starting with a letter "
    "or a digit",
)
_BRANCH = _Whole(
    re.compile(r"\w[-\w]*"),
    "a valid branch name: letters, digits, '_' and '-', not starting with '-' (no '/' or '.')",
)
_NAMESPACE = _Whole(
    re.compile(r"(s3|gs|https?|mem|local|transient|azure|abfss?)://.+"),
    "a storage namespace: expected a URI such as s3://bucket/prefix, gs://bucket/prefix, "
    "https://account.blob... or local://name",
)
_TAG_FORBIDDEN = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|^[-/.]|[/.]$|\.lock$|//")
_STRATEGIES = ("dest-wins", "source-wins")


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a str, not {type(value).__name__} ({value!r})")
    return value


def repository_id(value: object, name: str) -> None:
    """3-63 lowercase letters, digits and dashes, starting with a letter or digit."""
    _REPOSITORY.check(value, name)


def branch_id(value: object, name: str) -> None:
    """Letters, digits, underscores and dashes, not starting with a dash."""
    _BRANCH.check(value, name)


def tag_id(value: object, name: str) -> None:
    """A git-like name: no spaces, control characters, ``~^:?*[\\``, ``..`` or ``@{``."""
    text = _str(value, name)
    if not text or _TAG_FORBIDDEN.search(text):
        raise ValidationError(f"{name} {value!r} is not a valid tag name")


def ref_id(value: object, name: str) -> None:
    """A non-empty reference: a commit id, branch, tag or expression such as ``main~1``."""
    text = _str(value, name)
    if not text or text in (".", "..") or any(c.isspace() for c in text):
        raise ValidationError(f"{name} {value!r} is not a valid reference")


def ref_or_resource(value: object, name: str) -> None:
    """A reference given as a string, or a Reference/Branch/Tag."""
    from lakefs._resource import ref_id as resolve

    ref_id(resolve(value) if not isinstance(value, str) else value, name)


def storage_namespace(value: object, name: str) -> None:
    """A URI the server's blockstore understands: ``s3://``, ``gs://``, ``local://`` ..."""
    _NAMESPACE.check(value, name)


def object_path(value: object, name: str) -> None:
    """A non-empty object path, valid as UTF-8."""
    text = _str(value, name)
    if not text:
        raise ValidationError(f"{name} must not be empty")
    if not text.isascii():  # ASCII is valid UTF-8
        utf8(text, name)


def commit_message(value: object, name: str) -> None:
    """A non-empty commit message."""
    if not _str(value, name).strip():
        raise ValidationError(f"{name} must not be empty")


def commit_to_make(message: object, metadata: object) -> None:
    """The commit a transaction or an import ends with: a non-empty ``commit_message`` (a str)
    and its ``metadata``."""
    if not isinstance(message, str) or not message.strip():
        raise ValidationError("commit_message must be a non-empty str")
    commit_metadata(metadata, "metadata")


def merge_strategy(value: object, name: str) -> None:
    """None, ``'dest-wins'`` or ``'source-wins'``."""
    if value is not None and value not in _STRATEGIES:
        raise ValidationError(f"{name} must be None, 'dest-wins' or 'source-wins', not {value!r}")


# User metadata of objects goes through three paths (headers of a direct upload, JSON of a
# pre-signed link or multipart completion); lakeFS stores each as it arrives. These rules accept
# exactly what every path stores unchanged: header keys are lowercased and must be HTTP tokens,
# header values lose surrounding blanks and may not hold control characters.
_META_KEY = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
_META_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_CONTENT_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\x00-\x1f\x7f]*\"))*"
)


def utf8(value: str, name: str) -> None:
    """A str that can be sent as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"{name} {value!r} is not valid text: {exc.reason}") from None


def object_metadata(value: object, name: str) -> None:
    """Object user metadata that lakeFS stores exactly as given, whichever way it travels.

    Keys: lowercase HTTP token characters (``a-z 0-9 ! # $ % & ' * + . ^ _ ` | ~ -``). Values:
    any text without control characters (tab excepted) and without surrounding blanks.
    """
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be a dict of str to str, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not _META_KEY.fullmatch(key):
            raise ValidationError(
                f"{name} key {key!r} is not valid: use lowercase letters, digits and "
                "!#$%&'*+.^_`|~- (lakeFS lowercases keys sent as headers)"
            )
        if not isinstance(item, str):
            raise ValidationError(
                f"{name}[{key!r}] must be a str, not {type(item).__name__} ({item!r})"
            )
        utf8(item, f"{name}[{key!r}]")
        if _META_VALUE_FORBIDDEN.search(item) or item != item.strip(" \t"):
            raise ValidationError(
                f"{name}[{key!r}] = {item!r} cannot be stored as given: no control characters "
                "(such as CR or LF) and no leading or trailing blanks"
            )


def commit_metadata(value: object, name: str) -> None:
    """Commit metadata: a dict of str to str (sent as JSON, stored as given)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be a dict of str to str, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise ValidationError(f"{name} must map str to str, not {key!r}: {item!r}")
        utf8(key, f"{name} key")
        utf8(item, f"{name}[{key!r}]")


def content_type(value: object, name: str) -> None:
    """None, or a media type such as ``text/csv; charset=utf-8`` (not ``multipart/form-data``,
    which lakeFS would parse as a form)."""
    if value is None:
        return
    if not isinstance(value, str) or not _CONTENT_TYPE.fullmatch(value):
        raise ValidationError(
            f"{name} must be a media type such as 'text/csv' or 'text/plain; charset=utf-8', "
            f"not {value!r}"
        )
    if value.split(";")[0].strip().lower() == "multipart/form-data":
        raise ValidationError(
            f"{name} {value!r} is not allowed for objects (lakeFS reads it as a form)"
        )


def headers(value: object, name: str) -> None:
    """Extra request headers: str names and values, no line breaks, Latin-1 text only."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be a dict of str to str, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not re.fullmatch(_TOKEN, key):
            raise ValidationError(f"{name}: {key!r} is not a valid header name")
        if not isinstance(item, str) or re.search(r"[\x00-\x08\x0a-\x1f\x7f]", item):
            raise ValidationError(f"{name}[{key!r}] must be a str without line breaks")
        try:
            item.encode("latin-1")
        except UnicodeEncodeError:
            raise ValidationError(f"{name}[{key!r}] must be Latin-1 text") from None


def text(value: object, name: str) -> None:
    """A str valid as UTF-8 (a prefix, a cursor, a delimiter)."""
    utf8(_str(value, name), name)


def optional_text(value: object, name: str) -> None:
    """None, or a str valid as UTF-8."""
    if value is not None:
        text(value, name)


def diff_type(value: object, name: str) -> None:
    """``"two_dot"`` (what changes from one to the other) or ``"three_dot"`` (since the merge
    base, as a merge would apply them)."""
    if value not in ("two_dot", "three_dot"):
        raise ValidationError(f"{name} must be 'two_dot' or 'three_dot', not {value!r}")


def optional_parent(value: object, name: str) -> None:
    """None, or a parent number from 1."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError(f"{name} must be None or an int >= 1, not {value!r}")


def optional_paths(value: object, name: str) -> None:
    """None, or a list of paths (or prefixes)."""
    if value is None:
        return
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValidationError(f"{name} must be a list of str, not {type(value).__name__}")
    for item in value:
        text(item, name)


def utc(value: object, name: str) -> datetime.datetime | None:
    """None, or a datetime turned to UTC (a naive one is taken as UTC already)."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise ValidationError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def unix_seconds(value: object, name: str) -> int | None:
    """None, or a time as Unix seconds: a datetime (naive taken as UTC) or an int."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    moment = utc(value, name)
    assert moment is not None
    return int(moment.timestamp())


def optional_ref(value: object, name: str) -> None:
    """None, or a reference given as a string or a Reference/Branch/Tag."""
    if value is not None:
        ref_or_resource(value, name)


def part_workers(part_workers: object, max_workers: object, default: int) -> int:
    """``part_workers`` (parts or ranges of one object in flight at once) checked; or the
    former spelling, ``max_workers``, with a ``DeprecationWarning`` (``max_workers`` means
    files, in folder transfers and ``lakefs.fs``).

    Raises:
        ValidationError: not a positive int, or both spellings given.
    """
    if max_workers is not None:
        if part_workers != default:
            raise ValidationError("give part_workers only: max_workers is its former spelling")
        warnings.warn(
            "max_workers= of one object's transfer is spelled part_workers= now (the parts or "
            "ranges in flight at once); max_workers keeps meaning files, in folder transfers "
            "and lakefs.fs. The old spelling goes in 0.2.",
            DeprecationWarning,
            stacklevel=3,
        )
        part_workers = max_workers
    if isinstance(part_workers, bool) or not isinstance(part_workers, int) or part_workers < 1:
        raise ValidationError(f"part_workers must be a positive int, not {part_workers!r}")
    return part_workers
