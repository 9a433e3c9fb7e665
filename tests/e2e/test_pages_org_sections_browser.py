"""The organizations' pages in a real browser (docs/pages.md, "Organizations"): Debian's
Chromium on gunicorn, the emulators, maildev and a local DNS server, 375 px wide throughout.
An owner creates an org on /account/orgs, changes its settings, verifies a domain by its TXT
record, invites and revokes, changes a member's roles and removes them, reads the audit log,
switches the active org in the header (and is sent to set up two-step sign-in for an org
that requires it); a member reads it; an admin deletes an org on /admin/orgs and defines a
role template on /admin/role-templates; an owner makes
a SCIM token (shown once) and revokes it; two orgs verify look-alike domains, each named on
the other's page; in Spanish too. Every page axe-clean, without
sideways scrolling, under the pages' CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.browser import (
    admin,
    chromium,
    fill,
    on_this_server,
    org_created,
    shoot,
    signed_up,
)
from tests.support.browser import violations as axe_findings
from tests.support.dns_server import DnsServer, dns_server
from tests.support.servers import cli, serving

pytestmark = pytest.mark.e2e
PHONE = 375
WIDTHS = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture(scope="module")
def base(emulators: Any, dns: DnsServer) -> Iterator[str]:
    with serving("gunicorn-org-pages.log", DNS_RESOLVER=dns.address) as url:
        yield url


def checked(page: Page) -> None:
    """The page as a phone shows it: no sideways scrolling, nothing serious for axe."""
    page.set_viewport_size({"width": PHONE, "height": 667})
    scroll_width, client_width = page.evaluate(WIDTHS)
    assert scroll_width <= client_width, page.url
    assert axe_findings(page) == [], page.url


def status(page: Page) -> str:
    return page.get_by_role("status").inner_text()


def change_roles(page: Page, name: str, *, check: str, uncheck: str) -> None:
    """On the members section, ``name``'s roles with ``check`` and without ``uncheck``."""
    roles = page.get_by_role("group", name=f"Roles of {name}")
    roles.get_by_label(check, exact=True).check()
    roles.get_by_label(uncheck, exact=True).uncheck()
    member = page.get_by_role("listitem").filter(has=roles)
    member.get_by_role("button", name="Change roles").click()


def create_org(page: Page, base: str, slug: str, name: str) -> None:
    page.goto(base + "/account/orgs")
    fill(page, name=name, slug=slug)
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(f"{base}/account/orgs/{slug}?done=org-created")


def test_an_owner_creates_an_org_changes_it_and_verifies_a_domain(
    base: str, firestore: Any, dns: DnsServer
) -> None:
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(page, base, "o")
        answer = page.goto(base + "/account/orgs")
        assert answer is not None
        sign_in = requests.get(base + "/sign-in", timeout=30)
        assert (
            answer.headers["content-security-policy"]
            == (sign_in.headers["Content-Security-Policy"])
        )
        assert "You are in no organization." in page.inner_text("main")
        checked(page)
        create_org(page, base, "acme", "Acme Corp")
        assert status(page) == "The organization is created: you are its owner."
        checked(page)
        shoot(page, "org-settings")

        # Settings: the org's own roles, one a line; a refusal beside its field.
        page.get_by_label("The organization's own roles (one a line)").fill("billing\nOwner")
        page.get_by_role("button", name="Save").click()
        alert = page.locator("#settings-custom_roles-error").inner_text()
        assert "none of owner, admin, member" in alert
        checked(page)
        page.get_by_label("The organization's own roles (one a line)").fill("billing")
        page.get_by_role("button", name="Save").click()
        assert status(page) == "The settings are saved."

        # Domains: the TXT record to publish, then verified.
        page.get_by_role("link", name="Domains").click()
        fill(page, domain="Example.COM")
        page.get_by_role("button", name="Add", exact=True).click()
        assert "publish its TXT record" in status(page)
        record = page.locator("code", has_text="firegate-verification=").inner_text()
        assert page.locator("code", has_text="_firegate.example.com").count() == 1
        checked(page)
        page.get_by_role("button", name="Verify").click()
        assert "The TXT record was not found yet." in page.get_by_role("alert").inner_text()
        dns.zone.set_txt("_firegate.example.com", record)
        page.get_by_role("button", name="Verify").click()
        assert status(page) == "The domain is verified."
        checked(page)
        shoot(page, "org-domains")

        # Suggested joins: a person who proves an address on the domain is offered the org.
        page.get_by_role("link", name="Settings").click()
        page.get_by_label("People whose proven address is on a verified domain").select_option(
            "suggest"
        )
        page.get_by_role("button", name="Save").click()
        assert status(page) == "The settings are saved."
        assert page.context.browser is not None
        person = page.context.browser.new_context(locale="en-US").new_page()
        person.set_viewport_size({"width": PHONE, "height": 667})
        name = signed_up(person, base, "j")
        person.goto(base + "/account/orgs")
        assert person.get_by_role("button", name="Join Acme Corp").count() == 0  # not proven
        [mail] = mailbox.wait_for(f"{name}@example.com")
        person.goto(on_this_server(base, mailbox.link_in(mail)))
        person.get_by_role("button", name="Verify my address").click()
        person.goto(base + "/account/orgs")
        checked(person)
        person.get_by_role("button", name="Join Acme Corp").click()
        person.wait_for_url(base + "/account/orgs/acme?done=org-joined")
        assert status(person) == "You joined the organization."


