"""The service's claim sources (docs/contributing.md, "Units"), for the tests that build a
minting from fakes: the claims every unit of the service contributes, as bind folds them."""

from __future__ import annotations

from bootstrap.signin import claim_sources
from bootstrap.units import every_unit
from tests.support.settings import make_settings

CLAIMS = claim_sources(every_unit(make_settings()))
