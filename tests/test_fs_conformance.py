"""fsspec's conformance suite (``fsspec.tests.abstract``: copy, get, put, pipe, open) on lakefs://.

As s3fs runs it: object stores have no empty directories. Each case gets a repository of its own
(the ``repo`` fixture) and works under ``REPO/main``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

import pytest
from fsspec.tests import abstract

from lakefs import Client
from lakefs.fs import LakeFSFileSystem
from tests.conftest import Repo

pytestmark = pytest.mark.server("local")


class LakeFSFixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    """The suite's fixtures for lakefs://."""

    @pytest.fixture
    def fs(self, client: Client, workers: int) -> LakeFSFileSystem:
        return LakeFSFileSystem(client=client, max_workers=workers, skip_instance_cache=True)

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def fs_path(self, repo: Repo) -> str:
        return f"{repo.id}/main"

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class TestLakeFSCopy(abstract.AbstractCopyTests, LakeFSFixtures):  # type: ignore[misc]
    """fsspec's copy cases."""


class TestLakeFSGet(abstract.AbstractGetTests, LakeFSFixtures):  # type: ignore[misc]
    """fsspec's get cases."""


class TestLakeFSPut(abstract.AbstractPutTests, LakeFSFixtures):  # type: ignore[misc]
    """fsspec's put cases (one of them is named like a copy case: renamed, so that the two
    cases' cassettes, named after the test, do not collide)."""

    test_put_with_source_and_destination_as_list = (
        abstract.AbstractPutTests.test_copy_with_source_and_destination_as_list
    )
    test_copy_with_source_and_destination_as_list = None


class TestLakeFSPipe(abstract.AbstractPipeTests, LakeFSFixtures):  # type: ignore[misc]
    """fsspec's pipe cases."""


class TestLakeFSOpen(abstract.AbstractOpenTests, LakeFSFixtures):  # type: ignore[misc]
    """fsspec's open cases."""
