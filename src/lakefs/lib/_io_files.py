"""What an object's reader and writer share: the io flags, the options of ``open()`` and the
check of a size or a count.

:class:`~lakefs.lib.reader.ObjectReader` and :class:`~lakefs.lib.writer.ObjectWriter` are
:class:`_ObjectFile`s: a file over one object, read-only or write-only. ``ReadOptions`` and
``OpenOptions`` type the keyword options of ``Reference.open`` and ``Branch.open`` once, for
their overloads (each overload differs only in its mode and what it returns).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, TypedDict

from lakefs._exceptions import ValidationError

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout

__all__ = ["OpenOptions", "ReadOptions", "positive"]


def positive(value: object, name: str) -> int:
    """``value``, a positive int (a size or a count of workers), checked.

    Raises:
        ValidationError: ``value`` is no int (a bool is none), or below 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a positive int, not {value!r}")
    return value


class ReadOptions(TypedDict, total=False):
    """The keyword options of ``Reference.open`` (documented there)."""

    encoding: str
    errors: str
    newline: str | None
    block_size: int
    timeout: RequestTimeout | None
    extra_headers: Mapping[str, str] | None


class OpenOptions(ReadOptions, total=False):
    """The keyword options of ``Branch.open``: a read's, and a write's (documented there)."""

    content_type: str | None
    metadata: dict[str, str] | None
    part_size: int
    part_workers: int
    max_workers: int | None


class _ObjectFile(io.BufferedIOBase):
    """A binary file over one object: a reader (``_reads``) seeks and reads, a writer only
    writes."""

    _reads: ClassVar[bool]
    name: str

    def readable(self) -> bool:
        """As io.IOBase.readable: whether the file reads (a reader does, a writer does not).

        Returns:
            True for an ObjectReader, False for an ObjectWriter.
        """
        return self._reads

    def seekable(self) -> bool:
        """As io.IOBase.seekable: a reader seeks (and a seek sends no request); a writer
        only appends.

        Returns:
            True for an ObjectReader, False for an ObjectWriter.
        """
        return self._reads

    def writable(self) -> bool:
        """As io.IOBase.writable: the opposite of :meth:`readable`.

        Returns:
            True for an ObjectWriter, False for an ObjectReader.
        """
        return not self._reads