def verified_on_the_page(page: Page, base: str, dns: DnsServer, slug: str, domain: str) -> None:
    """``domain`` added on the org's Domains section, its record published, and verified."""
    page.goto(f"{base}/account/orgs/{slug}/domains")
    fill(page, domain=domain)
    page.get_by_role("button", name=re.compile("^(Add|Añadir)$")).click()
    record = page.locator("code", has_text="firegate-verification=").inner_text()
    name = page.locator("code", has_text="_firegate.").inner_text()
    dns.zone.set_txt(name, record)
    page.get_by_role("button", name=re.compile("^(Verify|Verificar)$")).click()


def test_a_look_alike_domain_is_verified_and_named_on_both_orgs_pages(
    base: str, firestore: Any, dns: DnsServer
) -> None:
    """Whoever verifies ``g1ass-x.net`` first keeps nobody out of ``glass-x.net``: both
    verify, and each org's Domains section names the other's, in English and Spanish
    (docs/decisions/0641-look-alike-domains-are-named-never-refused.md)."""
    with chromium(javascript=True) as squatter:
        assert squatter.context.browser is not None
        owner = squatter.context.browser.new_context(locale="es-ES").new_page()
        owner.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(squatter, base, "m")
        create_org(squatter, base, "squat", "Squat")
        verified_on_the_page(squatter, base, dns, "squat", "g1ass-x.net")
        assert status(squatter) == "The domain is verified."
        signed_up(owner, base, "g", button="Crear cuenta")
        org_created(owner, base, "glass", button="Crear")
        verified_on_the_page(owner, base, dns, "glass", "glass-x.net")
        assert status(owner) == "El dominio está verificado."
        notice = owner.locator("p.notice", has_text="g1ass-x.net").inner_text()
        assert notice.startswith("Otra organización ha verificado un dominio")
        checked(owner)
        squatter.goto(f"{base}/account/orgs/squat/domains")
        assert squatter.locator("p.notice", has_text="glass-x.net").count() == 1
        checked(squatter)


