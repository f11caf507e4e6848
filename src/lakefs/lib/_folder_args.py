"""The checked arguments of ``upload_folder`` and ``download_folder``: each argument is
checked once, here, before any request, and both directions share the checks.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakefs import _validation as validate
from lakefs._config import Timeout
from lakefs._exceptions import ValidationError
from lakefs.lib._checksums import SkipUnchanged, skip_mode
from lakefs.lib._transfers import check_workers
from lakefs.lib.progress import ProgressOption, check_option

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout

__all__ = ["Filter", "FolderJob", "Options", "RunOptions"]


def _patterns(value: object, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if isinstance(items, (bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError(f"{name} must be a glob pattern or patterns, not {value!r}")
    out = []
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"{name} must hold non-empty str patterns, not {item!r}")
        # As huggingface_hub: "dir/" means everything below dir.
        out.append(item + "*" if item.endswith("/") else item)
    return tuple(out)


class Filter:
    """include / exclude globs on the relative path (``*`` matches ``/`` too, as in fnmatch).

    Raises:
        ValidationError: a pattern that is not a non-empty str.
    """

    def __init__(self, include: object, exclude: object) -> None:
        self.include = _patterns(include, "include")
        self.exclude = _patterns(exclude, "exclude")

    def __call__(self, rel: str) -> bool:
        if self.include is not None and not any(fnmatch.fnmatchcase(rel, p) for p in self.include):
            return False
        return not (self.exclude and any(fnmatch.fnmatchcase(rel, p) for p in self.exclude))


def flag(value: object, name: str) -> bool:
    """A checked bool argument.

    Raises:
        ValidationError: not True or False.
    """
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, not {value!r}")
    return value


def pre_signed_option(value: object) -> bool | None:
    """A checked ``pre_signed``.

    Raises:
        ValidationError: not None, True or False.
    """
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"pre_signed must be None, True or False, not {value!r}")
    return value


def prefix_option(value: object) -> str:
    """A checked prefix, ending with ``/`` unless empty.

    Raises:
        ValidationError: not a str, or not UTF-8.
    """
    if not isinstance(value, str):
        raise ValidationError(f"prefix must be a str, not {type(value).__name__}")
    validate.utf8(value, "prefix")
    return value if not value or value.endswith("/") else value + "/"


def folder_option(value: object, name: str) -> Path:
    """A checked local folder argument.

    Raises:
        ValidationError: not a str or a path.
    """
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"{name} must be a str or a path, not {type(value).__name__}")
    return Path(value)


@dataclass(frozen=True)
class Options:
    """Each request's ``timeout`` and ``extra_headers``."""

    timeout: RequestTimeout | None
    extra_headers: Mapping[str, str] | None


def request_options(timeout: object, extra_headers: object) -> Options:
    """Checked request options.

    Raises:
        ValidationError: a bad timeout or header.
    """
    if timeout is not None:
        try:
            Timeout.coerce(timeout)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"timeout: {exc}") from None
    if extra_headers is not None:
        if not isinstance(extra_headers, Mapping):
            raise ValidationError("extra_headers must be a mapping of header names to values")
        validate.headers(dict(extra_headers), "extra_headers")
    return Options(timeout, extra_headers)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FolderJob:
    """What a folder transfer moves: the checked ``local_dir``, ``prefix``, ``include`` and
    ``exclude`` (as :attr:`keep`), ``delete`` and ``skip_unchanged`` (as :attr:`mode`)."""

    root: Path
    base: str
    keep: Filter
    delete: bool
    mode: SkipUnchanged

    @classmethod
    def check(
        cls,
        local_dir: object,
        prefix: object,
        include: object,
        exclude: object,
        delete: object,
        skip_unchanged: object,
    ) -> FolderJob:
        """The checked arguments.

        Raises:
            ValidationError: a bad argument.
        """
        root = folder_option(local_dir, "local_dir")
        base = prefix_option(prefix)
        keep = Filter(include, exclude)
        return cls(root, base, keep, flag(delete, "delete"), skip_mode(skip_unchanged))


@dataclass(frozen=True)
class RunOptions:
    """How a folder transfer runs: the checked ``max_workers``, ``pre_signed``, ``progress``,
    and each request's options."""

    workers: int
    pre_signed: bool | None
    progress: ProgressOption
    opts: Options

    @classmethod
    def check(
        cls,
        max_workers: object,
        pre_signed: object,
        progress: object,
        timeout: object,
        extra_headers: object,
    ) -> RunOptions:
        """The checked options.

        Raises:
            ValidationError: a bad option.
        """
        workers = check_workers(max_workers)
        use = pre_signed_option(pre_signed)
        check_option(progress)
        opts = request_options(timeout, extra_headers)
        return cls(workers, use, progress, opts)  # type: ignore[arg-type]
