"""Importing data that already lives in the object store: ``Branch.import_from``.

An import creates no copies: lakeFS ingests the objects' metadata and commits them on the branch.
``ImportManager`` collects sources, starts the import and polls it with plain blocking sleeps
(so it also works inside a running event loop, such as Jupyter's).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from lakefs import _validation as validate
from lakefs._exceptions import (
    APIResponseError,
    BadRequestError,
    LakeFSError,
    NotImplementedByServerError,
    ValidationError,
)
from lakefs._generated import operations as ops
from lakefs._server_configuration import ServerConfiguration
from lakefs._transport import json_object
from lakefs.lib.progress import ProgressOption, Tracker, check_option, tracker

if TYPE_CHECKING:
    from lakefs._client import RequestTimeout
    from lakefs._generated.branch import Branch
    from lakefs._generated.reference import Reference

__all__ = [
    "ImportCancelledError",
    "ImportFailedError",
    "ImportManager",
    "ImportManagerError",
    "ImportNotSupportedError",
    "ImportRefusedError",
    "ImportResult",
    "ImportStatus",
    "ImportTimeoutError",
]
"""The import API (``lakefs`` re-exports it); ``import_from`` is reached as
``Branch.import_from``."""

Seconds = timedelta | float | int


class ImportManagerError(LakeFSError):
    """An import could not be done. ``import_id`` is the server's id (None before a start)."""

    def __init__(self, message: str, *, import_id: str | None = None) -> None:
        super().__init__(message if import_id is None else f"import {import_id}: {message}")
        self.import_id = import_id
        self.server_message = message


class ImportNotSupportedError(ImportManagerError):
    """The server's blockstore cannot import (or imports are disabled)."""


class ImportRefusedError(ImportManagerError):
    """The server refused a source: at the start (malformed), or once it tried to read it
    (outside what it may import from)."""


class ImportFailedError(ImportManagerError):
    """The import started, then failed on the server."""


class ImportCancelledError(ImportManagerError):
    """The import was cancelled before it completed."""


class ImportTimeoutError(ImportManagerError):
    """The import did not complete within the time ``wait()`` was given (it goes on)."""


class ImportResult(NamedTuple):
    """A completed import: its commit and how many objects it ingested."""

    commit: Reference
    ingested_objects: int


@dataclass(frozen=True)
class ImportStatus:
    """Where an import stands.

    Attributes:
        completed: the import finished (successfully or not).
        ingested_objects: objects ingested so far.
        error: the server's error, if it failed.
        commit_id: the commit, once completed successfully.
    """

    completed: bool
    ingested_objects: int
    error: str | None
    commit_id: str | None


