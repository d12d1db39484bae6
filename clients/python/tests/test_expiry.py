"""A real access-token expiry: needs a server with a short --access-ttl.

test.sh runs this file in a second phase against a server started with
BACKBEAT_SERVER_FLAGS="--access-ttl 2s"; against a server with a long TTL it
skips rather than wait."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from backbeat.catalog.v1.catalog_pb2 import SearchRequest
from backbeat.user.v1.user_pb2 import GetMeRequest
from support import DEMO_PASSWORD

from backbeat_sdk import TokenPair, create_client

pytestmark = pytest.mark.expiry


def test_call_after_expiry_refreshes_and_succeeds(base_url: str) -> None:
    seen: list[TokenPair | None] = []
    with create_client(base_url, on_tokens=seen.append) as c:
        c.login("demo", DEMO_PASSWORD)
        first = c.tokens.pair
        assert first is not None
        assert first.access_token_expire_time is not None
        ttl = (first.access_token_expire_time - datetime.now(UTC)).total_seconds()
        if ttl > 10:
            pytest.skip(f"access tokens live {ttl:.0f}s here; run with --access-ttl 2s (test.sh does)")
        assert c.users.get_me(GetMeRequest()).user.username == "demo"

        time.sleep(max(ttl, 0) + 1.5)

        # The stored access token has expired: the call refreshes and succeeds.
        res = c.catalog.search(SearchRequest(query="lodz"))
        assert "Łódź Brass Ensemble" in [r.artist.name for r in res.results]
        assert len(seen) == 2, "login, then exactly one refresh"
        second = c.tokens.pair
        assert second is not None
        assert second.access_token != first.access_token
        assert second.refresh_token != first.refresh_token
        assert second.access_token_expire_time is not None
        assert second.access_token_expire_time > first.access_token_expire_time
