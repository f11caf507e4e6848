"""Keeping an old call working for one release: arguments that became keyword-only.

As ``_validation.part_workers`` keeps ``max_workers=`` working, :func:`keyword_only_since`
keeps a positional call of a parameter that is keyword-only now working, with a
``DeprecationWarning`` that points at the caller. The function keeps its new signature (what
``inspect.signature``, the generator and the documentation read); only calls that pass more
positional arguments than it takes are translated.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["keyword_only_since"]

F = TypeVar("F", bound=Callable[..., Any])

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def keyword_only_since(*names: str, removed_in: str = "0.2") -> Callable[[F], F]:
    """Accept ``names`` (keyword-only parameters of the decorated function, in the order they
    were positional) positionally for one more release, with a ``DeprecationWarning``.

    Raises:
        TypeError: (at decoration) a name that is not a keyword-only parameter; (at a call)
            more positional arguments than the old signature took, or one given both ways.
    """

    def decorate(func: F) -> F:
        params = inspect.signature(func).parameters.values()
        count = sum(p.kind in _POSITIONAL for p in params)
        keyword = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
        if not set(names) <= keyword:
            raise TypeError(f"{func.__name__}: {sorted(set(names) - keyword)} are not keyword-only")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > count:
                args, kwargs = _moved(func.__name__, args[:count], args[count:], kwargs)
            return func(*args, **kwargs)

        def _moved(
            name: str, kept: tuple[Any, ...], extra: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            if len(extra) > len(names):
                taken = count + len(names) - 1  # the resource (self) aside, as Python counts
                raise TypeError(
                    f"{name}() takes at most {taken} positional arguments "
                    f"({len(kept) + len(extra) - 1} given)"
                )
            moved = dict(zip(names, extra, strict=False))
            twice = sorted(moved.keys() & kwargs.keys())
            if twice:
                raise TypeError(f"{name}() got multiple values for argument {twice[0]!r}")
            warnings.warn(
                f"{name}(): pass {', '.join(f'{n}=' for n in moved)} by keyword; positionally "
                f"it goes in {removed_in}",
                DeprecationWarning,
                stacklevel=3,  # the caller, past the wrapper
            )
            return kept, {**kwargs, **moved}

        return cast(F, wrapper)

    return decorate
