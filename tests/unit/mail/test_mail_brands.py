"""The mails' brands (``MAIL_BRANDS``, docs/contributing.md, "Units"): a mail about an org (its
invitation, its IdP certificate's warning) goes out under the brand the first unit that
answers for the org gives: its name and logo in the layout, its ``From`` ("{brand} via
{SITE_NAME}" on MAIL_FROM's address, or the brand's own sender), ``brand`` in the send_mail
hook's payload. None filled or none answering, the mail is today's. On the fakes, with a unit
of the tests' own that fills the slot (tests/support/mail_brands.py)
(docs/decisions/0865-a-mail-about-an-org-goes-out-under-its-brand.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from application.mail.sending import MailingJob, MailSettings
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Mail, MailBrand
from application.sso.services import SsoServices
from bootstrap.unit import Placed
from domain.mail.hook_kinds import SEND_MAIL
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.mail.smtp import SmtpMailer
from tests.fakes.mail import FakeMailer
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.mail_brands import BRANDS, Brands, hook_payloads, proven
from tests.support.saml import certificate, idp_metadata
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
MAIL_FROM = "firegate <no-reply@localhost>"  # the settings' default
LOGO = "http://127.0.0.1:8000/brand/logo.png"


class BrandsWorld(World):
    """A ``World`` whose app has the brands unit, on ``brands``."""

    def __init__(self, **settings: object) -> None:
        self.brands = Brands()
        super().__init__(**settings)

    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(BRANDS, self.brands),)


def org_of_olga(world: World) -> tuple[str, dict[str, str]]:
    """Org "acme" (Acme Corp), of olga's: its id and olga's header."""
    register(world.client, "olga")
    olga = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme Corp"}, headers=olga)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"], olga


def invited(world: World, olga: dict[str, str], address: str = "ivy@example.com") -> Mail:
    """The mail of olga's invitation of ``address`` to acme."""
    body = {"email": address, "roles": ["member"]}
    answer = world.client.post("/orgs/acme/invitations", json=body, headers=olga)
    assert answer.status_code == 201, answer.get_json()
    world.deliver()
    [mail] = [m for m in world.mailer.to(address) if "/orgs/join?token=" in m.text]
    return mail


def sent_from(mail: Mail) -> tuple[str, str]:
    """The ``From`` the SMTP adapter puts on ``mail``: (display name, address)."""
    [address] = SmtpMailer("smtp://127.0.0.1:1", sender=MAIL_FROM).message(mail)["From"].addresses
    return address.display_name, address.addr_spec


def test_an_invitation_goes_out_under_the_orgs_brand_via_the_service() -> None:
    world = BrandsWorld()
    org_id, olga = org_of_olga(world)
    world.brands.first[org_id] = MailBrand("Acme Brand", logo_url=LOGO)
    mail = invited(world, olga)
    assert world.brands.asked == [org_id]
    assert mail.brand == MailBrand("Acme Brand", logo_url=LOGO)
    assert (mail.from_name, mail.from_address) == ("Acme Brand via firegate", "")
    assert sent_from(mail) == ("Acme Brand via firegate", "no-reply@localhost")
    assert "<strong>Acme Brand</strong>" in mail.html and f'<img src="{LOGO}"' in mail.html
    # The rest of the mail is the invitation as ever: the org's name, its link.
    assert "Acme Corp" in mail.subject and "/orgs/join?token=" in mail.text


def test_a_brand_with_its_own_sender_is_from_it_and_without_a_logo_shows_its_name() -> None:
    world = BrandsWorld()
    org_id, olga = org_of_olga(world)
    world.brands.first[org_id] = MailBrand("Acme Brand", sender="news@acme.example")
    mail = invited(world, olga)
    assert sent_from(mail) == ("Acme Brand", "news@acme.example")
    assert "<strong>Acme Brand</strong>" in mail.html and "<img" not in mail.html


def test_the_first_unit_that_answers_wins() -> None:
    world = BrandsWorld()
    org_id, olga = org_of_olga(world)
    world.brands.first[org_id] = None  # asked, answers none
    world.brands.second[org_id] = MailBrand("Second")
    assert sent_from(invited(world, olga, "a@example.com"))[0] == "Second via firegate"
    world.brands.first[org_id] = MailBrand("First")
    assert sent_from(invited(world, olga, "b@example.com"))[0] == "First via firegate"


def test_with_no_brand_an_invitation_is_todays() -> None:
    """None answering (the unit on) and none filled (no unit): the same mail, from MAIL_FROM,
    with no brand in its layout."""
    answering_none = BrandsWorld()
    _, olga = org_of_olga(answering_none)
    plain = World()
    _, olga_too = org_of_olga(plain)
    one, other = invited(answering_none, olga), invited(plain, olga_too)
    assert answering_none.brands.asked  # asked, and it answered none
    for mail in (one, other):
        assert mail.brand is None and (mail.from_name, mail.from_address) == ("", "")
        assert SmtpMailer("smtp://127.0.0.1:1", sender=MAIL_FROM).message(mail)["From"] == (
            MAIL_FROM
        )
        assert "<strong>" not in mail.html
    # The two differ only by their link's token.
    token = one.text.split("token=")[1].split()[0]
    token_too = other.text.split("token=")[1].split()[0]
    assert replace(one, text=one.text.replace(token, "T"), html=one.html.replace(token, "T")) == (
        replace(
            other, text=other.text.replace(token_too, "T"), html=other.html.replace(token_too, "T")
        )
    )


