"""Whether a local file holds what lakeFS stores: the comparisons of ``skip_unchanged``.

What lakeFS's checksum is (verified on lakeFS 1.86.0):

* anything sent through lakeFS (local or S3 blockstore, single request or streamed): the MD5 of
  the content, in hex;
* a pre-signed single PUT, a server-side copy, an import: the object store's ETag, which S3
  (without SSE-KMS) and gofakes3 make the MD5 of the content;
* a pre-signed multipart upload (or an imported multipart object): S3's multipart ETag,
  ``md5(md5(part 1) + md5(part 2) + ...)-N``, which depends on the part size: it is compared
  for the part sizes that give N parts (this SDK's 8 MiB first, then common ones).

Any other checksum (SSE-KMS, other stores) cannot be compared, and the file is transferred.

MD5 tells accidental changes apart, not deliberate ones: two different contents of the same
size and the same MD5 can be made (published collision pairs). ``skip_unchanged="sha256"``
compares the SHA-256 this SDK stores with each object it uploads in that mode (user metadata
:data:`SHA256_KEY`) as well.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from lakefs._exceptions import ValidationError
from lakefs.lib.writer import DEFAULT_PART_SIZE

if TYPE_CHECKING:
    from lakefs.lib._transfers import CancelToken

__all__ = ["SHA256_KEY", "SkipUnchanged", "digests", "is_md5", "same_content", "skip_mode"]

SkipUnchanged = bool | Literal["sha256"]
SHA256_KEY = "sha256"
"""The user metadata key under which ``skip_unchanged="sha256"`` uploads store the SHA-256 of
the content (hex), and which it compares."""

_HASH_CHUNK = 1024 * 1024
_MULTIPART_ETAG = re.compile(r"^([0-9a-f]{32})-(\d+)$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_MiB = 1024 * 1024
# Part sizes tried for a multipart checksum: this SDK's, then those of common tools
# (boto3/aws cli 8 MiB, S3's smallest 5 MiB, lakectl and others 16, 32, 64, 100, 128 MiB).
_PART_SIZES = (DEFAULT_PART_SIZE, 5 * _MiB, 16 * _MiB, 32 * _MiB, 64 * _MiB, 100 * _MiB, 128 * _MiB)


def skip_mode(value: object) -> SkipUnchanged:
    """A checked ``skip_unchanged``: True (size and MD5 or multipart ETag), ``"sha256"`` (size,
    MD5 and the SHA-256 stored by this SDK) or False (transfer everything).

    Raises:
        ValidationError: any other value.
    """
    if value is True or value is False or value == "sha256":
        return value
    raise ValidationError(f"skip_unchanged must be True, False or 'sha256', not {value!r}")


def is_md5(checksum: str) -> bool:
    """Whether lakeFS's ``checksum`` is a plain MD5 (hex, quotes and case aside)."""
    return bool(_MD5.match(checksum.strip('"').lower()))


def _chunks(file: IO[bytes], size: int, cancel: CancelToken | None) -> Iterator[bytes]:
    """``file``'s next ``size`` bytes (all of them when negative), a MiB at a time; between
    two, ``cancel`` is checked (hashing a large file stops at once when its run is
    cancelled)."""
    while size:
        if cancel is not None:
            cancel.check()
        chunk = file.read(_HASH_CHUNK if size < 0 else min(_HASH_CHUNK, size))
        if not chunk:
            return
        size -= len(chunk) if size > 0 else 0
        yield chunk


def digests(file: IO[bytes], cancel: CancelToken | None = None) -> tuple[str, str]:
    """The MD5 and the SHA-256 (hex) of ``file``, read once from its start (``cancel``
    checked between chunks)."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    file.seek(0)
    for chunk in _chunks(file, -1, cancel):
        md5.update(chunk)
        sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def same_content(
    local: Path | IO[bytes],
    size: int,
    checksum: str,
    stored_size: int,
    part_size: int = DEFAULT_PART_SIZE,
    *,
    cancel: CancelToken | None = None,
) -> bool:
    """Whether a local file (a path, or a file open for reading) of ``size`` bytes holds what
    lakeFS stores with ``checksum`` and ``stored_size`` (False whenever it cannot tell).
    ``part_size`` is tried first for a multipart checksum; ``cancel`` is checked between
    the chunks read.

    Raises:
        Cancelled: ``cancel`` was cancelled meanwhile.
    """
    if size != stored_size:
        return False
    if isinstance(local, Path):
        with local.open("rb") as file:
            return same_content(file, size, checksum, stored_size, part_size, cancel=cancel)
    checksum = checksum.strip('"').lower()
    if _MD5.match(checksum):
        return _md5_of(local, cancel) == checksum
    match = _MULTIPART_ETAG.match(checksum)
    if not match:
        return False
    parts = int(match.group(2))
    tried = set()
    even = -(-size // parts) if parts else 0
    for part in (part_size, *_PART_SIZES, even, -(-even // _MiB) * _MiB):
        if part <= 0 or part in tried or -(-size // part) != parts:
            continue
        tried.add(part)
        if _multipart_md5(local, part, cancel) == checksum:
            return True
    return False


def _md5_of(file: IO[bytes], cancel: CancelToken | None) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    file.seek(0)
    for chunk in _chunks(file, -1, cancel):
        digest.update(chunk)
    return digest.hexdigest()


def _multipart_md5(file: IO[bytes], part_size: int, cancel: CancelToken | None) -> str:
    parts = []
    file.seek(0)
    while True:
        digest = hashlib.md5(usedforsecurity=False)
        read = 0
        for chunk in _chunks(file, part_size, cancel):
            digest.update(chunk)
            read += len(chunk)
        if not read:
            break
        parts.append(digest.digest())
    return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"
