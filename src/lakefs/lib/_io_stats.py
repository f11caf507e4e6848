"""An ObjectStats JSON's values, as ``ObjectInfo``'s accessors give them.

``lakefs://`` entries read them straight from thousands of listed stats at once, without an
``ObjectInfo`` each; ``lakefs._objects`` re-exports them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

__all__ = ["checksum_of", "content_type_of", "metadata_of", "mtime_of", "size_of"]


def size_of(stats: Mapping[str, Any]) -> int:
    """The size in bytes, from an ObjectStats JSON.

    Args:
        stats: the ObjectStats JSON (from a listing or a stat).

    Returns:
        The size in bytes (0 when the stats say none).
    """
    return int(stats.get("size_bytes") or 0)


def mtime_of(stats: Mapping[str, Any]) -> datetime.datetime:
    """When the object was last written (timezone-aware, UTC), from an ObjectStats JSON.

    Args:
        stats: the ObjectStats JSON (from a listing or a stat).

    Returns:
        The modification time (timezone-aware, UTC).
    """
    return datetime.datetime.fromtimestamp(stats["mtime"], tz=datetime.timezone.utc)


def checksum_of(stats: Mapping[str, Any]) -> str:
    """The checksum (an MD5 hex digest or an ETag), from an ObjectStats JSON.

    Args:
        stats: the ObjectStats JSON (from a listing or a stat).

    Returns:
        The checksum.
    """
    return str(stats["checksum"])


def content_type_of(stats: Mapping[str, Any]) -> str | None:
    """The content type, None when there is none, from an ObjectStats JSON.

    Args:
        stats: the ObjectStats JSON (from a listing or a stat).

    Returns:
        The content type, or None.
    """
    value = stats.get("content_type")
    return str(value) if value else None


def metadata_of(stats: Mapping[str, Any]) -> dict[str, str]:
    """The user metadata (a copy), from an ObjectStats JSON.

    Args:
        stats: the ObjectStats JSON (from a listing or a stat).

    Returns:
        A copy of the user metadata.
    """
    return dict(stats.get("metadata") or {})