def test_admins_invite_and_manage_members(base: str, firestore: Any) -> None:
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        owner = signed_up(page, base, "o")
        create_org(page, base, "acme", "Acme Corp")
        page.get_by_label("The organization's own roles (one a line)").fill("billing")
        page.get_by_role("button", name="Save").click()

        # Invitations: sent by mail, listed, revoked.
        page.get_by_role("link", name="Invitations").click()
        fill(page, email="ivy@example.com")
        page.get_by_label("billing").check()
        page.get_by_role("button", name="Send the invitation").click()
        assert status(page) == "The invitation is on its way."
        assert mailbox.wait_for("ivy@example.com")
        assert "Member, billing" in page.inner_text("main")  # firegate's role by its name
        checked(page)
        page.get_by_role("button", name="Revoke").click()
        assert "No invitations." in page.inner_text("main")

        # Members: another person, added by an operator; roles changed, then removed.
        assert page.context.browser is not None
        member = page.context.browser.new_context(locale="en-US").new_page()  # axe: JS on
        member.set_viewport_size({"width": PHONE, "height": 667})
        name = signed_up(member, base, "m")
        cli(["orgs", "members", "add", "acme", name, "--role", "member"])
        member.goto(base + "/orgs/acme")  # the API's address leads a browser to the page
        member.wait_for_url(base + "/account/orgs/acme")
        assert member.get_by_role("button", name="Save").count() == 0  # read-only
        assert member.get_by_role("link", name="Domains").count() == 0
        member.get_by_role("link", name="Members").click()
        # the section loaded before it is read: a count of none would pass on the page before
        member.wait_for_url(base + "/account/orgs/acme/members")
        assert member.get_by_role("button", name="Change roles").count() == 0
        checked(member)

        page.get_by_role("link", name="Members").click()
        assert owner in page.inner_text("main") and name in page.inner_text("main")
        change_roles(page, name, check="Admin", uncheck="Member")
        assert status(page) == "The roles are changed."
        checked(page)
        shoot(page, "org-members")
        change_roles(page, owner, check="Admin", uncheck="Owner")
        assert "keeps at least one owner" in page.get_by_role("alert").inner_text()
        page.get_by_role("button", name="Remove").click()
        assert status(page) == "The member is removed."
        member.goto(base + "/account/orgs/acme")
        assert "There is no such page" in member.inner_text("main") or (
            "No such organization." in member.inner_text("main")
        )

        # The audit log.
        page.get_by_role("link", name="Events").click()
        events = page.inner_text("main")
        for line in ("Organization created", "Settings changed", "Invitation sent"):
            assert line in events
        assert "Member added" in events and "Roles changed" in events
        assert "Member removed" in events
        checked(page)


def test_the_header_switches_the_active_org(base: str, firestore: Any) -> None:
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        signed_up(page, base, "s")
        page.goto(base + "/account/devices")
        assert page.get_by_label("Organization", exact=True).count() == 0  # in no org yet
        create_org(page, base, "acme", "Acme Corp")
        page.goto(base + "/account/devices")
        page.get_by_label("Organization", exact=True).select_option("acme")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_url(base + "/account/devices?done=org-switched")
        assert status(page) == "The active organization is changed."
        page.goto(base + "/account/orgs")
        assert "Active" in page.get_by_role("listitem").filter(has_text="Acme Corp").inner_text()
        checked(page)
        page.get_by_label("Organization", exact=True).select_option("")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_url(base + "/account/orgs?done=org-switched")
        assert "Active" not in page.inner_text("main")


def test_an_org_that_requires_two_step_sign_in(base: str, firestore: Any) -> None:
    with chromium(javascript=False) as page:
        signed_up(page, base, "r")
        create_org(page, base, "strict", "Strict Ltd")
        page.get_by_label("Members need two-step sign-in to act in this organization").check()
        page.get_by_role("button", name="Save").click()
        assert status(page) == "The settings are saved."
        page.get_by_label("Organization", exact=True).select_option("strict")
        page.get_by_role("button", name="Switch").click()
        alert = page.get_by_role("alert")
        assert "requires two-step sign-in" in alert.inner_text()
        alert.get_by_role("link", name="Set up two-step sign-in").click()
        page.wait_for_url(base + "/account/security")

        # Owners delete the org once they type its slug.
        page.goto(base + "/account/orgs/strict")
        page.get_by_role("link", name="Delete Strict Ltd…").click()
        page.wait_for_url(base + "/account/orgs/strict/delete")
        fill(page, confirm="strict")
        page.get_by_role("button", name="Delete Strict Ltd").click()
        page.wait_for_url(base + "/account/orgs?done=org-deleted")
        assert "You are in no organization." in page.inner_text("main")


