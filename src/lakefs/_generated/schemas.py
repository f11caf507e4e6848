# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""The answers generated code reads, as TypedDicts (datamodel-code-generator)."""

from __future__ import annotations

from typing import Literal, TypeAlias, TypedDict

from typing_extensions import NotRequired


class Commit(TypedDict):
    committer: str
    creation_date: int
    generation: NotRequired[int]
    id: str
    message: str
    meta_range_id: str
    metadata: NotRequired[dict[str, str]]
    parents: list[str]
    version: NotRequired[int]


class FindMergeBaseResult(TypedDict):
    base_commit_id: str
    destination_commit_id: str
    source_commit_id: str


class MergeResult(TypedDict):
    reference: str


ObjectUserMetadata: TypeAlias = dict[str, str]


class Pagination(TypedDict):
    has_more: bool
    max_per_page: int
    next_offset: str
    results: int


class Ref(TypedDict):
    commit_id: str
    id: str


class RefList(TypedDict):
    pagination: Pagination
    results: list[Ref]


class Repository(TypedDict):
    creation_date: int
    default_branch: str
    id: str
    read_only: NotRequired[bool]
    storage_id: NotRequired[str]
    storage_namespace: str


RepositoryMetadata: TypeAlias = dict[str, str]


class CommitList(TypedDict):
    pagination: Pagination
    results: list[Commit]


class DiffObjectStat(TypedDict):
    checksum: str
    content_type: str
    metadata: NotRequired[ObjectUserMetadata]
    mtime: int


class ObjectStats(TypedDict):
    checksum: str
    content_type: NotRequired[str]
    metadata: NotRequired[ObjectUserMetadata]
    mtime: int
    path: str
    path_type: Literal["common_prefix", "object"]
    physical_address: str
    physical_address_expiry: NotRequired[int]
    size_bytes: NotRequired[int]


class ObjectStatsList(TypedDict):
    pagination: Pagination
    results: list[ObjectStats]


class Diff(TypedDict):
    path: str
    path_type: Literal["common_prefix", "object"]
    right: NotRequired[DiffObjectStat]
    size_bytes: NotRequired[int]
    type: Literal["added", "removed", "changed", "conflict", "prefix_changed"]


class DiffList(TypedDict):
    pagination: Pagination
    results: list[Diff]
