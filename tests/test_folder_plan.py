"""The folder planner without I/O: given the local tree and the listing as lists, the values
it yields (the ordering rules of ``lakefs.lib._folder_plan``, each by number)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lakefs import APIResponseError, LakeFSError, ValidationError
from lakefs.lib._folder_args import Filter
from lakefs.lib._folder_plan import (
    Action,
    Delete,
    Download,
    Entry,
    Fail,
    Upload,
    _LinkError,
    key_bytes,
    plan_download,
    plan_upload,
)

_ALL = Filter(None, None)


class Obj:
    """What the planner reads of an ObjectInfo."""

    def __init__(self, path: str, size: int = 1) -> None:
        self.path = path
        self._size = size

    def size_bytes(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"Obj({self.path!r})"


def file(rel: str, size: int = 1, *, link: bool = False) -> tuple[str, Entry]:
    return rel, Entry("file", Path("/root", rel), size, rel, link)


def other(rel: str, *, link: bool = False) -> tuple[str, Entry]:
    return rel, Entry("other", Path("/root", rel), link=link)


def folder(rel: str) -> tuple[str, Entry]:
    return rel, Entry("dir", Path("/root", rel))


LocalItems = Iterable[tuple[str, Entry | Exception]]


def up(
    local: LocalItems,
    objects: Iterable[Obj] = (),
    *,
    prefix: str = "p/",
    keep: Filter = _ALL,
    compare: bool = False,
    delete: bool = False,
) -> list[Action]:
    plan = plan_upload(local, objects, prefix=prefix, keep=keep, compare=compare, delete=delete)
    return list(plan)


def down(
    objects: Iterable[Obj],
    local: LocalItems = (),
    *,
    prefix: str = "p/",
    keep: Filter = _ALL,
    delete: bool = False,
) -> list[Action]:
    return list(plan_download(local, objects, prefix=prefix, keep=keep, delete=delete))


def names(actions: Iterable[Action]) -> list[tuple[str, str]]:
    return [(type(a).__name__, a.rel) for a in actions]


# -- upload ------------------------------------------------------------------------------------


def test_each_local_file_is_one_upload_in_key_order() -> None:
    plan = up([file("a.txt", 3), folder("b/"), file("b/c.txt", 5)])
    assert names(plan) == [("Upload", "a.txt"), ("Upload", "b/c.txt")]
    assert [a.size for a in plan if isinstance(a, Upload)] == [3, 5]
    assert all(isinstance(a, Upload) and a.compare is None for a in plan)


def test_an_upload_carries_the_object_it_replaces_only_to_compare() -> None:
    stored = Obj("p/a.txt")
    (compared,) = up([file("a.txt")], [stored], compare=True)
    assert isinstance(compared, Upload)
    assert compared.compare is stored
    (blind,) = up([file("a.txt")], [stored], delete=True)  # listed to delete, not to compare
    assert isinstance(blind, Upload)
    assert blind.compare is None


def test_objects_with_no_local_counterpart_are_deleted_only_when_asked() -> None:
    objects = [Obj("p/a.txt"), Obj("p/gone.txt")]
    assert names(up([file("a.txt")], objects)) == [("Upload", "a.txt")]
    plan = up([file("a.txt")], objects, delete=True)
    assert names(plan) == [("Upload", "a.txt"), ("Delete", "gone.txt")]
    assert plan[1] == Delete("gone.txt", "p/gone.txt")  # the object's own key


def test_any_local_entry_of_the_name_is_a_counterpart() -> None:
    local = [folder("d/"), other("fifo"), other("ln", link=True)]
    objects = [Obj("p/"), Obj("p/d/"), Obj("p/fifo"), Obj("p/ln")]
    assert up(local, objects, delete=True) == []  # and the prefix's own marker ("") stays


def test_a_link_shelters_the_objects_below_its_name_and_no_further() -> None:  # rule 4
    local = [other("ln", link=True)]
    objects = [Obj("p/ln-x"), Obj("p/ln/a"), Obj("p/ln/b/c"), Obj("p/lo")]
    assert names(up(local, objects, delete=True)) == [("Delete", "ln-x"), ("Delete", "lo")]


def test_an_unreadable_directory_fails_and_shelters_what_is_below_it() -> None:  # rules 4, 5
    denied = PermissionError("denied")
    local: LocalItems = [("u/", denied)]
    objects = [Obj("p/u/a"), Obj("p/v")]
    plan = up(local, objects, delete=True, keep=Filter("v", None))
    assert plan == [Fail("u/", denied), Delete("v", "p/v")]  # it fails whatever the filter


def test_a_link_that_fails_fails_as_its_file_and_shelters_its_name() -> None:
    inner = ValidationError("a symbolic link out of the folder")
    plan = up([("ln", _LinkError(inner))], [Obj("p/ln/x")], delete=True)
    assert plan == [Fail("ln", inner)]


def test_include_and_exclude_apply_to_uploads_and_deletes() -> None:
    keep = Filter(["*.txt"], ["skip/"])
    local = [file("a.bin"), file("a.txt"), file("skip/b.txt")]
    objects = [Obj("p/old.bin"), Obj("p/old.txt"), Obj("p/skip/old.txt")]
    plan = up(local, objects, keep=keep, delete=True)
    assert names(plan) == [("Upload", "a.txt"), ("Delete", "old.txt")]


def test_a_name_that_cannot_be_a_key_fails() -> None:
    (failed,) = up([file("\udcff.bin")])
    assert isinstance(failed, Fail)
    assert isinstance(failed.error, ValidationError)


# -- download ----------------------------------------------------------------------------------


def test_each_object_is_one_download_but_empty_directory_markers() -> None:
    objects = [Obj("p/", 0), Obj("p/a", 2), Obj("p/d/", 0), Obj("p/d/b", 4), Obj("p/e/", 1)]
    plan = down(objects)
    assert names(plan) == [("Download", "a"), ("Download", "d/b"), ("Download", "e/")]
    assert [a.size for a in plan if isinstance(a, Download)] == [2, 4, 1]


def test_local_regular_files_with_no_object_are_deleted_only_when_asked() -> None:
    local = [file("a"), other("fifo"), file("gone"), file("link", link=True), file("x.tmp")]
    objects = [Obj("p/a")]
    assert names(down(objects, local)) == [("Download", "a")]
    plan = down(objects, local, delete=True, keep=Filter(None, "*.tmp"))
    assert names(plan) == [("Download", "a"), ("Delete", "gone")]
    assert plan[1] == Delete("gone")  # a local file: no key


# -- the one order -----------------------------------------------------------------------------


def test_both_sides_merge_in_byte_order() -> None:  # rule 1
    # "a-b" < "a/" < "a0" as bytes, the order a depth-first walk sorted per directory gives.
    local = [file("a-b"), file("a/c"), file("a0"), file("é")]
    objects = [Obj("p/a-b"), Obj("p/a/c"), Obj("p/a0"), Obj("p/z"), Obj("p/é")]
    assert sorted([k for k, _ in local], key=key_bytes) == [k for k, _ in local]
    plan = up(local, objects, compare=True, delete=True)
    assert names(plan) == [
        ("Upload", "a-b"),
        ("Upload", "a/c"),
        ("Upload", "a0"),
        ("Delete", "z"),
        ("Upload", "é"),
    ]
    assert all(a.compare is not None for a in plan if isinstance(a, Upload))


def _until_error(plan: Iterator[Action]) -> tuple[list[Action], BaseException | None]:
    got: list[Action] = []
    try:
        for action in plan:
            got.append(action)
    except LakeFSError as exc:
        return got, exc
    return got, None


def test_a_listing_out_of_order_stops_the_plan_before_its_key() -> None:  # rules 1, 2
    objects = [Obj("p/b"), Obj("p/c"), Obj("p/a")]
    plan = plan_upload([file("a")], objects, prefix="p/", keep=_ALL, compare=True, delete=True)
    got, error = _until_error(plan)
    assert "lakeFS's listing is not in byte order at 'a'" in str(error)
    # "a" went up when the listing had passed it; "b" and "c" went before "a" came back.
    assert names(got) == [("Upload", "a"), ("Delete", "b"), ("Delete", "c")]


def test_a_local_side_out_of_order_stops_the_plan_before_anything_is_missing() -> None:
    plan = plan_download([file("b"), file("a")], [Obj("p/c")], prefix="p/", keep=_ALL, delete=True)
    got, error = _until_error(plan)
    assert "the local folder is not in byte order at 'a'" in str(error)
    assert names(got) == [("Delete", "b")]  # "c" was never taken as missing locally


def test_the_same_key_twice_is_out_of_order() -> None:
    plan = plan_download([], [Obj("p/a"), Obj("p/a")], prefix="p/", keep=_ALL, delete=False)
    got, error = _until_error(plan)
    assert names(got) == [("Download", "a")]
    assert error is not None


def test_an_object_listed_outside_the_prefix_fails_where_it_was_listed() -> None:  # rule 3
    objects = [Obj("p/a"), Obj("q/evil"), Obj("p/b")]
    plan = down(objects)
    assert names(plan) == [("Download", "a"), ("Fail", "q/evil"), ("Download", "b")]
    assert isinstance(plan[1], Fail)
    assert isinstance(plan[1].error, APIResponseError)
    assert names(down([Obj("p/a"), Obj("pq")])) == [("Download", "a"), ("Fail", "pq")]
    assert names(up([], [Obj("x")], delete=True)) == [("Fail", "x")]


class _Counted:
    """An iterable that counts what was taken from it."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.taken += 1
            yield item


def test_the_plan_is_lazy_on_both_sides() -> None:  # rule 3
    local = _Counted(file(f"f{i:04}") for i in range(1000))
    objects = _Counted(Obj(f"p/f{i:04}") for i in range(1000))
    plan = plan_upload(local, objects, prefix="p/", keep=_ALL, compare=True, delete=True)
    first = next(plan)
    assert isinstance(first, Upload)
    assert first.rel == "f0000"
    assert local.taken <= 2
    assert objects.taken <= 2
    assert sum(1 for _ in plan) == 999