def test_admins_delete_an_org_on_admin_orgs(base: str, firestore: Any) -> None:
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        admin(page, base)
        create_org(page, base, "doomed", "Doomed Co")
        page.goto(base + "/admin")
        page.get_by_role("link", name="Organizations").click()
        page.wait_for_url(base + "/admin/orgs")
        row = page.get_by_role("row").filter(has_text="Doomed Co")
        checked(page)
        shoot(page, "admin-orgs")
        row.get_by_role("button", name="Delete").click()
        assert status(page) == (
            "The organization is deleted; its memberships ended with it, "
            "and the accounts it managed are deleted."
        )
        assert "No organizations." in page.inner_text("main")
        checked(page)


def test_admins_define_role_templates_on_their_page(base: str, firestore: Any) -> None:
    """/admin/role-templates at 375 px, axe-clean, in English and Spanish: a template added,
    then marked on an org's Roles section (docs/pages.md, "Organizations")."""
    with chromium(javascript=True) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        admin(page, base)
        page.goto(base + "/admin")
        page.get_by_role("link", name="Roles every organization has").click()
        page.wait_for_url(base + "/admin/role-templates")
        checked(page)
        fill(page, role="tpl-billing", description="Pays the invoices")
        page.fill("textarea[name=permissions]", "invoices:read\ninvoices:write")
        page.get_by_role("button", name="Add the role").click()
        page.wait_for_url(base + "/admin/role-templates?done=saved")
        assert status(page).startswith("The role is saved")
        assert "invoices:write" in page.inner_text("main")
        page.get_by_text("Edit").first.click()
        checked(page)
        shoot(page, "admin-role-templates")
        create_org(page, base, "templated", "Templated Co")
        page.goto(base + "/account/orgs/templated/roles")
        assert "every organization's" in page.inner_text("main")
        checked(page)
    with chromium(javascript=True, locale="es-ES") as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        page.goto(base + "/sign-up")
        fill(page, username="tplroot", email="tplroot@example.com", password=PASSWORD)
        page.get_by_role("button", name="Crear cuenta").click()
        page.wait_for_url(base + "/account")
        cli(["users", "set-role", "tplroot", "admin"])
        page.goto(base + "/admin/role-templates")
        assert "tpl-billing" in page.inner_text("main")
        assert page.get_by_role("button", name="Añadir el rol").count() == 1
        checked(page)


def test_the_pages_in_spanish(base: str, firestore: Any) -> None:
    with chromium(javascript=True, locale="es-ES") as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        page.goto(base + "/sign-up")
        fill(page, username="eva", email="eva@example.com", password=PASSWORD)
        page.get_by_role("button", name="Crear cuenta").click()
        page.wait_for_url(base + "/account")
        page.goto(base + "/account/orgs")
        assert page.get_by_role("heading", name="Tus organizaciones").count() == 1
        fill(page, name="Acme", slug="acme-es")
        page.get_by_role("button", name="Crear", exact=True).click()
        assert status(page) == "La organización está creada: eres su propietario."
        checked(page)
        for section in ("Miembros", "Invitaciones", "Dominios", "Eventos"):
            page.get_by_role("link", name=section).click()
            assert re.search(section, page.inner_text("h1"))
            checked(page)
        page.get_by_label("Organización", exact=True).select_option("acme-es")
        page.get_by_role("button", name="Cambiar").click()
        assert status(page) == "La organización activa ha cambiado."


# -- the SCIM section: a token made (shown once) and revoked, in English and Spanish