def _seconds(value: Seconds | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValidationError(f"{name} must be a timedelta or seconds >= 0, not {value!r}")
    return float(value)


def _status_error(message: str) -> type[ImportManagerError]:
    """The error class for an import that stopped with the server's ``message``."""
    lowered = message.lower()
    if "cancel" in lowered:
        return ImportCancelledError
    if "forbidden" in lowered or "not allowed" in lowered:
        return ImportRefusedError  # the source is outside what the server may read
    return ImportFailedError


class ImportManager:
    """Imports object-store data into a branch, as one commit.

    Created by ``branch.import_from(uri, destination, commit_message)``; add more sources with
    :meth:`prefix` and :meth:`object` (both chainable) before :meth:`start` or :meth:`run`.

    Args:
        branch: the branch to import into.
        commit_message: the import commit's message.
        metadata: the import commit's metadata.
        sleep: how :meth:`wait` waits between two polls (default ``time.sleep``).
        clock: how :meth:`wait` tells the time for its ``timeout`` (default
            ``time.monotonic``).
        timeout: each request's timeout (None: the client's).
        extra_headers: headers added to each request sent to lakeFS.

    Request options:
        timeout: the timeout of the request a method sends (default: the ``timeout`` given
            here).
        extra_headers: headers added to that request (over the ``extra_headers`` given here).

    Raises:
        ValidationError: an empty ``commit_message``, or malformed ``metadata`` or
            ``extra_headers`` (no request is sent).

    Example:
        >>> result = branch.import_from("s3://bucket/path/", "datasets/", "import").run()
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        branch: Branch,
        commit_message: str,
        metadata: dict[str, str] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        validate.commit_to_make(commit_message, metadata)
        validate.headers(None if extra_headers is None else dict(extra_headers), "extra_headers")
        # Every request of the import (start, status, cancel) gets these.
        self._options: dict[str, Any] = {"timeout": timeout, "headers": dict(extra_headers or {})}
        self.branch = branch
        self.commit_message = commit_message
        self.metadata = dict(metadata or {})
        self.sources: list[dict[str, str]] = []
        self.import_id: str | None = None
        self._sleep = sleep
        self._clock = clock

    def _add(self, kind: str, uri: str, destination: str) -> ImportManager:
        if self.import_id is not None:
            raise ValidationError("sources cannot be added once the import started")
        for name, value in (("uri", uri), ("destination", destination)):
            if not isinstance(value, str):
                raise ValidationError(f"{name} must be a str, not {value!r}")
        if "://" not in uri:
            raise ValidationError(f"uri {uri!r} is not an object-store URI (s3://, local://, ...)")
        self.sources.append({"type": kind, "path": uri, "destination": destination})
        return self

    def prefix(self, uri: str, destination: str) -> ImportManager:
        """Add every object under ``uri`` (a prefix) to import, under ``destination``.

        Args:
            uri: the object-store prefix (``s3://bucket/path/``, ``local://...``).
            destination: the branch's prefix its objects land under.

        Returns:
            This manager (chainable).

        Raises:
            ValidationError: ``uri`` is not an object-store URI, an argument is not a str, or
                the import started already.
        """
        return self._add("common_prefix", uri, destination)

    def object(self, uri: str, destination: str) -> ImportManager:
        """Add one object ``uri`` to import, as the path ``destination``.

        Args:
            uri: the object's object-store URI (``s3://bucket/path/file``).
            destination: the object's path on the branch.

        Returns:
            This manager (chainable).

        Raises:
            ValidationError: ``uri`` is not an object-store URI, an argument is not a str, or
                the import started already.
        """
        return self._add("object", uri, destination)

    def _request_options(
        self, timeout: RequestTimeout | None, extra_headers: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """This call's ``timeout`` and headers, over the ones given to ``import_from``."""
        validate.headers(None if extra_headers is None else dict(extra_headers), "extra_headers")
        return {
            "timeout": self._options["timeout"] if timeout is None else timeout,
            "headers": {**self._options["headers"], **(extra_headers or {})},
        }

    def start(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Start the import (without waiting) and return its id.

        Returns:
            The import's id (also kept as ``import_id``).

        Raises:
            ValidationError: the import started already, there is no source, or
                ``extra_headers`` is malformed (before any request).
            ImportNotSupportedError: the server cannot import.
            ImportRefusedError: the server refused a source.
            NotFoundError: the repository or the branch does not exist.
        """
        if self.import_id is not None:
            raise ValidationError(f"import {self.import_id} was started already")
        if not self.sources:
            raise ValidationError("nothing to import: add a source with prefix() or object()")
        options = self._request_options(timeout, extra_headers)
        client = self.branch.client
        if not ServerConfiguration(client).import_support():
            raise ImportNotSupportedError("this server's blockstore does not support imports")
        body = {
            "paths": self.sources,
            "commit": {"message": self.commit_message, "metadata": self.metadata},
        }
        b = self.branch
        route = ops.import_start(client.transport, b.repository_id, b.id)
        try:
            resp = client.transport.request(
                route.method,
                route.url,
                body=json.dumps(body).encode(),
                headers={**options["headers"], "Content-Type": "application/json"},
                timeout=options["timeout"],
            )
        except BadRequestError as exc:  # lakeFS refuses a malformed or disallowed source
            raise ImportRefusedError(exc.message) from exc
        except NotImplementedByServerError as exc:
            raise ImportNotSupportedError(exc.message) from exc
        # Anything else (401, 403, 5xx, connection failures) keeps its own class.
        data = json_object(resp, route.method, route.url)
        if not isinstance(data.get("id"), str):
            raise APIResponseError("lakeFS started an import without giving its id")
        self.import_id = data["id"]
        return self.import_id

    def status(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ImportStatus:
        """The import's progress (one request).

        Returns:
            Where the import stands.

        Raises:
            ValidationError: the import has not started, or ``extra_headers`` is malformed.
            NotFoundError: the repository, the branch or the import does not exist.
        """
        if self.import_id is None:
            raise ValidationError("the import has not started: call start() or run()")
        options = self._request_options(timeout, extra_headers)
        b, transport = self.branch, self.branch.client.transport
        route = ops.import_status(transport, b.repository_id, b.id, id=self.import_id)
        answer = transport.request(route.method, route.url, **options)
        data = json_object(answer, route.method, route.url)
        commit = data.get("commit") or {}
        return ImportStatus(
            completed=bool(data.get("completed")),
            ingested_objects=int(data.get("ingested_objects") or 0),
            error=(data.get("error") or {}).get("message") if data.get("error") else None,
            commit_id=commit.get("id"),
        )

    def wait(
        self,
        poll_interval: Seconds = timedelta(seconds=2),
        timeout: Seconds | None = None,
        on_progress: Callable[[int], None] | None = None,
        progress: ProgressOption = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ImportResult:
        """Poll until the import completes.

        Args:
            poll_interval: the time between two polls.
            timeout: give up waiting after this long (the import goes on; None waits forever).
            on_progress: called with the number of objects ingested after each poll (no bar is
                drawn then).
            progress: a bar counting the objects ingested: None shows one on a terminal, True
                always, False never (nor with ``LAKEFS_NO_PROGRESS=1``); a callable receives
                :class:`~lakefs.lib.progress.ProgressEvent` s (``units_done`` = objects).
            extra_headers: headers added to each poll (over ``import_from``'s). Each poll's
                own timeout is the one given to ``import_from``: ``timeout`` here bounds the
                whole wait.

        Returns:
            The import's commit and the number of objects it ingested.

        Raises:
            ValidationError: a bad argument, or the import has not started (before any
                request).
            ImportFailedError: the import failed on the server.
            ImportCancelledError: the import was cancelled.
            ImportTimeoutError: ``timeout`` passed before the import completed.
        """
        validate.headers(None if extra_headers is None else dict(extra_headers), "extra_headers")
        interval = _seconds(poll_interval, "poll_interval") or 0.0
        limit = _seconds(timeout, "timeout")
        check_option(progress)
        if on_progress is not None and progress is None:
            progress = False  # the caller follows progress itself
        with tracker(progress, "import", description="import", unit="objects") as bar:
            return self._poll(interval, limit, on_progress, bar, dict(extra_headers or {}))

    def _poll(
        self,
        interval: float,
        limit: float | None,
        on_progress: Callable[[int], None] | None,
        bar: Tracker,
        extra_headers: dict[str, str],
    ) -> ImportResult:
        from lakefs._generated.reference import Reference  # (a cycle at import time)

        started = self._clock()
        while True:
            status = self.status(extra_headers=extra_headers)
            if on_progress is not None:
                on_progress(status.ingested_objects)
            bar.set_done(status.ingested_objects)
            if status.error is not None:
                raise _status_error(status.error)(status.error, import_id=self.import_id)
            if status.completed:
                if status.commit_id is None:
                    raise ImportFailedError("completed without a commit", import_id=self.import_id)
                b = self.branch
                commit = Reference(b.repository_id, status.commit_id, client=b._client)
                return ImportResult(commit, status.ingested_objects)
            if limit is not None and self._clock() - started >= limit:
                raise ImportTimeoutError(
                    f"not completed after {limit:g} s (it goes on; call wait() again or cancel())",
                    import_id=self.import_id,
                )
            self._sleep(interval)

    def run(
        self,
        poll_interval: Seconds | None = None,
        timeout: Seconds | None = None,
        on_progress: Callable[[int], None] | None = None,
        progress: ProgressOption = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ImportResult:
        """:meth:`start`, then :meth:`wait`.

        Args:
            poll_interval: the time between two polls (None: 2 seconds).
            timeout: give up waiting after this long (the import goes on; None waits forever).
            on_progress: called with the number of objects ingested after each poll.
            progress: a bar counting the objects ingested, as in :meth:`wait`.
            extra_headers: headers added to every request (over ``import_from``'s).

        Returns:
            The import's commit and the number of objects it ingested.

        Raises:
            ValidationError: a bad argument, no source, or the import started already.
            ImportNotSupportedError: the server cannot import.
            ImportRefusedError: the server refused a source.
            ImportFailedError: the import failed on the server.
            ImportCancelledError: the import was cancelled.
            ImportTimeoutError: ``timeout`` passed before the import completed.
        """
        check_option(progress)
        self.start(extra_headers=extra_headers)
        interval = timedelta(seconds=2) if poll_interval is None else poll_interval
        return self.wait(interval, timeout, on_progress, progress, extra_headers=extra_headers)

    def cancel(
        self,
        *,
        timeout: RequestTimeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Ask lakeFS to cancel the running import.

        lakeFS marks the import cancelled and its worker notices within about a second: an
        import that finishes meanwhile (a small one) may still commit, while ``wait()`` and
        ``status()`` report it cancelled. Look at the branch's log to know.

        Raises:
            ValidationError: the import has not started, or ``extra_headers`` is malformed.
            NotFoundError: the repository, the branch or the import does not exist.
            ConflictError: the import is over already (completed, failed or cancelled).
        """
        if self.import_id is None:
            raise ValidationError("the import has not started")
        options = self._request_options(timeout, extra_headers)
        b, transport = self.branch, self.branch.client.transport
        route = ops.import_cancel(transport, b.repository_id, b.id, id=self.import_id)
        transport.request(route.method, route.url, **options)

    def __repr__(self) -> str:
        return f"ImportManager(branch={self.branch.id!r}, import_id={self.import_id!r})"


def import_from(
    branch: Branch,
    object_store_uri: str,
    destination: str,
    commit_message: str,
    metadata: dict[str, str] | None = None,
    *,
    timeout: RequestTimeout | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> ImportManager:
    """Prepare an import of object-store data into this branch, as one commit (no request
    yet): add sources with .prefix() / .object(), then .run() (or .start() and .wait()).

    Args:
        object_store_uri: The prefix to import, e.g. s3://bucket/path/.
        destination: Where its objects land on the branch.
        commit_message: The import commit's message.
        metadata: The import commit's metadata.
        timeout: Each request's timeout (None: the client's).
        extra_headers: Headers added to each request sent to lakeFS.

    Returns:
        An ImportManager with that one prefix to import.

    Raises:
        ValidationError: a bad URI, destination, message or metadata (before any request).

    Example:
        >>> main = lakefs.repository(repo.id).branch("main")
        >>> # import_uri: a prefix of objects in the store, e.g. "s3://bucket/raw/"
        >>> manager = main.import_from(import_uri, "raw/", commit_message="import raw data")
        >>> result = manager.run()
        >>> result.ingested_objects, result.commit.commit_message()
        (2, 'import raw data')
    """
    manager = ImportManager(
        branch, commit_message, metadata, timeout=timeout, extra_headers=extra_headers
    )
    return manager.prefix(object_store_uri, destination)
