"""A new stream's fields as the domain checks them (domain/log_streams/streams.py): an
https or HEC URL is https to a public host outside the local profile, as a webhook's."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.log_streams.streams import StreamKind, checked_setup

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url", ["http://siem.example.com/", "https://10.0.0.1/", "https://localhost/in"]
)
def test_outside_the_local_profile_a_url_is_https_to_a_public_host(url: str) -> None:
    body = {"kind": "https", "format": "firegate", "url": url}
    with pytest.raises(InvalidInput) as refused:
        checked_setup(body, local=False)
    assert [(e.field, e.code) for e in refused.value.errors] == [("url", "invalid_stream_url")]
    assert checked_setup(body, local=True).target == {"url": url}


def test_a_splunk_token_is_kept_apart_from_what_is_shown() -> None:
    body = {"kind": "splunk_hec", "format": "ocsf", "url": "https://hec.example.com", "token": "t"}
    setup = checked_setup(body, local=False)
    assert (setup.kind, setup.secret, setup.target) == (
        StreamKind.SPLUNK_HEC,
        "t",
        {"url": "https://hec.example.com"},
    )
