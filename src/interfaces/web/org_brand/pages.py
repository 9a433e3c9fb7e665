"""The org's brand on the pages of a flow that names the org (``PAGE_BRANDS``,
interfaces/web/rendering.py; docs/org-brand.md, "Where it shows"). The org is found, first to
last: the sign-in host the request came to (``host_org``); the page's own org (the
invitation's at /orgs/join; not the org's own page, the operator's); the verified domain of
the address SSO discovery continues with; an authorization request's ``organization``, or its
``client_id`` when the app is an org's (on /oauth/authorize, or in the ``next`` of /sign-in
that leads there); ``?org=`` on /sign-in. None of these: the operator's page, with the app's
own name where the page shows it (the consent's)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from flask import request

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from application.org_brand.brands import OrgBrands
from domain.errors import DomainError
from domain.ids import is_id
from domain.org_brand.brand import Brand
from domain.orgs.orgs import Org
from interfaces.shared.org_brand.logo import logo_path
from interfaces.shared.org_brand.request_org import host_org
from interfaces.shared.services import services
from interfaces.web.rendering import PageBrand

AUTHORIZE = "/oauth/authorize"
SIGN_IN = "/sign-in"


def page_brand(context: Mapping[str, object]) -> PageBrand | None:
    """The brand of the org the request or the page names; None for the operator's, and
    when what names the org cannot be read (a refusal of its own is the page's to say)."""
    try:
        brand = _brand(context)
    except DomainError:
        return None
    if brand is None:
        return None
    return PageBrand(
        brand.display_name,
        logo_url=logo_path(brand),
        color=brand.color,
        dark_color=brand.dark_color,
    )


def _brand(context: Mapping[str, object]) -> Brand | None:
    brands = services().of(OrgBrands)
    host = host_org()
    if host is not None:
        return brands.shown(host)
    org = context.get("org")
    if isinstance(org, Org) and "section" not in context:  # the org's own page: the operator's
        return brands.shown(org.id)
    domain = context.get("domain")
    if isinstance(domain, str) and domain and "start" in context:  # SSO discovery's
        found = brands.shown_by_domain(domain)
        if found is not None:
            return found
    return _asked(brands)


def _asked(brands: OrgBrands) -> Brand | None:
    """The org an authorization request names (its own, or the one in /sign-in's
    ``next``), else /sign-in's ``?org=``."""
    path = request.path
    if path.startswith(AUTHORIZE):
        return _authorization(brands, request.args.to_dict())
    if path == SIGN_IN:
        nxt = urlsplit(request.args.get("next", ""))
        if nxt.path.startswith(AUTHORIZE) and not nxt.netloc:
            query = {name: values[0] for name, values in parse_qs(nxt.query).items()}
            found = _authorization(brands, query)
            if found is not None:
                return found
        return brands.shown_by_slug(request.args.get("org", ""))
    return None


def _authorization(brands: OrgBrands, query: Mapping[str, str]) -> Brand | None:
    named = query.get("organization", "")
    if named:
        return brands.shown_by_slug(named)
    client_id = query.get("client_id", "")
    if not is_id(client_id):  # an org's app has an id of ours, never a document's URL
        return None
    client = services().of(ClientServices).clients.client(FindClient(client_id))
    org_id = client.org_id if client is not None else None
    return brands.shown(org_id) if org_id else None
