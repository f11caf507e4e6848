"""Progress of long transfers: a tqdm bar on a terminal or in a notebook, or events for programs.

Every long operation (``upload_folder``, ``download_folder``, ``upload_file``,
``download_file``, imports) takes ``progress``:

* ``None`` (the default): a bar in a Jupyter notebook (any IPython kernel), or on stderr when
  stderr is a terminal; nothing otherwise;
* ``True``: a bar even when stderr is not a terminal; ``False``: no bar;
* a callable: it receives a :class:`ProgressEvent` for each step (no bar is drawn).

Under a Jupyter kernel the bar is tqdm's notebook widget (``tqdm.notebook``) when ipywidgets is
installed, else a text bar on stderr (without tqdm's warning about ipywidgets); elsewhere
(a terminal, a plain IPython shell) it is tqdm's text bar on stderr. ``LAKEFS_NO_PROGRESS=1`` in
the environment turns bars off whatever ``progress`` says (a callable still receives its
events). A bar counts bytes (objects, for imports) and shows the files done so far in its
postfix. tqdm is imported when the first bar is drawn, never by ``import lakefs``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from lakefs._exceptions import ValidationError

__all__ = ["ProgressEvent", "ProgressOption", "Tracker", "bars_disabled", "tracker"]

EventKind = Literal["start", "total", "advance", "file", "end"]
Outcome = Literal["sent", "skipped", "deleted", "failed"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a long operation, as a ``progress`` callable receives it.

    Attributes:
        operation: ``"upload_folder"``, ``"download_folder"``, ``"upload_file"``,
            ``"download_file"`` or ``"import"``.
        kind: ``"start"`` (once, first), ``"total"`` (the known totals grew: a folder's walk
            found more files), ``"advance"`` (bytes moved; for imports, objects ingested),
            ``"file"`` (one file is done: see ``path`` and ``outcome``), ``"end"`` (once, last).
        path: with ``"file"``, the file's path relative to the folder (or the object's path).
        outcome: with ``"file"``: ``"sent"``, ``"skipped"``, ``"deleted"`` or ``"failed"``.
        error: with a ``"failed"`` file, its error.
        units_done: bytes moved so far (objects ingested, for imports).
        units_total: the bytes known to move so far (None when unknown).
        files_done: files done so far, whatever their outcome.
        files_total: files known so far (None when unknown).
    """

    operation: str
    kind: EventKind
    path: str | None = None
    outcome: Outcome | None = None
    error: BaseException | None = None
    units_done: int = 0
    units_total: int | None = None
    files_done: int = 0
    files_total: int | None = None


ProgressOption: TypeAlias = bool | Callable[[ProgressEvent], None] | None
"""What ``progress=`` accepts: None (a bar on a terminal), True, False, or a callable."""


def bars_disabled() -> bool:
    """Whether ``LAKEFS_NO_PROGRESS`` turns bars off.

    Returns:
        True when ``LAKEFS_NO_PROGRESS`` is set to anything but empty and ``0``.
    """
    return os.environ.get("LAKEFS_NO_PROGRESS", "").strip() not in ("", "0")


