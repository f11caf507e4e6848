"""``fs.transaction`` of ``lakefs://``, in two shapes.

``with fs.transaction("message"):`` (ours): writes to a branch's paths land on an ephemeral
branch, committed and merged when the block succeeds (the SDK's :class:`~lakefs.BranchTransaction`,
one per branch written). ``with fs.transaction(repository, base_branch) as tx:`` (lakefs-spec's):
the block writes to ``tx.branch``'s paths itself and commits, merges and tags with ``tx``
(:class:`EphemeralBranchTransaction`).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from fsspec.transaction import Transaction

from lakefs._exceptions import ValidationError
from lakefs._fs_errors import translating
from lakefs._fs_refs import check_branch
from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference
from lakefs._generated.repository import Repository
from lakefs._generated.tag import Tag
from lakefs._logs import get_logger
from lakefs._values import Commit
from lakefs.lib.transactions import BranchTransaction, ExitHook

if TYPE_CHECKING:
    from typing_extensions import TypedDict, Unpack

    from lakefs.fs import LakeFSFileSystem

    class _SpecOptions(TypedDict, total=False):
        """lakefs-spec's keywords of ``fs.transaction(repository, ...)``, as
        :class:`EphemeralBranchTransaction` takes them (its defaults: True, "onsuccess", False,
        None)."""

        automerge: bool
        delete: Delete
        squash: bool
        merge_kwargs: Mapping[str, Any] | None


__all__ = ["EphemeralBranchTransaction", "LakeFSTransaction"]

log = get_logger("fs")


class LakeFSTransaction(ExitHook, Transaction):  # type: ignore[misc]  # fsspec is untyped
    """``fs.transaction``: writes land on ephemeral branches, merged when the block succeeds.

    The first write to a branch inside the transaction starts an SDK
    :class:`~lakefs.BranchTransaction` on it; every later read and write of that branch's paths
    through this filesystem goes to the ephemeral branch. On success each ephemeral branch is
    committed with ``message`` and merged into its branch; after an exception nothing is merged,
    the ephemeral branches are kept for inspection and a :class:`~lakefs.TransactionError` names
    them (chained from the exception).

    Args:
        fs: the filesystem whose writes the transaction takes.
        message: the commit message of each ephemeral branch.
        metadata: the commits' metadata.

    Example:
        >>> with fs.transaction("add partition 7"):  # doctest: +SKIP
        ...     fs.pipe_file("repo/main/data/part-7.parquet", data)
    """

    def __init__(
        self,
        fs: LakeFSFileSystem,
        message: str = "fsspec transaction",
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(fs)
        self.message = message
        self.metadata = metadata
        self.transactions: dict[tuple[str, str], BranchTransaction] = {}
        self.txn_id: Callable[[], str] | None = None

    @overload
    def __call__(
        self,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        txn_id: Callable[[], str] | None = None,
    ) -> LakeFSTransaction: ...

    @overload
    def __call__(
        self,
        repository: str | Repository,
        base_branch: str | Branch,
        branch_name: str | None = None,
        **options: Unpack[_SpecOptions],
    ) -> EphemeralBranchTransaction: ...

    @overload
    def __call__(
        self,
        *,
        repository: str | Repository,
        base_branch: str | Branch = "main",
        branch_name: str | None = None,
        **options: Unpack[_SpecOptions],
    ) -> EphemeralBranchTransaction: ...

    def __call__(self, *args: Any, **kwargs: Any) -> LakeFSTransaction | EphemeralBranchTransaction:
        """Ours, ``fs.transaction("message", metadata)``, sets the commit message (and
        metadata; ``txn_id`` makes the ephemeral branches' suffix, default random).

        lakefs-spec's, ``fs.transaction(repository, base_branch="main", branch_name=None, *,
        automerge=True, delete="onsuccess", squash=False, merge_kwargs=None)``, returns an
        :class:`EphemeralBranchTransaction`. It is chosen by any of its keywords, by a
        :class:`~lakefs.Repository` first or by a branch second; ``fs.transaction("name")``
        alone is ours (write ``fs.transaction("repo", "main")`` or
        ``fs.transaction(repository="repo")`` for lakefs-spec's).
        """
        if is_spec_shaped(args, kwargs):
            ours = sorted({"message", "metadata", "txn_id"} & set(kwargs))
            if ours:
                raise ValidationError(
                    f"{', '.join(ours)} belong to fs.transaction('message'), not to lakefs-spec's"
                    " fs.transaction(repository, base_branch)"
                )
            fs = self._fs
            assert fs is not None, "the filesystem's transaction has ended"
            return EphemeralBranchTransaction(fs, *args, **kwargs)
        return self._configure(*args, **kwargs)

    def _configure(
        self,
        message: str | None = None,
        metadata: dict[str, str] | None = None,
        *,
        txn_id: Callable[[], str] | None = None,
    ) -> LakeFSTransaction:
        if message is not None:
            self.message = message
        if metadata is not None:
            self.metadata = metadata
        if txn_id is not None:
            self.txn_id = txn_id
        return self

    def __getattr__(self, name: str) -> Any:
        """Refuse an attribute that does not exist, naming lakefs-spec's shape for its own."""
        if name in _SPEC_ATTRIBUTES:
            raise AttributeError(
                f"{name!r} belongs to lakefs-spec's transaction: this one was opened as "
                "fs.transaction('message'); write fs.transaction(repository, base_branch) "
                "(or repository=...) to get it"
            )
        raise AttributeError(name)

    @property
    def _fs(self) -> LakeFSFileSystem | None:
        fs: LakeFSFileSystem | None = self.fs
        return fs

    @property
    def branches(self) -> dict[tuple[str, str], Branch]:
        """The ephemeral branch of each ``(repository, branch)`` written so far."""
        return {key: tx.branch for key, tx in self.transactions.items()}

    @translating(
        lambda self, repository_id, branch_id, create=False: f"{repository_id}/{branch_id}"
    )
    def branch_for(self, repository_id: str, branch_id: str, create: bool = False) -> Branch:
        """The ephemeral branch that writes to ``branch_id`` go to (started on first use;
        ``create``: a write of new bytes, for which ``create_branch_ok`` creates the branch).

        Args:
            repository_id: the repository.
            branch_id: the branch written to.
            create: a write of new bytes (``create_branch_ok`` may create the branch).

        Returns:
            The ephemeral branch.

        Raises:
            FileNotFoundError: no such repository or branch (and none created).
            ReadOnlyReferenceError: ``branch_id`` is a tag, a commit or an expression.
            PermissionError: the key is refused (401, 403).
            LakeFSError: another failure of the requests.
        """
        key = (repository_id, branch_id)
        if key not in self.transactions:
            fs = self._fs
            assert fs is not None, "the transaction has ended"
            source = check_branch(fs, repository_id, branch_id, create)
            tx = source.transaction(self.message, metadata=self.metadata, txn_id=self.txn_id)
            tx.__enter__()
            self.transactions[key] = tx
        return self.transactions[key].branch

    def start(self) -> None:
        """Begin: no branch is created until something is written."""
        super().start()
        self.transactions = {}

    def complete(self, commit: bool = True) -> None:
        """Merge every ephemeral branch (``commit``), or keep them all and merge nothing.

        Args:
            commit: commit and merge (False: discard, keeping the ephemeral branches).

        Raises:
            TransactionError: a commit or merge failed, or the transaction was discarded
                with branches written (it names the branch kept).
        """
        self._finish(None if commit else RuntimeError("the transaction was discarded"))

    def _finish(self, error: BaseException | None) -> None:
        fs: LakeFSFileSystem | None = self._fs
        first: BaseException | None = None
        try:
            for (repo, branch), tx in self.transactions.items():
                try:
                    if error is None:
                        tx.__exit__(None, None, None)
                    else:
                        tx.__exit__(type(error), error, error.__traceback__)
                except BaseException as exc:
                    first = first or exc
                finally:
                    if fs is not None:
                        fs.invalidate_cache(f"{repo}/{branch}")
            self.files.clear()
        finally:
            self.transactions = {}
            if fs is not None:
                fs._intrans = False
                fs._transaction = None
            self.fs = None
        if first is not None:
            raise first

    def _exit(self, exc: BaseException | None) -> None:
        self._finish(exc)


Delete = Literal["onsuccess", "always", "never"]
_MERGE_OPTIONS = {"message", "metadata", "strategy", "force", "allow_empty", "squash"}
_SPEC_ATTRIBUTES = {"branch", "commit", "merge", "tag", "revert", "rev_parse", "base_branch"}
_SPEC_KEYWORDS = {
    "repository",
    "base_branch",
    "branch_name",
    "automerge",
    "delete",
    "squash",
    "merge_kwargs",
}


def _merge_options(options: Mapping[str, Any] | None, squash: bool = False) -> dict[str, Any]:
    """lakefs-spec's ``merge_kwargs`` as :meth:`~lakefs.Reference.merge_into`'s keywords
    (``squash_merge``, the wire's name, is ``squash``); anything else is refused by name."""
    merged = dict(options or {})
    if "squash_merge" in merged:
        merged["squash"] = merged.pop("squash_merge")
    unknown = sorted(set(merged) - _MERGE_OPTIONS)
    if unknown:
        takes = ", ".join(sorted(_MERGE_OPTIONS | {"squash_merge"}))
        raise ValidationError(f"merge options are {takes}, not {', '.join(unknown)}")
    if squash:
        merged["squash"] = True
    return merged


def is_spec_shaped(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    """Whether ``fs.transaction(...)`` was called in lakefs-spec's shape: one of its keywords,
    a :class:`~lakefs.Repository` first, or a branch second (ours takes a metadata dict there).
    ``fs.transaction("name")`` alone is ours: the commit message."""
    return (
        bool(_SPEC_KEYWORDS & set(kwargs))
        or (bool(args) and isinstance(args[0], Repository))
        or (len(args) >= 2 and isinstance(args[1], (str, Branch)))
    )


class EphemeralBranchTransaction(ExitHook):
    """lakefs-spec's transaction: ``with fs.transaction(repository, base_branch) as tx:``.

    Entering creates the ephemeral branch ``tx.branch`` from ``base_branch``; the block writes
    to its paths (``f"{repo}/{tx.branch.id}/key"``) and records what it wants with
    :meth:`commit`, :meth:`merge`, :meth:`tag`, :meth:`revert` and :meth:`rev_parse`. Leaving
    warns (``UserWarning``) when changes were left uncommitted; after a block that succeeded,
    ``automerge`` merges the branch into ``base_branch`` when it has commits to merge. The
    branch is then deleted as ``delete`` says: ``"onsuccess"`` (kept after an exception, for
    inspection), ``"always"`` or ``"never"``. Errors of the version-control calls are the
    SDK's (:class:`~lakefs.ConflictError` and friends); a missing repository is a
    ``FileNotFoundError``.

    Args:
        fs: the filesystem whose client the calls use.
        repository: the repository (its name or a :class:`~lakefs.Repository`).
        base_branch: the branch the ephemeral branch starts from and merges into.
        branch_name: the ephemeral branch's name (default: ``transaction-`` and a random id).
        automerge: merge into ``base_branch`` when the block succeeds.
        delete: when to delete the ephemeral branch.
        squash: merge as one commit (a squash merge).
        merge_kwargs: lakefs-spec's merge options (``message``, ``metadata``, ``strategy``,
            ``force``, ``allow_empty``, ``squash_merge``).

    Raises:
        ValidationError: an unknown ``delete`` or merge option, or a malformed branch name
            (no request is sent until the block is entered).

    Example:
        >>> with fs.transaction("repo", "main") as tx:  # doctest: +SKIP
        ...     fs.pipe_file(f"repo/{tx.branch.id}/data.csv", b"a,b\\n1,2\\n")
        ...     commit = tx.commit("add data")
        ...     tx.tag(commit, "v1")
    """

    def __init__(
        self,
        fs: LakeFSFileSystem,
        repository: str | Repository,
        base_branch: str | Branch = "main",
        branch_name: str | None = None,
        *,
        automerge: bool = True,
        delete: Delete = "onsuccess",
        squash: bool = False,
        merge_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if delete not in ("onsuccess", "always", "never"):
            raise ValidationError(
                f"delete must be 'onsuccess', 'always' or 'never', not {delete!r}"
            )
        self.fs = fs
        self.repository = repository.id if isinstance(repository, Repository) else repository
        self.base_branch = self._branch(base_branch)
        name = branch_name or f"transaction-{uuid.uuid4().hex[:12]}"
        self._branch_ = self._branch(name)
        self.automerge = automerge
        self.delete = delete
        self.merge_kwargs = _merge_options(merge_kwargs, squash)

    def _branch(self, branch: str | Branch) -> Branch:
        if isinstance(branch, Branch):
            return branch
        return Branch(self.repository, branch, client=self.fs.client)

    @property
    def branch(self) -> Branch:
        """The ephemeral branch the block writes to."""
        return self._branch_

    @translating(lambda self: f"{self.repository}/{self.base_branch.id}")
    def __enter__(self) -> EphemeralBranchTransaction:
        """Create the ephemeral branch from ``base_branch``; returns the transaction."""
        self._branch_.create(self.base_branch)
        return self

    def _exit(self, exc: BaseException | None) -> None:
        """Warn of uncommitted changes, merge (``automerge``, after success) and delete the
        branch as ``delete`` says."""
        branch = self._branch_
        try:
            if next(iter(branch.list_uncommitted(max_amount=1)), None) is not None:
                lost = (
                    "" if self.delete == "never" else " Objects added but not committed are lost."
                )
                warnings.warn(
                    f"Finished transaction on branch {branch.id!r} with uncommitted changes.{lost}",
                    UserWarning,
                    stacklevel=3,  # the user's with, past ExitHook.__exit__
                )
            if exc is None and self.automerge and self._has_changes(branch, self.base_branch):
                branch.merge_into(self.base_branch, **self.merge_kwargs)
            if self.delete == "always" or (exc is None and self.delete == "onsuccess"):
                branch.delete()
        finally:
            self.fs.invalidate_cache(self.repository)

    @staticmethod
    def _has_changes(source: Reference, into: Branch) -> bool:
        """Whether merging ``source`` would change ``into`` (what it changed since their merge
        base, so that ``into`` moving meanwhile is not mistaken for changes)."""
        return next(iter(into.diff(source, max_amount=1, diff_type="three_dot")), None) is not None

    def commit(self, message: str, metadata: dict[str, str] | None = None) -> Reference:
        """Commit the ephemeral branch's changes.

        Args:
            message: the commit message.
            metadata: the commit's metadata.

        Returns:
            A Reference to the commit (the branch's head, with a logged warning, when there was
            nothing to commit).

        Raises:
            ValidationError: ``message`` or ``metadata`` is malformed (before the commit).
            NotFoundError: the repository or the ephemeral branch does not exist.
            PreconditionFailedError: a pre-commit hook refused the commit.
        """
        if next(iter(self._branch_.list_uncommitted(max_amount=1)), None) is None:
            log.warning("No changes to commit on branch %r.", self._branch_.id)
            return self._branch_.head()
        return self._branch_.commit_changes(message, metadata=metadata)

    def merge(self, source_ref: str | Branch, into: str | Branch, **kwargs: Any) -> Commit:
        """Merge ``source_ref`` into ``into`` when it has changes to bring.

        Args:
            source_ref: the branch to merge (its name or a Branch).
            into: the branch to merge into.
            **kwargs: merge options, as lakefs-spec's ``merge_kwargs``.

        Returns:
            The commit ``into`` is at afterwards.

        Raises:
            ValidationError: an unknown option or a malformed branch name (before any request).
            NotFoundError: the repository or a branch does not exist.
            ConflictError: the two sides change the same objects (and no ``strategy`` picks
                one).
        """
        source, dest = self._branch(source_ref), self._branch(into)
        if self._has_changes(source, dest):
            source.merge_into(dest, **_merge_options(kwargs))
        return dest.head().get_commit()

    def revert(self, branch: str | Branch, ref: str | Reference, parent_number: int = 1) -> Commit:
        """Revert commit ``ref`` on ``branch``.

        Args:
            branch: the branch to revert on (its name or a Branch).
            ref: the commit to revert.
            parent_number: for a merge commit, the parent (from 1) to revert relative to.

        Returns:
            The revert commit.

        Raises:
            ValidationError: a malformed argument (before any request).
            NotFoundError: the repository, the branch or the commit does not exist.
            ConflictError: the revert conflicts with the branch's changes.
            BadRequestError: ``parent_number`` does not fit the commit.
        """
        return self._branch(branch).reverse(ref, parent_number=parent_number).get_commit()

    def rev_parse(self, ref: str | Reference) -> Commit:
        """The commit a branch, tag, commit id or expression (``main~1``) points to.

        Args:
            ref: the reference (its name or a Reference).

        Returns:
            The commit.

        Raises:
            ValidationError: ``ref`` is malformed (before any request).
            NotFoundError: the repository or the reference does not exist.
        """
        ref_id = ref.id if isinstance(ref, Reference) else ref
        return Reference(self.repository, ref_id, client=self.fs.client).get_commit()

    def tag(self, ref: str | Reference, name: str) -> Tag:
        """Create tag ``name`` at ``ref``.

        Args:
            ref: where the tag points (a reference's name or a Reference).
            name: the tag's name.

        Returns:
            The new tag.

        Raises:
            ValidationError: ``ref`` or ``name`` is malformed (before any request).
            NotFoundError: the repository or ``ref`` does not exist.
            ConflictError: the tag exists already.
        """
        return Tag(self.repository, name, client=self.fs.client).create(ref)

    def __repr__(self) -> str:
        return (
            f"EphemeralBranchTransaction(repository={self.repository!r}, "
            f"base_branch={self.base_branch.id!r}, branch={self._branch_.id!r})"
        )
