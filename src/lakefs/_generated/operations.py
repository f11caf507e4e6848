# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""The method and URL of each operation hand-written code sends itself (listed under
``operations:`` in codegen/mapping.yaml): paths and parameters come from the spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lakefs._transport import Transport

__all__ = [
    "Route",
    "abort_presign_multipart_upload",
    "complete_presign_multipart_upload",
    "create_presign_multipart_upload",
    "delete_object",
    "delete_objects",
    "external_principal_login",
    "get_commit",
    "get_config",
    "get_object",
    "get_physical_address",
    "import_cancel",
    "import_start",
    "import_status",
    "link_physical_address",
    "list_objects",
    "list_repositories",
    "revert_branch",
    "stat_object",
    "upload_object",
    "upload_part",
]


class Route(NamedTuple):
    """An operation's HTTP method and URL."""

    method: str
    url: str


def _query(values: dict[str, object]) -> dict[str, str]:
    """Query parameters as lakeFS reads them (booleans as ``true``/``false``; None left out)."""
    return {
        key: ("true" if value is True else "false" if value is False else str(value))
        for key, value in values.items()
        if value is not None
    }


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


def external_principal_login(transport: Transport) -> Route:
    """perform a login using an external authenticator.

    ``externalPrincipalLogin``:
    ``POST /auth/external/principal/login``
    """
    url = transport.api_url(["auth", "external", "principal", "login"], None)
    return Route("POST", url)


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