def _in_jupyter_kernel() -> bool:
    """Whether this process runs under a Jupyter (IPython) kernel, where output is a notebook's.

    Asks the IPython already imported (never imports it): its shell is a kernel's when it is a
    ``ZMQInteractiveShell`` (Jupyter, JupyterLab, VS Code, Colab) or runs under an
    ``IPKernelApp``; a plain IPython terminal is a terminal. Never raises.

    Returns:
        True under a kernel.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if not callable(get_ipython):
        return False
    try:
        shell = get_ipython()
        if shell is None:
            return False
        if any(c.__name__ == "ZMQInteractiveShell" for c in type(shell).__mro__):
            return True
        config = getattr(shell, "config", None)
        return config is not None and "IPKernelApp" in config
    except Exception:  # a half-initialised or foreign shell: not a kernel we know
        return False


def _notebook_widgets() -> bool:
    """Whether a notebook widget can be drawn here: a kernel whose front end shows ipywidgets
    (not the Qt console or Spyder, which show text) with ipywidgets installed."""
    if not _in_jupyter_kernel():
        return False
    if any(k == "QT_API" or k.startswith("SPYDER") for k in os.environ):
        return False
    try:
        import tqdm.notebook
    except ImportError:
        return False
    # tqdm.notebook found no ipywidgets (tqdm.auto would warn about it: a text bar says enough)
    return getattr(tqdm.notebook, "IProgress", None) is not None


def _bar_class() -> type[Any]:
    """The tqdm class a bar is drawn with here (imports tqdm).

    Returns:
        ``tqdm.notebook.tqdm`` (a widget) under a Jupyter kernel with ipywidgets installed,
        else ``tqdm.std.tqdm`` (a text bar).
    """
    if _notebook_widgets():
        import tqdm.notebook

        notebook: type[Any] = tqdm.notebook.tqdm
        return notebook
    import tqdm.std

    text: type[Any] = tqdm.std.tqdm
    return text


def check_option(progress: object, name: str = "progress") -> None:
    """Refuse anything but None, a bool or a callable (before any request).

    Args:
        progress: the value given.
        name: the argument's name, for the message.

    Raises:
        ValidationError: ``progress`` is none of them.
    """
    if progress is None or isinstance(progress, bool) or callable(progress):
        return
    raise ValidationError(f"{name} must be None, True, False or a callable, not {progress!r}")


class Tracker:
    """Counts one operation's progress and reports it to a bar and/or a callable (thread-safe).

    Args:
        operation: the operation's name (see :class:`ProgressEvent`).
        callback: receives every event (None: none).
        bar: draw a tqdm bar (of ``_bar_class()``: a notebook widget under a Jupyter kernel
            with ipywidgets, else a text bar on stderr).
        description: the bar's label.
        unit: ``"B"`` for bytes, or a word such as ``"objects"``.
        units_total, files_total: totals known at the start (None: unknown).
    """

    def __init__(
        self,
        operation: str,
        *,
        callback: Callable[[ProgressEvent], None] | None = None,
        bar: bool = False,
        description: str = "",
        unit: str = "B",
        units_total: int | None = None,
        files_total: int | None = None,
    ) -> None:
        self.operation = operation
        self._callback = callback
        self._lock = threading.Lock()
        self.units_done = 0
        self.units_total = units_total
        self.files_done = 0
        self.files_total = files_total
        self._closed = False
        self._bar: Any = None
        if bar:
            self._bar = _new_bar(
                total=units_total,
                desc=description or operation,
                unit=unit,
                unit_scale=True,
                unit_divisor=1024 if unit == "B" else 1000,
                file=sys.stderr,
                dynamic_ncols=True,
                leave=True,
            )
        self._emit("start")

    @property
    def active(self) -> bool:
        """Whether anybody listens (a bar or a callable).

        Returns:
            True when a bar is drawn or a callable receives events.
        """
        return self._bar is not None or self._callback is not None

    def _emit(
        self,
        kind: EventKind,
        path: str | None = None,
        outcome: Outcome | None = None,
        error: BaseException | None = None,
    ) -> None:
        if self._callback is None:
            return
        self._callback(
            ProgressEvent(
                self.operation,
                kind,
                path,
                outcome,
                error,
                self.units_done,
                self.units_total,
                self.files_done,
                self.files_total,
            )
        )

    def _postfix(self) -> None:
        if self._bar is not None and (self.files_total is not None or self.files_done):
            total = "?" if self.files_total is None else f"{self.files_total:,}"
            self._bar.set_postfix_str(f"files {self.files_done:,}/{total}", refresh=False)

    def add_total(self, units: int = 0, files: int = 0) -> None:
        """The known totals grew by ``units`` and ``files``.

        Args:
            units: more units (bytes, objects) to move.
            files: more files to handle.
        """
        with self._lock:
            self.units_total = (self.units_total or 0) + units
            if files:
                self.files_total = (self.files_total or 0) + files
            if self._bar is not None:
                self._bar.total = self.units_total
                self._postfix()
            self._emit("total")

    def set_done(self, units: int) -> None:
        """Set the units done so far (imports report a running count).

        Args:
            units: the units done so far (a smaller count than before is ignored).
        """
        with self._lock:
            delta = units - self.units_done
            if delta <= 0:
                return
            self.units_done = units
            if self._bar is not None:
                self._bar.update(delta)
            self._emit("advance")

    def advance(self, units: int) -> None:
        """``units`` more were moved.

        Args:
            units: how many more (nothing happens for 0 or fewer).
        """
        if units <= 0:
            return
        with self._lock:
            self.units_done += units
            if self._bar is not None:
                self._bar.update(units)
            self._emit("advance")

    def file_done(self, path: str, outcome: Outcome, error: BaseException | None = None) -> None:
        """One file is done.

        Args:
            path: the file's path (relative to its folder) or the object's.
            outcome: ``"sent"``, ``"skipped"``, ``"deleted"`` or ``"failed"``.
            error: with ``"failed"``, its error.
        """
        with self._lock:
            self.files_done += 1
            self._postfix()
            self._emit("file", path, outcome, error)

    def close(self) -> None:
        """The operation ended (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._bar is not None:
                self._postfix()
                self._bar.close()
            self._emit("end")

    def __enter__(self) -> Tracker:
        """Use the tracker as a context manager (closed on exit).

        Returns:
            The tracker itself.
        """
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the tracker.

        Args:
            *exc: the exception, if any (not suppressed).
        """
        self.close()


def _new_bar(**options: Any) -> Any:
    """A bar of ``_bar_class()`` (a text bar when a widget cannot be built after all)."""
    cls = _bar_class()
    try:
        return cls(**options)
    except ImportError:  # ipywidgets too old or broken: tqdm.notebook refuses it
        import tqdm.std

        return tqdm.std.tqdm(**options)


def tracker(
    progress: ProgressOption,
    operation: str,
    *,
    description: str = "",
    unit: str = "B",
    units_total: int | None = None,
    files_total: int | None = None,
) -> Tracker:
    """A :class:`Tracker` as ``progress`` asks (see the module's documentation).

    Args:
        progress: None (a bar in a notebook or on a terminal), True, False or a callable.
        operation: the operation's name (see :class:`ProgressEvent`).
        description: the bar's label (the operation's name when empty).
        unit: ``"B"`` for bytes, or a word such as ``"objects"``.
        units_total: the units known at the start (None: unknown).
        files_total: the files known at the start (None: unknown).

    Returns:
        The tracker, with a bar when one is to be drawn.

    Raises:
        ValidationError: ``progress`` is not None, a bool or a callable.
    """
    check_option(progress)
    callback = progress if callable(progress) and not isinstance(progress, bool) else None
    if progress is None:
        shown = _in_jupyter_kernel() or (sys.stderr is not None and _isatty(sys.stderr))
        bar = shown and not bars_disabled()
    else:
        bar = progress is True and not bars_disabled()
    return Tracker(
        operation,
        callback=callback,
        bar=bar,
        description=description,
        unit=unit,
        units_total=units_total,
        files_total=files_total,
    )


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