ENGLISH = {
    "sign_up": "Create account",
    "create": "Create",
    "section": "Provisioning",
    "name": "Name (the directory's, e.g. Okta)",
    "make": "Make",
    "revoke": "Revoke",
    "revoked": "The SCIM token is revoked: the directory's next request with it fails.",
}
SPANISH = {
    "sign_up": "Crear cuenta",
    "create": "Crear",
    "section": "Aprovisionamiento",
    "name": "Nombre (el del directorio, p. ej., Okta)",
    "make": "Crear",
    "revoke": "Revocar",
    "revoked": "El token SCIM está revocado: la próxima petición del directorio con él falla.",
}


@pytest.mark.parametrize(
    ("locale", "words", "name"),
    [("en-US", ENGLISH, "scimo"), ("es-ES", SPANISH, "scimes")],
    ids=["en", "es"],
)
def test_an_owner_makes_and_revokes_a_scim_token(
    base: str, locale: str, words: dict[str, str], name: str
) -> None:
    slug = f"{name}-org"
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        page.goto(base + "/sign-up")
        fill(page, username=name, email=f"{name}@example.com", password=PASSWORD)
        page.get_by_role("button", name=words["sign_up"]).click()
        page.wait_for_url(base + "/account")
        page.goto(base + "/account/orgs")
        fill(page, name=slug.title(), slug=slug)
        page.get_by_role("button", name=words["create"], exact=True).click()
        page.wait_for_url(f"{base}/account/orgs/{slug}?done=org-created")
        page.get_by_role("link", name=words["section"], exact=True).click()
        page.wait_for_url(f"{base}/account/orgs/{slug}/scim")
        assert page.inner_text("#scim-url").endswith(base.rpartition(":")[2] + "/scim/v2")
        checked(page)
        page.get_by_label(words["name"]).fill("Okta")
        page.get_by_role("button", name=words["make"], exact=True).click()
        token = page.inner_text("#new-scim-token")
        assert token.startswith("fgs_")
        checked(page)
        config = f"{base}/scim/v2/ServiceProviderConfig"
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.get(config, headers=auth, timeout=30).status_code == 200
        page.get_by_role("button", name=words["revoke"]).click()
        assert page.get_by_role("status").inner_text() == words["revoked"]
        checked(page)
        assert requests.get(config, headers=auth, timeout=30).status_code == 401


# -- the audit log names people, events and connections, in English and Spanish

AUDIT_WORDS = {
    "en-US": ("Create account", "Create", "Events", "Connection: Corp IdP", "Member added"),
    "es-ES": ("Crear cuenta", "Crear", "Eventos", "Conexión: Corp IdP", "Miembro añadido"),
}


@pytest.mark.parametrize("locale", list(AUDIT_WORDS), ids=["en", "es"])
def test_the_audit_log_names_people_and_connections(base: str, locale: str) -> None:
    sign_up, create, section, connection, added = AUDIT_WORDS[locale]
    with chromium(javascript=True, locale=locale) as page:
        page.set_viewport_size({"width": PHONE, "height": 667})
        owner = signed_up(page, base, "a", button=sign_up)
        slug = f"audit-{owner[-6:]}"
        org_created(page, base, slug, button=create)
        token = requests.post(
            base + "/login", json={"username": owner, "password": PASSWORD}, timeout=30
        ).json()["access_token"]
        made = requests.post(
            f"{base}/orgs/{slug}/connections",
            json={"kind": "saml", "name": "Corp IdP"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        member = requests.post(
            base + "/register",
            json={"username": f"m{owner}", "email": f"m{owner}@example.com", "password": PASSWORD},
            timeout=30,
        )
        assert member.status_code == 201, member.text
        cli(["orgs", "members", "add", slug, f"m{owner}", "--role", "member"])
        page.get_by_role("link", name=section).click()
        events = page.inner_text("main")
        for shown in (owner, f"{owner}@example.com", f"m{owner}@example.com", connection, added):
            assert shown in events
        for code in ("org.created", "org.sso_connection_created", "org.member_added"):
            assert code in events  # the type beside its title
        for an_id in (made.json()["id"], member.json()["id"]):
            assert an_id not in events
        checked(page)
