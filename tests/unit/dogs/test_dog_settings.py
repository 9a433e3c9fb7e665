"""The dogs unit's settings (DOG_API_URL, DOG_IMAGE_HOSTS, DOG_API_TIMEOUT): a group of its
own, read by the unit's adapters, checked at start-up (``check_units``, gunicorn.conf.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bootstrap.dogs import UNIT
from bootstrap.unit import Footing
from bootstrap.units import check_units
from infrastructure.dogs.settings import DogSettings
from tests.support.app import fake_adapters
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.unit


def test_the_unit_names_its_group_and_the_core_settings_hold_none_of_it() -> None:
    assert list(UNIT.settings) == [DogSettings]
    settings = make_settings()
    for name in DogSettings.model_fields:
        assert not any(
            hasattr(getattr(settings, group), name) for group in type(settings).model_fields
        )


def test_defaults() -> None:
    dogs = make_settings().group(DogSettings)
    assert dogs.dog_api_url == "https://dog.ceo/api/breeds/image/random"
    assert dogs.dog_image_hosts == ["images.dog.ceo"]
    assert dogs.dog_api_timeout == 5.0


def test_hosts_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOG_IMAGE_HOSTS", "images.dog.ceo, CDN.Example.com")
    hosts = make_settings().group(DogSettings).dog_image_hosts
    assert hosts == ["images.dog.ceo", "cdn.example.com"]


def test_values_given_to_the_settings_reach_the_group() -> None:
    dogs = make_settings(dog_api_timeout=2.5).group(DogSettings)
    assert dogs.dog_api_timeout == 2.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dog_image_hosts": ["169.254.169.254"]}, "DOG_IMAGE_HOSTS"),
        ({"dog_image_hosts": ["https://images.dog.ceo"]}, "DOG_IMAGE_HOSTS"),
        ({"dog_image_hosts": [""]}, "DOG_IMAGE_HOSTS"),
        ({"dog_api_timeout": 0}, "dog_api_timeout"),
        ({"dog_api_timeout": 61}, "dog_api_timeout"),
    ],
)
def test_bad_values_stop_the_start(changes: dict[str, Any], message: str) -> None:
    settings = make_settings(**changes)
    with pytest.raises(ValidationError, match=message):
        check_units(settings)
    platform = fake_adapters(make_settings()).platform
    footing = Footing(settings=settings, client=None, platform=platform)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        UNIT.made(footing)


def test_production_wants_an_https_picture_api() -> None:
    check_units(make_settings(**PRODUCTION_SETTINGS))  # refuses nothing
    plain = make_settings(
        **{**PRODUCTION_SETTINGS, "dog_api_url": "http://dog.ceo/api/breeds/image/random"}
    )
    with pytest.raises(ValueError, match="DOG_API_URL must be https in production"):
        check_units(plain)
