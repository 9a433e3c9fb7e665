"""The SSF receiver's calls to a transmitter outside the local profile, on a fake pinned
client (docs/reference/ssf-receiver.md, "The stream"): only https to a host whose every
address is public, to the very address checked, no redirect followed; in the local profile
any address."""

from __future__ import annotations

import pytest

from domain.errors import Unavailable
from infrastructure.shared_signals.receiver_calls import PinnedTransmitterCalls
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeHostResolver

pytestmark = pytest.mark.unit

PUBLIC = "93.184.215.14"
RESOLVED = {
    "tx.example.com": [PUBLIC],
    "meta.example.com": ["169.254.169.254"],  # a cloud's metadata service
    "inside.example.com": [PUBLIC, "10.1.2.3"],
}
CONFIG = {"issuer": "https://tx.example.com", "jwks_uri": "https://tx.example.com/jwks"}


def _calls(client: FakePinnedClient, *, local: bool = False) -> PinnedTransmitterCalls:
    return PinnedTransmitterCalls(client, FakeHostResolver(RESOLVED), local=local)


def test_a_public_https_address_is_called_at_the_address_checked() -> None:
    client = FakePinnedClient({("GET", "https://tx.example.com/c"): CONFIG})
    assert _calls(client).get_json("https://tx.example.com/c") == CONFIG
    assert [a.address for a in client.asked] == [PUBLIC]


@pytest.mark.parametrize(
    "url",
    [
        "http://tx.example.com/c",  # not https
        "https://meta.example.com/c",  # not public
        "https://inside.example.com/c",  # one address not public
        "https://nowhere.example.com/c",  # no address
    ],
)
def test_an_address_not_public_or_not_https_is_not_called(url: str) -> None:
    client = FakePinnedClient({("GET", url): CONFIG, ("POST", url): CONFIG})
    with pytest.raises(Unavailable):
        _calls(client).get_json(url)
    with pytest.raises(Unavailable):
        _calls(client).post(url, b"{}", {})
    assert client.asked == []


def test_a_redirect_or_an_answer_that_is_no_object_is_refused() -> None:
    moved, listed = "https://tx.example.com/moved", "https://tx.example.com/list"
    client = FakePinnedClient({("GET", moved): 302, ("GET", listed): ["a"]})
    for url in (moved, listed):
        with pytest.raises(Unavailable):
            _calls(client).get_json(url)


def test_the_local_profile_calls_any_address() -> None:
    url = "http://127.0.0.1:9/c"
    client = FakePinnedClient({("GET", url): CONFIG})
    assert _calls(client, local=True).get_json(url) == CONFIG
    assert [a.address for a in client.asked] == [None]