CONTEXT = {
    "email": "ivy@example.com",
    "locale": "en",
    "org": "Acme Corp",
    "inviter": "Olga",
    "link": "http://127.0.0.1:8000/orgs/join?token=abc",
    "expires_days": "7",
}
SETTINGS = MailSettings(public_url="http://127.0.0.1:8000", support_email="help@example.com")


def test_a_mailing_job_without_a_brand_sends_what_the_templates_make_byte_for_byte() -> None:
    """What the job sends, asked about an org none brands or about no org, is what the
    renderer makes of the context: no brand's key in it, no ``From`` of its own."""
    renderer = JinjaMailRenderer()
    expected = renderer.render(
        "org_invitation",
        "ivy@example.com",
        {
            "product": "firegate",
            "public_url": "http://127.0.0.1:8000",
            "support_email": "help@example.com",
            **CONTEXT,
        },
    )
    for brands, org_id in (
        ((), "o1"),
        ((lambda _org: None,), "o1"),
        ((lambda _o: MailBrand("X"),), None),
    ):
        mailer = FakeMailer()
        job = MailingJob(renderer=renderer, mailer=mailer, settings=SETTINGS, brands=brands)
        job.mail("org_invitation", "ivy@example.com", CONTEXT, True, "a test", org_id=org_id)
        assert mailer.sent == [expected]
    body = expected.html.split("<body", 1)[1].split(">", 1)[1]
    assert body.startswith("\n\n<p>Hello,</p>")  # the layout adds nothing before the mail's own


def test_a_brands_name_with_a_line_break_stays_on_one_header_line() -> None:
    mailer = FakeMailer()
    sly = MailBrand("Acme\r\nBcc: eve@evil.example", sender="news@acme.example\r\n")
    job = MailingJob(
        renderer=JinjaMailRenderer(), mailer=mailer, settings=SETTINGS, brands=(lambda _o: sly,)
    )
    job.mail("org_invitation", "ivy@example.com", CONTEXT, True, "a test", org_id="o1")
    [mail] = mailer.sent
    assert (mail.from_name, mail.from_address) == (
        "Acme Bcc: eve@evil.example",
        "news@acme.example",
    )
    message = SmtpMailer("smtp://127.0.0.1:1", sender=MAIL_FROM).message(mail)
    assert message["Bcc"] is None and "\nBcc:" not in message.as_string()
    assert "<strong>Acme Bcc: eve@evil.example</strong>" in mail.html


def test_an_sso_certificates_warning_goes_out_under_the_orgs_brand() -> None:
    world = BrandsWorld()
    org_id, olga = org_of_olga(world)
    proven(world, "olga")
    world.brands.first[org_id] = MailBrand("Acme Brand")
    der = certificate(not_after=datetime.now(UTC) + timedelta(days=20, hours=1))[1]
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))
    made = world.client.post(
        "/orgs/acme/connections",
        json={"kind": "saml", "name": "Okta", "saml": {"metadata_xml": xml}, "status": "active"},
        headers=olga,
    )
    assert made.status_code == 201, made.get_json()
    register(world.client, "ana")
    proven(world, "ana")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "ana", ("admin",)))
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 1
    world.deliver()
    for address in ("olga@example.com", "ana@example.com"):
        [warning] = [m for m in world.mailer.to(address) if "/account/orgs/acme/sso" in m.text]
        assert sent_from(warning) == ("Acme Brand via firegate", "no-reply@localhost")
        assert "<strong>Acme Brand</strong>" in warning.html


def test_the_send_mail_hook_is_told_the_brand_or_null() -> None:
    world = BrandsWorld(app_profile="local")
    org_id, olga = org_of_olga(world)
    world.deliver()
    admin = world.services.of(HookServices).hooks
    admin.set(SetAuthHook(ADMIN, "send_mail", "http://127.0.0.1:9/hook"))
    assert [v.hook.kind for v in admin.list(ListAuthHooks(ADMIN))] == ["send_mail"]
    world.brands.first[org_id] = MailBrand("Acme Brand", logo_url=LOGO)
    body = {"email": "ivy@example.com", "roles": ["member"]}
    assert world.client.post("/orgs/acme/invitations", json=body, headers=olga).status_code == 201
    world.client.post("/auth/password/forgot", json={"email": "olga@example.com"})
    world.deliver()
    by_kind = {payload["kind"]: payload for payload in hook_payloads(world)}
    assert by_kind["org_invitation"]["brand"] == {
        "display_name": "Acme Brand",
        "logo_url": LOGO,
        "color": None,
    }
    assert by_kind["reset_password"]["brand"] is None  # about an account, no org's
    # The payload is the kind's sample's shape (docs/hooks.md, ``hooks test``).
    for payload in by_kind.values():
        assert set(payload) == set(SEND_MAIL.samples["verify_email"])
    for view in admin.list(ListAuthHooks(ADMIN)):
        admin.remove(AuthHookRef(ADMIN, view.hook.hook_id))
