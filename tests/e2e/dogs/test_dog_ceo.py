"""The Dog CEO adapter against a local fake API: good answers, and every kind of bad one."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from application.dogs import PictureUnavailable
from infrastructure.dogs.dog_ceo import DogCeoPictureSource, accept_picture_url
from tests.support.fake_dog_api import PICTURE, FakeDogApi, running

pytestmark = pytest.mark.integration
HOSTS = frozenset({"images.dog.ceo"})


@pytest.fixture(scope="module")
def api() -> Iterator[FakeDogApi]:
    with running() as server:
        yield server


@pytest.fixture
def source(api: FakeDogApi) -> DogCeoPictureSource:
    api.mode, api.picture, api.requests[:] = "ok", PICTURE, []
    return DogCeoPictureSource(
        api.url,
        allowed_hosts=HOSTS,
        connect_timeout=0.5,
        read_timeout=0.5,
        deadline=1.0,
        max_bytes=16 * 1024,
    )


def test_a_good_answer_gives_the_picture_url(source: DogCeoPictureSource) -> None:
    assert source.random_picture() == PICTURE


@pytest.mark.parametrize("mode", ["error", "malformed", "huge", "huge-chunked", "slow", "drip"])
def test_bad_answers_are_unavailable_and_quick(
    api: FakeDogApi, source: DogCeoPictureSource, mode: str
) -> None:
    api.mode = mode
    started = time.monotonic()
    with pytest.raises(PictureUnavailable):
        source.random_picture()
    # Cut by the timeouts and the deadline (1 s), not waited out: the drip takes 10 s.
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "https://images.dog.ceo/x.jpg", "/secret"],
)
def test_no_redirect_is_followed(api: FakeDogApi, source: DogCeoPictureSource, target: str) -> None:
    api.mode = f"redirect:{target}"
    with pytest.raises(PictureUnavailable, match="302"):
        source.random_picture()
    assert api.requests == ["/api/breeds/image/random"]  # the target was never asked for


@pytest.mark.parametrize(
    "picture",
    [
        "http://images.dog.ceo/breeds/x.jpg",  # not https
        "https://evil.example/x.jpg",
        "https://images.dog.ceo.evil.example/x.jpg",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/x.jpg",
        "https://[::1]/x.jpg",
        "https://10.0.0.8/x.jpg",
        "https://user:pw@images.dog.ceo/x.jpg",
        "https://images.dog.ceo:8443/x.jpg",
        "https://images.dog.ceo\\@evil.example/x.jpg",
        "https://images.dog.ceo/x .jpg",
        "javascript:alert(1)",
        "//images.dog.ceo/x.jpg",
        "https://" + "a" * 3000,
        "",
        None,
        42,
        ["https://images.dog.ceo/x.jpg"],
    ],
)
def test_hostile_picture_urls_are_refused(
    api: FakeDogApi, source: DogCeoPictureSource, picture: object
) -> None:
    api.picture = picture
    with pytest.raises(PictureUnavailable):
        source.random_picture()


def test_allowed_urls() -> None:
    for url in (
        "https://images.dog.ceo/breeds/hound/1.jpg",
        "https://images.dog.ceo:443/breeds/hound/1.jpg",
        "https://IMAGES.DOG.CEO/x.jpg",
        "https://images.dog.ceo./x.jpg",
    ):
        assert accept_picture_url(url, HOSTS) == url


def test_an_unreachable_api_is_unavailable_without_internals() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    source = DogCeoPictureSource(f"http://127.0.0.1:{port}/api", connect_timeout=0.5)
    with pytest.raises(PictureUnavailable) as info:
        source.random_picture()
    assert "127.0.0.1" not in str(info.value)
