"""Downloading an object to a local file: streamed, resumed, all or nothing.

``Reference.download_file`` checks its arguments and shows progress; :func:`fetch_to_file`
brings the bytes to disk (:func:`lakefs.lib._fetch.fetch_file`) in a file named only when
complete, so a failure never leaves a partial file. ``lakefs.lib.reader`` re-exports both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from lakefs import _validation as validate
from lakefs._exceptions import ValidationError
from lakefs._server_configuration import resolve_pre_signed
from lakefs.lib._fetch import DEFAULT_BLOCK_SIZE, fetch_file
from lakefs.lib._io_compat import keyword_only_since
from lakefs.lib._io_files import positive
from lakefs.lib._local_tree import replace_whole
from lakefs.lib.progress import check_option, tracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import Unpack

    from lakefs._client import RequestTimeout
    from lakefs._generated.reference import Reference
    from lakefs.lib._fetch import FetchOptions
    from lakefs.lib.progress import ProgressEvent

__all__ = ["download_file", "fetch_to_file"]


@keyword_only_since("pre_signed")
def download_file(
    reference: Reference,
    path: str,
    local_path: str | PathLike[str],
    *,
    pre_signed: bool | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    part_workers: int = 1,
    progress: bool | Callable[[ProgressEvent], None] | None = None,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
    max_workers: int | None = None,
) -> Path:
    """Stream an object to a local file, named only when complete (so a failure never leaves
    a partial file).

    One GET streams the whole object to disk (resumed by a ranged GET where a connection broke);
    with ``part_workers`` > 1 an object larger than ``block_size`` comes as that many ranged
    GETs of ``block_size`` in flight at once, each written at its offset. 1 means one stream:
    on a loopback store, parallel ranges gained nothing (``make bench`` shows the crossover);
    they pay off against a store far away.

    Args:
        path: The object's path.
        local_path: The file to write (its missing folders are made first).
        pre_signed: Read straight from the object store (None: when the server supports it).
            Keyword-only: passed positionally, it still works until 0.2, with a
            ``DeprecationWarning``.
        block_size: The largest request, in bytes.
        part_workers: Ranged GETs in flight at once for an object larger than ``block_size``
            (1: one stream).
        progress: A progress bar: None shows one on a terminal, True always, False never (nor
            with LAKEFS_NO_PROGRESS=1); a callable receives ProgressEvents instead.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.
        max_workers: The former spelling of ``part_workers`` (deprecated: a
            ``DeprecationWarning``).

    Returns:
        ``local_path``, as a Path.

    Raises:
        ValidationError: a bad path or option (before any request).
        ObjectNotFoundError: no object at ``path`` (also a ``FileNotFoundError``); no local
            file is left behind.
        NotFoundError: the repository or the reference does not exist.
        OSError: the local file could not be written.

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> _ = main.upload(b"id,total\\n1,10\\n", "files/report.csv")
        >>> local = main.download_file("files/report.csv", "downloads/report.csv")
        >>> local.read_text()
        'id,total\\n1,10\\n'
    """
    validate.object_path(path, "path")
    if not isinstance(local_path, (str, os.PathLike)):
        kind = type(local_path).__name__
        raise ValidationError(f"local_path must be a str or a path, not {kind}")
    positive(block_size, "block_size")
    part_workers = validate.part_workers(part_workers, max_workers, 1)
    check_option(progress)
    target = Path(local_path)
    use_presign = resolve_pre_signed(reference.client, pre_signed)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tracker(progress, "download_file", description=path) as bar:
        fetch_to_file(
            reference,
            path,
            target,
            pre_signed=use_presign,
            block_size=block_size,
            max_workers=part_workers,
            counter=bar if bar.active else None,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        bar.file_done(path, "sent")
    return target


def fetch_to_file(
    reference: Reference,
    path: str,
    target: Path,
    *,
    pre_signed: bool,
    **options: Unpack[FetchOptions],
) -> int:
    """Download ``path`` into ``target``, named only when complete (nothing remains of it on
    a failure: :func:`~lakefs.lib._local_tree.replace_whole`), as
    :func:`lakefs.lib._fetch.fetch_file` brings every download to disk. Returns the object's
    size; a size other than ``expected_size`` (when given, say from a listing) is an error,
    and nothing is named."""
    write = partial(replace_whole, target)
    return fetch_file(write, reference, path, pre_signed=pre_signed, **options)
