"""What does not pickle says so clearly: an upload in progress and a listing (offline)."""

from __future__ import annotations

import json
import pickle

import pytest

import lakefs
from lakefs.testing import MockRequest, MockResponse, mock_client


def _empty_listing(request: MockRequest) -> MockResponse:
    body = {"results": [], "pagination": {"has_more": False, "next_offset": "", "results": 0}}
    return MockResponse(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_a_writer_refuses_to_pickle() -> None:
    client = mock_client(_empty_listing)
    writer = (
        lakefs.repository("repo", client=client)
        .branch("main")
        .open("a.bin", "wb", pre_signed=False)
    )
    writer.write(b"half of it")
    with pytest.raises(TypeError, match="ObjectWriter does not pickle"):
        pickle.dumps(writer)
    writer.discard()


def test_a_paginator_refuses_to_pickle_and_its_list_pickles() -> None:
    client = mock_client(_empty_listing)
    listing = lakefs.repository("repo", client=client).list_branches()
    with pytest.raises(TypeError, match="Paginator does not pickle"):
        pickle.dumps(listing)
    assert pickle.loads(pickle.dumps(listing.to_list())) == []
