# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""The method and URL of each operation this SDK sends (those of codegen/mapping.yaml's methods,
and those listed under its ``operations:``): paths and parameters come from the spec."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lakefs._transport import Transport

__all__ = [
    "Route",
    "abort_presign_multipart_upload",
    "cherry_pick",
    "commit",
    "complete_presign_multipart_upload",
    "copy_object",
    "create_branch",
    "create_presign_multipart_upload",
    "create_repository",
    "create_tag",
    "delete_branch",
    "delete_object",
    "delete_objects",
    "delete_repository",
    "delete_tag",
    "diff_branch",
    "diff_refs",
    "external_principal_login",
    "find_merge_base",
    "get_branch",
    "get_commit",
    "get_config",
    "get_object",
    "get_physical_address",
    "get_repository",
    "get_repository_metadata",
    "get_tag",
    "import_cancel",
    "import_start",
    "import_status",
    "link_physical_address",
    "list_branches",
    "list_objects",
    "list_repositories",
    "list_tags",
    "log_commits",
    "merge_into_branch",
    "reset_branch",
    "revert_branch",
    "stat_object",
    "update_object_user_metadata",
    "upload_object",
    "upload_part",
]


class Route(NamedTuple):
    """An operation's HTTP method and URL."""

    method: str
    url: str


def _text(value: object) -> str:
    """A query value as lakeFS parses it: ``true``/``false``; a datetime in UTC, RFC 3339 (a
    naive one taken as UTC, as everywhere in this SDK, never as local time)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        utc = datetime.timezone.utc
        moment = value.replace(tzinfo=utc) if value.tzinfo is None else value.astimezone(utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def _query(values: dict[str, object]) -> list[tuple[str, str]]:
    """Query parameters: a list as the parameter repeated (``objects=a&objects=b``), None left
    out (a str, the common case, taken as it is)."""
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        if type(value) is str:
            pairs.append((key, value))
        elif isinstance(value, (list, tuple)):
            pairs.extend((key, _text(item)) for item in value if item is not None)
        else:
            pairs.append((key, _text(value)))
    return pairs


def abort_presign_multipart_upload(
    transport: Transport, repository: str, branch: str, upload_id: str, *, path: str
) -> Route:
    """Abort a presign multipart upload.

    ``abortPresignMultipartUpload``:
    ``DELETE /repositories/{repository}/branches/{branch}/staging/pmpu/{uploadId}``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "staging", "pmpu", upload_id],
        _query({"path": path}),
    )
    return Route("DELETE", url)


def cherry_pick(transport: Transport, repository: str, branch: str) -> Route:
    """Replay the changes from the given commit on the branch.

    ``cherryPick``:
    ``POST /repositories/{repository}/branches/{branch}/cherry-pick``
    """
    url = transport.api_url(["repositories", repository, "branches", branch, "cherry-pick"], None)
    return Route("POST", url)


def commit(
    transport: Transport, repository: str, branch: str, *, source_metarange: str | None = None
) -> Route:
    """create commit.

    ``commit``:
    ``POST /repositories/{repository}/branches/{branch}/commits``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "commits"],
        _query({"source_metarange": source_metarange}),
    )
    return Route("POST", url)


def complete_presign_multipart_upload(
    transport: Transport, repository: str, branch: str, upload_id: str, *, path: str
) -> Route:
    """Complete a presign multipart upload request.

    ``completePresignMultipartUpload``:
    ``PUT /repositories/{repository}/branches/{branch}/staging/pmpu/{uploadId}``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "staging", "pmpu", upload_id],
        _query({"path": path}),
    )
    return Route("PUT", url)


def copy_object(transport: Transport, repository: str, branch: str, *, dest_path: str) -> Route:
    """create a copy of an object.

    ``copyObject``:
    ``POST /repositories/{repository}/branches/{branch}/objects/copy``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "objects", "copy"],
        _query({"dest_path": dest_path}),
    )
    return Route("POST", url)


def create_branch(transport: Transport, repository: str) -> Route:
    """create branch.

    ``createBranch``:
    ``POST /repositories/{repository}/branches``
    """
    url = transport.api_url(["repositories", repository, "branches"], None)
    return Route("POST", url)


def create_presign_multipart_upload(
    transport: Transport, repository: str, branch: str, *, path: str, parts: int | None = None
) -> Route:
    """Initiate a multipart upload.

    ``createPresignMultipartUpload``:
    ``POST /repositories/{repository}/branches/{branch}/staging/pmpu``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "staging", "pmpu"],
        _query({"path": path, "parts": parts}),
    )
    return Route("POST", url)


