"""The one call path (``lakefs._wire``): what generated methods send, and how every answer is read.

No network: each request is answered by a function (``Client(transport=MockTransport(...))``).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest

import lakefs
from lakefs import APIResponseError, Client
from lakefs.testing import MockResponse, MockTransport

KEYS = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "mock-secret"}
COMMIT = {
    "id": "c2",
    "parents": ["c1"],
    "committer": "me",
    "message": "m",
    "creation_date": 0,
    "meta_range_id": "",
    "metadata": {},
}


def _client(answer: MockResponse) -> tuple[Client, MockTransport]:
    transport = MockTransport(lambda request: answer)
    client = Client(host="http://lakefs.mock", transport=transport, retries=0, **KEYS)
    return client, transport


def test_a_body_goes_as_lakefs_sdk_sends_it() -> None:
    client, transport = _client(MockResponse.json(COMMIT))
    main = lakefs.repository("repo", client=client).branch("main")
    assert main.commit_changes("m", {"k": "v"}).id == "c2"
    [request] = transport.requests
    assert (request.method, request.path) == (
        "POST",
        "/api/v1/repositories/repo/branches/main/commits",
    )
    assert request.headers["Content-Type"] == "application/json"
    # None left out; the spec's defaults of what is not set sent (as lakefs_sdk's models do)
    assert request.json() == {
        "message": "m",
        "metadata": {"k": "v"},
        "allow_empty": False,
        "force": False,
    }


def test_a_query_goes_as_lakefs_reads_it() -> None:
    client, transport = _client(
        MockResponse.json({"results": [], "pagination": {"has_more": False}})
    )
    main = lakefs.repository("repo", client=client).branch("main")
    since = datetime.datetime(2100, 1, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    list(main.log(objects=["a b", "c"], since=since, first_parent=True))
    [request] = transport.requests
    assert request.path == "/api/v1/repositories/repo/refs/main/commits"
    assert "objects=a%20b&objects=c" in request.url  # a list: the parameter repeated
    assert request.query["since"] == "2100-01-01T00:00:00.000000Z"  # in UTC, RFC 3339
    assert request.query["first_parent"] == "true"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (MockResponse(200, b"<html>login</html>", {"Content-Type": "text/html"}), "a web page"),
        (MockResponse(200, b"{not json", {"Content-Type": "application/json"}), "not JSON"),
        (MockResponse(200, b"[1, 2]", {"Content-Type": "application/json"}), "got list"),
    ],
)
def test_an_answer_not_from_lakefs_is_named(answer: MockResponse, message: str) -> None:
    client, _ = _client(answer)
    with pytest.raises(APIResponseError, match=message) as caught:
        lakefs.repository("repo", client=client).branch("main").head()
    assert caught.value.path == "/api/v1/repositories/repo/branches/main"


def test_a_field_left_out_is_an_api_response_error() -> None:
    client, _ = _client(MockResponse.json({"id": "main"}))  # no commit_id
    with pytest.raises(APIResponseError, match="'commit_id'"):
        lakefs.repository("repo", client=client).branch("main").head()


def test_extra_headers_are_checked_and_sent() -> None:
    client, transport = _client(MockResponse.json({"id": "main", "commit_id": "c1"}))
    main = lakefs.repository("repo", client=client).branch("main")
    main.head(extra_headers={"X-Trace": "t1"})
    assert transport.requests[0].headers["X-Trace"] == "t1"
    with pytest.raises(lakefs.ValidationError, match="line breaks"):
        main.head(extra_headers={"X-Trace": "a\r\nInjected: 1"})
    assert len(transport.requests) == 1  # refused before any request


def test_import_lakefs_does_not_import_lakefs_sdk_pydantic_fsspec_or_sqlite3() -> None:
    code = (
        "import sys, lakefs; lakefs.Client(host='http://lakefs.mock', access_key_id='a', "
        "secret_access_key='s'); "
        "print(sorted(m for m in ('lakefs_sdk', 'pydantic', 'fsspec', 'tqdm', 'yaml', 'sqlite3') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.replace("'", '"')) == []


def test_urllib3_http_client_and_ssl_are_imported_with_the_first_client_not_with_lakefs() -> None:
    code = (
        "import sys, lakefs\n"
        "heavy = ('urllib3', 'http.client', 'ssl')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "lakefs.repository('repo').branch('main')  # resources build no client\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "lakefs.Client(host='http://lakefs.mock', access_key_id='a', secret_access_key='s')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKECTL_")}
    env["HOME"] = "/nonexistent"  # no ~/.lakectl.yaml: nothing resolves a client early
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    before, resources, after = (
        json.loads(line.replace("'", '"')) for line in out.stdout.splitlines()
    )
    assert before == []
    assert resources == []
    assert after == ["urllib3", "http.client", "ssl"]


def test_the_sdk_is_silent_unless_logging_is_configured() -> None:
    code = (
        "import lakefs\n"
        "from lakefs.testing import MockResponse, MockTransport\n"
        'busy = MockTransport(lambda r: MockResponse(503, b\'{"message": "busy"}\'))\n'
        "c = lakefs.Client(host='http://lakefs.mock', access_key_id='a', secret_access_key='s',"
        " retries=0, transport=busy)\n"
        "try:\n"
        "    lakefs.repository('repo', client=c).branch('main').head()\n"
        "except lakefs.ServerError:\n"
        "    print('raised')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LAKEFS_LOG"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout == "raised\n"
    assert out.stderr == ""  # no warning through Python's last-resort handler


def test_a_naive_datetime_in_a_query_is_taken_as_utc() -> None:
    from lakefs._generated import operations as ops

    client, _ = _client(MockResponse.json({}))
    naive = datetime.datetime(2100, 1, 1, 2, 30)
    route = ops.log_commits(client.transport, "repo", "main", since=naive)
    assert "since=2100-01-01T02%3A30%3A00.000000Z" in route.url  # not shifted by local time
