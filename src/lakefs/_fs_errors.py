"""The errors of ``lakefs://``, and the one point where the SDK's become ``OSError`` s.

As s3fs translates botocore's errors at its one call point, each verb of
:class:`~lakefs.fs.LakeFSFileSystem` that sends requests of one path is declared
``@translating(subject)`` (``ls``, ``info``, ``find``, ``open``, ``cat_file``, ``get_file``,
``pipe_file``, ``put_file``, ``cp_file``, ``rm_file``): the SDK's errors it lets out are
mapped by the one rule, :func:`translated` (an existing object
``FileExistsError``, a missing one ``FileNotFoundError``, a refused key ``PermissionError``, the
SDK's error the cause), with ``filename`` the subject (the path the verb was given, stripped of
``lakefs://``). Inside, code sees the SDK's own errors (``NotFoundError``: see
:data:`MISSING`); outside, only ``OSError`` s and the :class:`~lakefs.LakeFSError` s the rule
leaves alone (``ValidationError``...). A part that names another subject is declared so too
(a branch checked for a write, a ref resolved for a listing: ``REPOSITORY/REF``): what it lets
out is translated already, and passes the verb's point unchanged.

The other verbs are built on these (``exists``, ``isdir``, ``walk``, ``touch``, ``modified``...)
or act on many paths, each translated with its own (``rm`` and ``copy`` through ``rm_file``,
``cp_file`` and a branch's batch delete; ``put`` and ``get`` in the transfer engine's workers,
:mod:`lakefs._fs_transfers`, through ``fs._errors``); the files ``open`` returns translate in
themselves (:mod:`lakefs._fs_files`). All by the same rule.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from lakefs._exceptions import (
    ForbiddenError,
    LakeFSError,
    NotFoundError,
    ObjectExistsError,
    UnauthorizedError,
)

__all__ = [
    "MISSING",
    "ReadOnlyReferenceError",
    "UnsupportedModeError",
    "translated",
    "translating",
]

P = ParamSpec("P")
R = TypeVar("R")

MISSING = (NotFoundError, FileNotFoundError)
"""What a missing object is inside a translating verb: the SDK's ``NotFoundError`` (not
translated yet), or a ``FileNotFoundError`` (a native one, or one a nested verb translated)."""


class UnsupportedModeError(LakeFSError, NotImplementedError):
    """A file mode lakeFS objects cannot be opened in (``"ab"``: objects are written whole);
    a ``LakeFSError`` and a ``NotImplementedError`` (as fsspec's files raise)."""


class ReadOnlyReferenceError(LakeFSError, PermissionError):
    """A write to a reference that is not a branch (a tag, a commit or an expression); a
    ``LakeFSError`` and a ``PermissionError``.

    Attributes:
        repository_id: the repository.
        reference_id: the reference that was written to.
    """

    def __init__(self, repository_id: str, reference_id: str) -> None:
        self.repository_id = repository_id
        self.reference_id = reference_id
        super().__init__(
            errno.EROFS,
            f"{reference_id!r} of repository {repository_id!r} is not a branch (a tag, a commit "
            "or an expression such as main~1): only branches are writable",
            f"lakefs://{repository_id}/{reference_id}",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.repository_id, self.reference_id))


# Both are lakefs.fs's (documented, pickled and shown there); defined here for its parts.
UnsupportedModeError.__module__ = ReadOnlyReferenceError.__module__ = "lakefs.fs"


@contextlib.contextmanager
def translated(path: str) -> Iterator[None]:
    """The one place ``lakefs://`` maps the SDK's errors to the ``OSError`` subclasses Python
    code expects (filesystem calls and their files, ``close`` included): an existing object
    ``FileExistsError``, a missing one ``FileNotFoundError``, a refused key (401, 403)
    ``PermissionError``, each with ``filename`` set to ``path``; the SDK's error is the cause."""
    try:
        yield
    except ObjectExistsError as exc:
        raise FileExistsError(errno.EEXIST, str(exc), path) from exc
    except NotFoundError as exc:
        raise FileNotFoundError(errno.ENOENT, str(exc), path) from exc
    except (UnauthorizedError, ForbiddenError) as exc:
        raise PermissionError(errno.EACCES, str(exc), path) from exc


Subject = Callable[[tuple[Any, ...], dict[str, Any]], str]


def translating(subject: str | Callable[..., str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a verb's errors translated, with ``filename`` the subject.

    Args:
        subject: the name of the parameter holding the path (stripped of ``lakefs://`` by the
            filesystem, the first argument), or a function of the call's arguments giving it.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name_of = _subject_of(fn, subject)

        @functools.wraps(fn)
        def verb(*args: P.args, **kwargs: P.kwargs) -> R:
            with translated(name_of(args, kwargs)):
                return fn(*args, **kwargs)

        return verb

    return decorate


def _subject_of(fn: Callable[..., Any], subject: str | Callable[..., str]) -> Subject:
    """How a call's subject is found (the parameter's place is looked up once, here)."""
    if callable(subject):
        given = subject
        return lambda args, kwargs: given(*args, **kwargs)
    name = subject
    index = list(inspect.signature(fn).parameters).index(name)

    def named(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        value = args[index] if index < len(args) else kwargs[name]
        return args[0]._strip_protocol(value)  # type: ignore[no-any-return]

    return named
