"""The dogs unit's fixtures: its picture source, which a test makes fail, behind the app on
the fakes (``fake_app``) as the unit's own adapters."""

from __future__ import annotations

import pytest

from bootstrap import Adapters
from bootstrap.dogs import DogsAdapters
from tests.support.app import swap
from tests.unit.dogs.fakes import FakeDogRepository, FakePictureSource


@pytest.fixture
def pictures() -> FakePictureSource:
    return FakePictureSource()


@pytest.fixture
def adapters(adapters: Adapters, pictures: FakePictureSource) -> Adapters:
    """The app's fakes with the unit's on ``pictures``."""
    return swap(adapters, dogs=DogsAdapters(dogs=FakeDogRepository(), pictures=pictures))