def create_repository(transport: Transport, *, bare: bool | None = None) -> Route:
    """create repository.

    ``createRepository``:
    ``POST /repositories``
    """
    url = transport.api_url(["repositories"], _query({"bare": bare}))
    return Route("POST", url)


def create_tag(transport: Transport, repository: str) -> Route:
    """create tag.

    ``createTag``:
    ``POST /repositories/{repository}/tags``
    """
    url = transport.api_url(["repositories", repository, "tags"], None)
    return Route("POST", url)


def delete_branch(
    transport: Transport, repository: str, branch: str, *, force: bool | None = None
) -> Route:
    """delete branch.

    ``deleteBranch``:
    ``DELETE /repositories/{repository}/branches/{branch}``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch], _query({"force": force})
    )
    return Route("DELETE", url)


def delete_object(
    transport: Transport,
    repository: str,
    branch: str,
    *,
    path: str,
    force: bool | None = None,
    no_tombstone: bool | None = None,
) -> Route:
    """delete object. Missing objects will not return a NotFound error.

    ``deleteObject``:
    ``DELETE /repositories/{repository}/branches/{branch}/objects``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "objects"],
        _query({"path": path, "force": force, "no_tombstone": no_tombstone}),
    )
    return Route("DELETE", url)


def delete_objects(
    transport: Transport,
    repository: str,
    branch: str,
    *,
    force: bool | None = None,
    no_tombstone: bool | None = None,
) -> Route:
    """delete objects. Missing objects will not return a NotFound error.

    ``deleteObjects``:
    ``POST /repositories/{repository}/branches/{branch}/objects/delete``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "objects", "delete"],
        _query({"force": force, "no_tombstone": no_tombstone}),
    )
    return Route("POST", url)


def delete_repository(transport: Transport, repository: str, *, force: bool | None = None) -> Route:
    """delete repository.

    ``deleteRepository``:
    ``DELETE /repositories/{repository}``
    """
    url = transport.api_url(["repositories", repository], _query({"force": force}))
    return Route("DELETE", url)


def delete_tag(
    transport: Transport, repository: str, tag: str, *, force: bool | None = None
) -> Route:
    """delete tag.

    ``deleteTag``:
    ``DELETE /repositories/{repository}/tags/{tag}``
    """
    url = transport.api_url(["repositories", repository, "tags", tag], _query({"force": force}))
    return Route("DELETE", url)


def diff_branch(
    transport: Transport,
    repository: str,
    branch: str,
    *,
    after: str | None = None,
    amount: int | None = None,
    prefix: str | None = None,
    delimiter: str | None = None,
) -> Route:
    """diff branch.

    ``diffBranch``:
    ``GET /repositories/{repository}/branches/{branch}/diff``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "diff"],
        _query({"after": after, "amount": amount, "prefix": prefix, "delimiter": delimiter}),
    )
    return Route("GET", url)


def diff_refs(
    transport: Transport,
    repository: str,
    left_ref: str,
    right_ref: str,
    *,
    after: str | None = None,
    amount: int | None = None,
    prefix: str | None = None,
    delimiter: str | None = None,
    type: str | None = None,
    include_right_stats: bool | None = None,
) -> Route:
    """diff references.

    ``diffRefs``:
    ``GET /repositories/{repository}/refs/{leftRef}/diff/{rightRef}``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", left_ref, "diff", right_ref],
        _query(
            {
                "after": after,
                "amount": amount,
                "prefix": prefix,
                "delimiter": delimiter,
                "type": type,
                "include_right_stats": include_right_stats,
            }
        ),
    )
    return Route("GET", url)


def external_principal_login(transport: Transport) -> Route:
    """perform a login using an external authenticator.

    ``externalPrincipalLogin``:
    ``POST /auth/external/principal/login``
    """
    url = transport.api_url(["auth", "external", "principal", "login"], None)
    return Route("POST", url)


def find_merge_base(
    transport: Transport, repository: str, source_ref: str, destination_branch: str
) -> Route:
    """find the merge base for 2 references.

    ``findMergeBase``:
    ``GET /repositories/{repository}/refs/{sourceRef}/merge/{destinationBranch}``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", source_ref, "merge", destination_branch], None
    )
    return Route("GET", url)


def get_branch(transport: Transport, repository: str, branch: str) -> Route:
    """get branch.

    ``getBranch``:
    ``GET /repositories/{repository}/branches/{branch}``
    """
    url = transport.api_url(["repositories", repository, "branches", branch], None)
    return Route("GET", url)


