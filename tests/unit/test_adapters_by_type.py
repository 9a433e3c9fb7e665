"""The core's units make their own adapters (``Unit.makes`` on a ``Footing``), what one
takes of another prepared under the taker's key (``Unit.prepares``), and ``Adapters`` reads
and swaps a core unit's by their type; ``build_adapters`` names no capability
(docs/decisions/0845-the-core-makes-its-own-adapters.md)."""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from pathlib import Path

import pytest

from bootstrap import build_adapters
from bootstrap.accounts import STAGED_WRITES, AccountsAdapters
from bootstrap.events import staged_writer
from bootstrap.mail import MailAdapters
from bootstrap.signin_adapters import ACTIVE_ORGS, SigninAdapters
from bootstrap.unit import Footing, Placed
from bootstrap.units import CORE_UNITS, core_units
from infrastructure.firestore.client import make_client
from infrastructure.firestore.orgs.membership_reads import FirestoreActiveOrgs
from tests.fakes.mail import FakeMailer
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

BOOTSTRAP = Path(__file__).resolve().parents[2] / "src" / "bootstrap"


def test_each_core_unit_makes_its_adapters_with_its_modules_build() -> None:
    for unit in core_units():
        module = import_module(
            "bootstrap.signin_adapters" if unit.name == "signin" else f"bootstrap.{unit.name}"
        )
        assert unit.makes is module.build, unit.name


def test_the_production_adapters_are_each_core_units_own_on_what_the_others_prepare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing is called: the Firestore client is made by its first use (port 9 if it came).
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    settings = make_settings()
    adapters = build_adapters(settings, firestore=make_client("demo-firegate"))
    assert [placed.unit.name for placed in adapters.core()] == list(CORE_UNITS)
    fakes = fake_adapters(settings)
    for made, fake in zip(adapters.core(), fakes.core(), strict=True):
        assert type(made.adapters) is type(fake.adapters), made.unit.name
    # Sign-in's adapters take the orgs' reads of a session's org, which the orgs prepare.
    assert isinstance(adapters.of(SigninAdapters).active_orgs, FirestoreActiveOrgs)


def test_a_key_none_prepares_is_refused_and_the_last_one_prepared_is_read() -> None:
    settings = make_settings()
    platform = fake_adapters(settings).platform
    footing = Footing(settings=settings, client=object(), platform=platform)  # type: ignore[arg-type]
    with pytest.raises(LookupError, match="active org"):
        footing.offered(ACTIVE_ORGS)
    first, last = staged_writer(), staged_writer()
    prepared = replace(footing, offers=(STAGED_WRITES(first), STAGED_WRITES(last)))
    assert prepared.offered(STAGED_WRITES) is last


def test_a_core_units_adapters_are_read_and_swapped_by_their_type() -> None:
    adapters = fake_adapters(make_settings())
    mail = adapters.of(MailAdapters)
    assert mail is next(p.adapters for p in adapters.core() if p.unit.name == "mail")
    mailer = FakeMailer()
    swapped = adapters.with_(replace(mail, mailer=mailer))
    assert swapped.of(MailAdapters).mailer is mailer
    assert adapters.of(MailAdapters).mailer is mail.mailer  # the record is not changed
    assert swapped.of(AccountsAdapters) is adapters.of(AccountsAdapters)
    with pytest.raises(TypeError, match="FakeMailer"):
        adapters.with_(mailer)
    with pytest.raises(LookupError, match="FakeMailer"):
        adapters.of(FakeMailer)


def test_the_record_is_placed_from_every_core_units_adapters_by_name() -> None:
    adapters = fake_adapters(make_settings())
    by_name = {placed.unit.name: placed.adapters for placed in adapters.core()}
    again = type(adapters).placing(adapters.platform, **by_name)
    assert again.core() == adapters.core()
    del by_name["mail"]
    with pytest.raises(TypeError, match="mail"):
        type(adapters).placing(adapters.platform, **by_name)
    with pytest.raises(TypeError, match="tasks"):
        type(adapters).placing(adapters.platform, **by_name, mail=None, tasks=None)
    assert all(isinstance(p, Placed) for p in again.core())
