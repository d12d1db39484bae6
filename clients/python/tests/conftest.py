"""Fixtures for the SDK tests. They run against a live Backbeat server whose
URL is in BACKBEAT_URL: `bash clients/python/test.sh` (or
`bash clients/with-server.sh .venv/bin/pytest ...`) starts one with the demo
data and sets it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support import DEMO_PASSWORD, unique_username

from backbeat_sdk import Backbeat, create_client


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("BACKBEAT_URL"):
        msg = (
            "BACKBEAT_URL is not set: these tests need a live server. Run "
            "`bash clients/python/test.sh`, or wrap pytest in `bash clients/with-server.sh`."
        )
        raise pytest.UsageError(msg)


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ["BACKBEAT_URL"]


@pytest.fixture
def anon(base_url: str) -> Iterator[Backbeat]:
    """A client that has not signed in."""
    with create_client(base_url) as c:
        yield c


@pytest.fixture
def demo(base_url: str) -> Iterator[Backbeat]:
    """A client signed in as the demo listener."""
    with create_client(base_url) as c:
        c.login("demo", DEMO_PASSWORD)
        yield c


@pytest.fixture
def stranger(base_url: str) -> Iterator[Backbeat]:
    """A client signed in as a freshly registered listener."""
    with create_client(base_url) as c:
        name = unique_username("stranger")
        c.register(name, f"{name}@example.com", "correct horse battery")
        yield c