def get_commit(transport: Transport, repository: str, commit_id: str) -> Route:
    """get commit.

    ``getCommit``:
    ``GET /repositories/{repository}/commits/{commitId}``
    """
    url = transport.api_url(["repositories", repository, "commits", commit_id], None)
    return Route("GET", url)


def get_config(transport: Transport) -> Route:
    """getConfig.

    ``getConfig``:
    ``GET /config``
    """
    url = transport.api_url(["config"], None)
    return Route("GET", url)


def get_object(
    transport: Transport, repository: str, ref: str, *, path: str, presign: bool | None = None
) -> Route:
    """get object content.

    ``getObject``:
    ``GET /repositories/{repository}/refs/{ref}/objects``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", ref, "objects"],
        _query({"path": path, "presign": presign}),
    )
    return Route("GET", url)


def get_physical_address(
    transport: Transport, repository: str, branch: str, *, path: str, presign: bool | None = None
) -> Route:
    """generate an address to which the client can upload an object.

    ``getPhysicalAddress``:
    ``GET /repositories/{repository}/branches/{branch}/staging/backing``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "staging", "backing"],
        _query({"path": path, "presign": presign}),
    )
    return Route("GET", url)


def get_repository(transport: Transport, repository: str) -> Route:
    """get repository.

    ``getRepository``:
    ``GET /repositories/{repository}``
    """
    url = transport.api_url(["repositories", repository], None)
    return Route("GET", url)


def get_repository_metadata(transport: Transport, repository: str) -> Route:
    """get repository metadata.

    ``getRepositoryMetadata``:
    ``GET /repositories/{repository}/metadata``
    """
    url = transport.api_url(["repositories", repository, "metadata"], None)
    return Route("GET", url)


def get_tag(transport: Transport, repository: str, tag: str) -> Route:
    """get tag.

    ``getTag``:
    ``GET /repositories/{repository}/tags/{tag}``
    """
    url = transport.api_url(["repositories", repository, "tags", tag], None)
    return Route("GET", url)


def import_cancel(transport: Transport, repository: str, branch: str, *, id: str) -> Route:
    """cancel ongoing import.

    ``importCancel``:
    ``DELETE /repositories/{repository}/branches/{branch}/import``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "import"], _query({"id": id})
    )
    return Route("DELETE", url)


def import_start(transport: Transport, repository: str, branch: str) -> Route:
    """import data from object store.

    ``importStart``:
    ``POST /repositories/{repository}/branches/{branch}/import``
    """
    url = transport.api_url(["repositories", repository, "branches", branch, "import"], None)
    return Route("POST", url)


def import_status(transport: Transport, repository: str, branch: str, *, id: str) -> Route:
    """get import status.

    ``importStatus``:
    ``GET /repositories/{repository}/branches/{branch}/import``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "import"], _query({"id": id})
    )
    return Route("GET", url)


def link_physical_address(
    transport: Transport, repository: str, branch: str, *, path: str
) -> Route:
    """associate staging on this physical address with a path.

    ``linkPhysicalAddress``:
    ``PUT /repositories/{repository}/branches/{branch}/staging/backing``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "staging", "backing"],
        _query({"path": path}),
    )
    return Route("PUT", url)


def list_branches(
    transport: Transport,
    repository: str,
    *,
    prefix: str | None = None,
    after: str | None = None,
    amount: int | None = None,
    show_hidden: bool | None = None,
) -> Route:
    """list branches.

    ``listBranches``:
    ``GET /repositories/{repository}/branches``
    """
    url = transport.api_url(
        ["repositories", repository, "branches"],
        _query({"prefix": prefix, "after": after, "amount": amount, "show_hidden": show_hidden}),
    )
    return Route("GET", url)


def list_objects(
    transport: Transport,
    repository: str,
    ref: str,
    *,
    user_metadata: bool | None = None,
    presign: bool | None = None,
    after: str | None = None,
    amount: int | None = None,
    delimiter: str | None = None,
    prefix: str | None = None,
) -> Route:
    """list objects under a given prefix.

    ``listObjects``:
    ``GET /repositories/{repository}/refs/{ref}/objects/ls``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", ref, "objects", "ls"],
        _query(
            {
                "user_metadata": user_metadata,
                "presign": presign,
                "after": after,
                "amount": amount,
                "delimiter": delimiter,
                "prefix": prefix,
            }
        ),
    )
    return Route("GET", url)


