"""Home-realm discovery on the sign-in page (docs/reference/sso.md, "Home-realm discovery"):
what single sign-on lends the signed-out pages, which are sign-in's and below it."""

from __future__ import annotations

from application.sso.services import SsoServices
from interfaces.shared.services import services
from interfaces.web.signin.signed_out import HomeRealm, SsoStart
from interfaces.web.sso.logout import signed_out_at_idp


def _any_sso() -> bool:
    return services().of(SsoServices).discovery.any_sso()


def _start_of(username: str) -> SsoStart | None:
    found = services().of(SsoServices).discovery.discover(username)
    return None if found is None else SsoStart(found.path, found.domain)


HOME_REALM = HomeRealm(any_sso=_any_sso, start_of=_start_of, signed_out_at=signed_out_at_idp)
