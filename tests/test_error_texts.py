"""Error texts name what they are about, and only credentials and signatures are redacted.

The texts' format is documented in ``lakefs._exceptions``; the redaction rule in
``lakefs._logs.redact``. The live tests pin what lakeFS 1.86.0 answers (replayed from cassettes).
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Callable

import pytest
import urllib3

import lakefs
from lakefs import (
    Client,
    NotFoundError,
    ObjectInfo,
    ObjectNotFoundError,
    ValidationError,
)
from lakefs._exceptions import APIStatusError, _restore, make_status_error
from lakefs._logs import RedactingFilter, get_logger, redact
from lakefs._transport import safe_cause
from lakefs.testing import MockRequest, MockResponse, mock_client, sent_requests
from tests.conftest import Repo, Server

API = "http://lakefs.mock/api/v1"
NOT_FOUND = b'{"message": "not found"}'


def _answer(status: int, body: bytes) -> Callable[[MockRequest], MockResponse]:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(status, body, {"Content-Type": "application/json"})

    return handler


# -- texts that name the object -------------------------------------------------------------------


def test_a_missing_object_names_its_repository_ref_and_path() -> None:
    client = mock_client(_answer(404, NOT_FOUND))
    ref = lakefs.repository("example-repo", client=client).branch("main")
    with pytest.raises(ObjectNotFoundError) as info:
        ref.stat_object("datasets/a b.csv")
    err = info.value
    assert str(err) == (
        "404 GET /api/v1/repositories/example-repo/refs/main/objects/stat "
        "(path='datasets/a b.csv'): not found"
    )
    where = (err.repository, err.ref, err.object_path)
    assert where == ("example-repo", "main", "datasets/a b.csv")
    assert err.params == (("path", "datasets/a b.csv"),)
    assert isinstance(info.value, FileNotFoundError)
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.repository, copy.ref, copy.object_path, copy.params) == (
        str(err),
        "example-repo",
        "main",
        "datasets/a b.csv",
        err.params,
    )


def test_a_download_names_the_object_too() -> None:
    client = mock_client(_answer(404, NOT_FOUND))
    ref = lakefs.repository("example-repo", client=client).commit("c0ffee")
    with pytest.raises(ObjectNotFoundError, match=r"refs/c0ffee/objects \(path='x/y\.bin'\)"):
        ref.download("x/y.bin")


@pytest.mark.parametrize(
    "message", ["branch not found", "repository not found", "not found", "commit not found"]
)
def test_the_servers_message_is_kept_verbatim(message: str) -> None:
    client = mock_client(_answer(404, f'{{"message": "{message}"}}'.encode()))
    info = ObjectInfo("example-repo", "dev", "a.csv", client=client)
    with pytest.raises(ObjectNotFoundError) as caught:
        info.delete()
    assert str(caught.value) == (
        "404 DELETE /api/v1/repositories/example-repo/branches/dev/objects (path='a.csv'): "
        + message
    )
    assert caught.value.message == message


def test_a_body_less_answer_still_names_the_object() -> None:
    client = mock_client(lambda request: MockResponse(404, b""))
    url = client.transport.api_url(
        ["repositories", "example-repo", "refs", "main", "objects"], {"path": "a/b.csv"}
    )
    with pytest.raises(ObjectNotFoundError) as info:
        client.transport.request("HEAD", url)
    assert str(info.value) == (
        "404 HEAD /api/v1/repositories/example-repo/refs/main/objects (path='a/b.csv'): Not Found"
    )


def test_non_object_errors_name_their_repository_and_ref() -> None:
    client = mock_client(_answer(409, b'{"message": "branch already exists"}'))
    with pytest.raises(lakefs.ConflictError) as info:
        lakefs.repository("example-repo", client=client).branch("dev").create("main")
    err = info.value
    assert str(err) == "409 POST /api/v1/repositories/example-repo/branches: branch already exists"
    assert (err.repository, err.ref, err.object_path) == ("example-repo", None, None)
    missing = make_status_error(
        404,
        body=b'{"message": "commit not found"}',
        headers=None,
        method="GET",
        path=f"{API}/repositories/r-1/commits/c%2F1",
    )
    assert (missing.repository, missing.ref) == ("r-1", "c/1")
    listing = make_status_error(
        404,
        body=NOT_FOUND,
        headers=None,
        method="GET",
        path=f"{API}/repositories/r-1/refs/main~1/objects/ls?after=&amount=100&prefix=d%2F",
    )
    assert listing.ref == "main~1"
    assert str(listing).endswith("/objects/ls (amount='100', prefix='d/'): not found")


def test_an_object_stores_xml_error_is_read_for_its_code_and_message() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        b"<Message>Request has expired &amp; is refused</Message>"
        b"<X-Amz-Expires>900</X-Amz-Expires><AWSAccessKeyId>AKIAEXAMPLE1</AWSAccessKeyId>"
        b"<SignatureProvided>f00dfeed</SignatureProvided></Error>"
    )
    err = make_status_error(
        403,
        body=body,
        headers=None,
        method="GET",
        path="https://bucket.s3.example/k/e%20y?X-Amz-Credential=AKIAEXAMPLE1%2F2026"
        "&X-Amz-Signature=f00dfeed&x-id=GetObject",
    )
    assert str(err) == (
        "403 GET /k/e%20y (X-Amz-Credential=REDACTED, X-Amz-Signature=REDACTED, x-id='GetObject')"
        ": object store: AccessDenied: Request has expired & is refused"
    )
    assert err.body is not None
    for secret in ("AKIAEXAMPLE1", "f00dfeed"):
        assert secret not in err.body
        assert secret not in repr(err)


def test_an_error_pickled_without_the_new_attributes_still_reads() -> None:
    err = make_status_error(404, body=NOT_FOUND, headers=None, method="GET", path="/x")
    state = {
        k: v
        for k, v in err.__dict__.items()
        if k not in ("params", "repository", "ref", "object_path")
    }
    old = _restore(type(err), err.args, state)
    assert isinstance(old, APIStatusError)
    assert str(old) == "404 GET /x: not found"
    assert old.object_path is None


# -- redaction: only credentials and signatures ----------------------------------------------------

SIGNED = [
    ("X-Amz-Signature", "0123abcd0123abcd"),
    ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/s3/aws4_request"),
    ("X-Amz-Security-Token", "FwoGZXIvYXdzEBYaDOPQ"),
    ("x-amz-date", "20261201T000000Z"),
    ("Signature", "bG9uZyBzaWduYXR1cmU="),
    ("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
    ("X-Goog-Signature", "5c3a9e0f"),
    ("X-Goog-Credential", "svc@project.iam.gserviceaccount.com/20261201/auto/storage"),
    ("GoogleAccessId", "svc@project.iam.gserviceaccount.com"),
    ("sig", "c2FzLXNpZ25hdHVyZQ=="),
    ("se", "2026-12-01T00:00:00Z"),
    ("token", "tok-0123456789"),
    ("access_token", "ya29.a0Af"),
]


@pytest.mark.parametrize(("name", "value"), SIGNED, ids=[n for n, _ in SIGNED])
def test_each_secret_parameter_is_redacted_and_path_survives(name: str, value: str) -> None:
    from urllib.parse import quote

    url = (
        f"{API}/repositories/example-repo/refs/main/objects?path=a%2Fb.csv"
        f"&{name}={quote(value, safe='')}&amount=10&presign=true"
    )
    encoded = quote(value, safe="")
    # Error texts
    err = make_status_error(404, body=NOT_FOUND, headers=None, method="GET", path=url)
    assert f"{name}=REDACTED" in str(err)
    assert "path='a/b.csv'" in str(err)
    assert "amount='10'" in str(err)
    assert "presign='true'" in str(err)
    # Causes
    cause = safe_cause(urllib3.exceptions.ProtocolError(f"Connection broken: {url}"))
    # Log lines
    record = logging.LogRecord("lakefs.test", logging.DEBUG, __file__, 1, "GET %s", (url,), None)
    RedactingFilter().filter(record)
    # JSON bodies ("&" written "\u0026")
    json_text = redact(url.replace("&", "\\u0026"))
    for text in (str(err), repr(err), str(cause), record.getMessage(), json_text):
        assert value not in text, text
        assert encoded not in text, text
        assert f"{name}=REDACTED" in text, text
        assert "path=a%2Fb.csv" in text or "path='a/b.csv'" in text, text


def test_a_urls_password_is_masked_and_the_rest_kept() -> None:
    text = "could not reach http://alice:s3cr%40t-pw@proxy.example:3128 for https://lakefs/a?path=x"
    assert redact(text) == (
        "could not reach http://alice:****@proxy.example:3128 for https://lakefs/a?path=x"
    )
    cause = safe_cause(OSError(text))
    assert "s3cr" not in str(cause)
    assert "alice:****@proxy.example:3128" in str(cause)


@pytest.mark.parametrize(
    "line",
    [
        "GET http://lakefs/api/v1/repositories/r/refs/main/objects/ls?prefix=tokens%2F&after=x",
        "404 GET /api/v1/repositories/r/refs/main/objects (path='a.csv', presign='true'): nope",
        "PUT http://s3:9000/b/k?partNumber=2&uploadId=abc&x-id=UploadPart",
        "https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sp=r&sr=b",
    ],
)
def test_what_is_not_secret_is_kept(line: str) -> None:
    assert redact(line) == line


def test_safe_cause_keeps_an_error_without_secrets_as_it_is() -> None:
    exc = urllib3.exceptions.ProtocolError("Connection broken: http://h/api/v1/x?path=a.csv")
    assert safe_cause(exc) is exc


def test_sdk_log_lines_keep_the_object_path_but_not_a_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = get_logger("test")
    with caplog.at_level(logging.DEBUG, logger="lakefs"):
        log.debug("GET %s", "http://s3/b/k?X-Amz-Signature=feedbeef&path=a.csv")
    assert "feedbeef" not in caplog.text
    assert "X-Amz-Signature=REDACTED&path=a.csv" in caplog.text


# -- ObjectInfo and CommonPrefix given resources ------------------------------------------------


def _recording_client() -> Client:
    return mock_client(_answer(404, NOT_FOUND))


@pytest.mark.parametrize("cls", [ObjectInfo, lakefs.CommonPrefix])
def test_resources_are_taken_with_their_ids_and_client(
    cls: type[ObjectInfo | lakefs.CommonPrefix],
) -> None:
    client = _recording_client()
    repo = lakefs.repository("example-repo", client=client)
    for ref in (repo.branch("dev"), repo.tag("v1.0"), repo.commit("c0ffee")):
        for repository in (repo, "example-repo"):
            item = cls(repository, ref, "data/")
            assert (item.repository_id, item.reference_id, item.path) == (
                "example-repo",
                ref.id,
                "data/",
            )
            assert item.client is client
    item = cls(repo, "main", "data/")
    assert (item.reference_id, item.client) == ("main", client)
    assert item == cls("example-repo", "main", "data/", client=client)


def test_object_info_given_resources_asks_the_server_for_the_right_object() -> None:
    client = _recording_client()
    repo = lakefs.repository("example-repo", client=client)
    assert ObjectInfo(repo, repo.branch("dev"), "a/b.csv").exists() is False
    (request,) = sent_requests(client)
    assert request.path == "/api/v1/repositories/example-repo/refs/dev/objects/stat"
    assert request.query == {"path": "a/b.csv"}


def test_an_explicit_client_wins_over_the_resources() -> None:
    theirs, mine = _recording_client(), _recording_client()
    repo = lakefs.repository("example-repo", client=theirs)
    info = ObjectInfo(repo, repo.branch("main"), "a.csv", client=mine)
    assert info.client is mine
    assert info.exists() is False
    assert len(sent_requests(mine)) == 1
    assert sent_requests(theirs) == []


def test_the_references_client_comes_before_the_repositorys() -> None:
    first, second = _recording_client(), _recording_client()
    repo = lakefs.repository("example-repo", client=first)
    ref = lakefs.repository("example-repo", client=second).branch("main")
    assert ObjectInfo(repo, ref, "a.csv").client is second
    assert ObjectInfo(lakefs.repository("example-repo"), ref, "a.csv").client is second
    assert ObjectInfo(repo, lakefs.Branch("example-repo", "main"), "a.csv").client is first


@pytest.mark.parametrize("cls", [ObjectInfo, lakefs.CommonPrefix])
@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ((1, "main", "a.csv"), "repository_id must be a repository id"),
        (("example-repo", 2, "a.csv"), "reference_id must be a reference id"),
        (("example-repo", None, "a.csv"), "reference_id must be a reference id"),
        (("example-repo", "main", b"a.csv"), "path must be a str"),
        (("example-repo", lakefs.repository("example-repo"), "a.csv"), "not Repository"),
        ((lakefs.repository("example-repo").branch("main"), "main", "a.csv"), "not Branch"),
        (("other-repo", lakefs.Branch("example-repo", "main"), "a.csv"), "is in repository"),
        (
            (lakefs.repository("other-repo"), lakefs.Tag("example-repo", "v1"), "a.csv"),
            "is in repository 'example-repo', not 'other-repo'",
        ),
        (("Not_A_Repo", "main", "a.csv"), "not a valid repository name"),
        (("example-repo", "has space", "a.csv"), "not a valid reference"),
    ],
)
def test_anything_else_is_refused_at_construction(
    cls: type[ObjectInfo | lakefs.CommonPrefix],
    args: tuple[object, object, object],
    complaint: str,
) -> None:
    client = _recording_client()
    with pytest.raises(ValidationError, match=re.escape(complaint)):
        cls(*args, client=client)  # type: ignore[arg-type]
    assert sent_requests(client) == []


def test_an_object_needs_a_path_but_a_prefix_may_be_empty() -> None:
    client = _recording_client()
    with pytest.raises(ValidationError, match="path must not be empty"):
        ObjectInfo("example-repo", "main", "", client=client)
    assert lakefs.CommonPrefix("example-repo", "main", "", client=client).path == ""


# -- what lakeFS 1.86.0 answers (recorded) --------------------------------------------------------


def _lakefs(server: Server, client: Client, repo: Repo) -> tuple[lakefs.Repository, lakefs.Branch]:
    repository = lakefs.repository(repo.id, client=client)
    return repository, repository.branch("main")


@pytest.mark.server("local")
def test_lakefs_tells_a_missing_repository_branch_and_object(
    server: Server, client: Client, repo: Repo
) -> None:
    repository, main = _lakefs(server, client, repo)
    base = f"/api/v1/repositories/{repo.id}"
    main.upload(b"x", "present.csv")

    # A missing object on an existing branch: stat, read, download, exists.
    with pytest.raises(ObjectNotFoundError) as stat:
        main.stat_object("no/such.csv")
    assert str(stat.value) == (
        f"404 GET {base}/refs/main/objects/stat (path='no/such.csv'): not found"
    )
    with pytest.raises(ObjectNotFoundError) as read:
        main.open("no/such.csv", "rb")
    assert str(read.value) == f"404 GET {base}/refs/main/objects (path='no/such.csv'): not found"
    with pytest.raises(ObjectNotFoundError) as download:
        main.download("no/such.csv")
    assert str(download.value) == str(read.value)
    assert ObjectInfo(repository, main, "no/such.csv").exists() is False
    assert ObjectInfo(repository, main, "present.csv").exists() is True

    # A body-less answer (HEAD) still names the object.
    head = client.transport.api_url(
        ["repositories", repo.id, "refs", "main", "objects"], {"path": "no/such.csv"}
    )
    with pytest.raises(ObjectNotFoundError) as headed:
        client.transport.request("HEAD", head)
    assert str(headed.value) == f"404 HEAD {base}/refs/main/objects (path='no/such.csv'): Not Found"

    # A missing branch: lakeFS says "branch not found" where the path is a branch's, and only
    # "not found" when an object is read at a reference that does not exist.
    nobranch = repository.branch("no-such-branch")
    with pytest.raises(NotFoundError) as branch:
        nobranch.head()
    assert str(branch.value) == f"404 GET {base}/branches/no-such-branch: branch not found"
    assert not isinstance(branch.value, ObjectNotFoundError)
    with pytest.raises(ObjectNotFoundError) as deleted:
        ObjectInfo(repository, nobranch, "present.csv").delete()
    assert str(deleted.value) == (
        f"404 DELETE {base}/branches/no-such-branch/objects (path='present.csv'): branch not found"
    )
    with pytest.raises(ObjectNotFoundError) as at_missing:
        nobranch.stat_object("present.csv")
    assert str(at_missing.value) == (
        f"404 GET {base}/refs/no-such-branch/objects/stat (path='present.csv'): not found"
    )
    assert (at_missing.value.ref, at_missing.value.object_path) == ("no-such-branch", "present.csv")

    # A missing commit.
    commit = repository.commit("0" * 64)
    with pytest.raises(NotFoundError) as no_commit:
        commit.get_commit()
    assert str(no_commit.value) == f"404 GET {base}/commits/{'0' * 64}: commit not found"

    # A missing repository: lakeFS says so, also for an object in it.
    gone = lakefs.repository("no-such-repo-0", client=client).branch("main")
    with pytest.raises(ObjectNotFoundError) as no_repo:
        gone.stat_object("present.csv")
    assert str(no_repo.value) == (
        "404 GET /api/v1/repositories/no-such-repo-0/refs/main/objects/stat (path='present.csv')"
        ": repository not found"
    )
    assert no_repo.value.repository == "no-such-repo-0"

    # Deleting a missing object on an existing branch is no error in lakeFS.
    ObjectInfo(repository, main, "no/such.csv").delete()


_LEAKED_SIGNATURE = re.compile(r"X-Amz-(?:Signature|Credential)=(?!REDACTED)")


@pytest.mark.server("s3")
def test_a_pre_signed_read_of_lost_data_names_the_object_and_no_signature(
    server: Server, client: Client, repo: Repo, caplog: pytest.LogCaptureFixture
) -> None:
    _, main = _lakefs(server, client, repo)
    data = bytes(range(256)) * 1024
    main.upload(data, "lost.bin")
    main.upload(b"x", "gone.bin")
    http = server.http()

    def lose(path: str) -> None:  # remove the object's data from the store behind lakeFS's back
        key = main.stat_object(path).physical_address().removeprefix("s3://")
        assert http.request("DELETE", f"{server.s3_endpoint}/{key}").status == 204

    # Through lakeFS's redirect: the text is lakeFS's path and the store's own error.
    lose("gone.bin")
    with pytest.raises(ObjectNotFoundError) as redirected:
        main.open("gone.bin", "rb", pre_signed=True)
    assert str(redirected.value) == (
        f"404 GET /api/v1/repositories/{repo.id}/refs/main/objects "
        "(path='gone.bin', presign='true'): object store: NoSuchKey"
    )

    # Straight to the store (a later block of an open file): the store's URL, signature redacted.
    with main.open("lost.bin", "rb", pre_signed=True, block_size=16 * 1024) as f:
        assert f.read(100) == data[:100]
        lose("lost.bin")
        f.seek(200_000)
        with pytest.raises(NotFoundError) as direct:
            f.read(100)
    text = str(direct.value)
    assert "X-Amz-Signature=REDACTED" in text
    assert "object store: NoSuchKey" in text
    assert direct.value.path.startswith(f"/{server.s3_bucket}/")
    texts = [text, repr(direct.value), str(direct.value.body), str(redirected.value)]
    texts += [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if _LEAKED_SIGNATURE.search(t)]