def list_repositories(
    transport: Transport,
    *,
    prefix: str | None = None,
    after: str | None = None,
    amount: int | None = None,
    search: str | None = None,
) -> Route:
    """list repositories.

    ``listRepositories``:
    ``GET /repositories``
    """
    url = transport.api_url(
        ["repositories"],
        _query({"prefix": prefix, "after": after, "amount": amount, "search": search}),
    )
    return Route("GET", url)


def list_tags(
    transport: Transport,
    repository: str,
    *,
    prefix: str | None = None,
    after: str | None = None,
    amount: int | None = None,
) -> Route:
    """list tags.

    ``listTags``:
    ``GET /repositories/{repository}/tags``
    """
    url = transport.api_url(
        ["repositories", repository, "tags"],
        _query({"prefix": prefix, "after": after, "amount": amount}),
    )
    return Route("GET", url)


def log_commits(
    transport: Transport,
    repository: str,
    ref: str,
    *,
    after: str | None = None,
    amount: int | None = None,
    objects: list[str] | None = None,
    prefixes: list[str] | None = None,
    limit: bool | None = None,
    first_parent: bool | None = None,
    since: datetime.datetime | None = None,
    stop_at: str | None = None,
) -> Route:
    """get commit log from ref. If both objects and prefixes are empty, return all commits.

    ``logCommits``:
    ``GET /repositories/{repository}/refs/{ref}/commits``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", ref, "commits"],
        _query(
            {
                "after": after,
                "amount": amount,
                "objects": objects,
                "prefixes": prefixes,
                "limit": limit,
                "first_parent": first_parent,
                "since": since,
                "stop_at": stop_at,
            }
        ),
    )
    return Route("GET", url)


def merge_into_branch(
    transport: Transport, repository: str, source_ref: str, destination_branch: str
) -> Route:
    """merge references.

    ``mergeIntoBranch``:
    ``POST /repositories/{repository}/refs/{sourceRef}/merge/{destinationBranch}``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", source_ref, "merge", destination_branch], None
    )
    return Route("POST", url)


def reset_branch(transport: Transport, repository: str, branch: str) -> Route:
    """reset branch.

    ``resetBranch``:
    ``PUT /repositories/{repository}/branches/{branch}``
    """
    url = transport.api_url(["repositories", repository, "branches", branch], None)
    return Route("PUT", url)


def revert_branch(transport: Transport, repository: str, branch: str) -> Route:
    """revert.

    ``revertBranch``:
    ``POST /repositories/{repository}/branches/{branch}/revert``
    """
    url = transport.api_url(["repositories", repository, "branches", branch, "revert"], None)
    return Route("POST", url)


def stat_object(
    transport: Transport,
    repository: str,
    ref: str,
    *,
    path: str,
    user_metadata: bool | None = None,
    presign: bool | None = None,
) -> Route:
    """get object metadata.

    ``statObject``:
    ``GET /repositories/{repository}/refs/{ref}/objects/stat``
    """
    url = transport.api_url(
        ["repositories", repository, "refs", ref, "objects", "stat"],
        _query({"path": path, "user_metadata": user_metadata, "presign": presign}),
    )
    return Route("GET", url)


def update_object_user_metadata(
    transport: Transport, repository: str, branch: str, *, path: str
) -> Route:
    """rewrite (all) object metadata.

    ``updateObjectUserMetadata``:
    ``PUT /repositories/{repository}/branches/{branch}/objects/stat/user_metadata``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "objects", "stat", "user_metadata"],
        _query({"path": path}),
    )
    return Route("PUT", url)


def upload_object(
    transport: Transport,
    repository: str,
    branch: str,
    *,
    path: str,
    storage_class: str | None = None,
    force: bool | None = None,
) -> Route:
    """uploadObject.

    ``uploadObject``:
    ``POST /repositories/{repository}/branches/{branch}/objects``
    """
    url = transport.api_url(
        ["repositories", repository, "branches", branch, "objects"],
        _query({"path": path, "storageClass": storage_class, "force": force}),
    )
    return Route("POST", url)


def upload_part(
    transport: Transport,
    repository: str,
    branch: str,
    upload_id: str,
    part_number: str,
    *,
    path: str,
) -> Route:
    """uploadPart.

    ``uploadPart``:
    ``PUT /repositories/{repository}/branches/{branch}/staging/pmpu/{uploadId}/parts/{partNumber}``
    """
    url = transport.api_url(
        [
            "repositories",
            repository,
            "branches",
            branch,
            "staging",
            "pmpu",
            upload_id,
            "parts",
            part_number,
        ],
        _query({"path": path}),
    )
    return Route("PUT", url)
