"""The core's claim sources (docs/contributing.md, "Units"), as bind folds them, for the fakes
and the tests that build a minting from fakes: the service's optional units add none."""

from __future__ import annotations

from bootstrap.signin_policies import claim_sources
from bootstrap.units import core_units

CLAIMS = claim_sources(core_units())
