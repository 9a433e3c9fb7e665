"""What introspection, userinfo and the refresh grant read at each call: a client each
process keeps for a few seconds (docs/decisions/0200-oauth-client-cache.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.oauth import ClientCache
from domain.oauth import OAuthClient
from tests.fakes import FakeOAuthClients

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# -- the client cache


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingClients(FakeOAuthClients):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, client_id: str) -> OAuthClient | None:
        self.reads += 1
        return super().get(client_id)


def an_app(client_id: str = "c1") -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name="Example",
        redirect_uris=("https://app.example.com/cb",),
        secret="s3cret",
        scopes=("openid",),
        now=NOW,
    )


def test_a_client_read_is_reused_for_the_ttl_then_read_again() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") == an_app()
    ticks.now += 4.9
    assert cache.get("c1") == an_app()
    assert inner.reads == 1
    ticks.now += 0.2
    assert cache.get("c1") == an_app()
    assert inner.reads == 2


def test_a_client_deleted_through_the_cache_is_gone_at_once() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    cache.add(an_app())
    assert cache.get("c1") is not None
    assert cache.delete("c1") is True
    assert cache.get("c1") is None  # no time passed: the copy was dropped
    assert cache.delete("c1") is False


def test_a_client_deleted_by_another_process_is_seen_within_the_ttl() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") is not None
    inner.delete("c1")  # another process: this one's copy lives on until the TTL
    ticks.now += 4.0
    assert cache.get("c1") is not None
    ticks.now += 1.0
    assert cache.get("c1") is None


def test_an_absent_client_is_never_kept() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    assert cache.get("c1") is None
    inner.add(an_app())  # made in another process (a dynamic registration, say)
    assert cache.get("c1") == an_app()


def test_a_read_under_way_while_the_client_is_deleted_keeps_nothing() -> None:
    ticks = Ticks()

    class DeletedMeanwhile(CountingClients):
        def get(self, client_id: str) -> OAuthClient | None:
            found = super().get(client_id)  # read before the deletion below commits
            if self.reads == 1:
                cache.delete(client_id)
            return found

    inner = DeletedMeanwhile()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") is not None  # the read that raced the deletion answers
    assert cache.get("c1") is None  # but left no copy behind


def test_no_ttl_reads_every_time_and_the_copies_are_bounded() -> None:
    inner, ticks = CountingClients(), Ticks()
    uncached = ClientCache(inner, ttl=0, monotonic=ticks)
    inner.add(an_app())
    uncached.get("c1")
    uncached.get("c1")
    assert inner.reads == 2
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    for n in range(ClientCache.MAX_KEPT + 10):
        inner.add(an_app(f"x{n}"))
        cache.get(f"x{n}")
    assert len(cache._kept) == ClientCache.MAX_KEPT
    reads = inner.reads
    cache.get("x0")  # the oldest went first
    assert inner.reads == reads + 1
