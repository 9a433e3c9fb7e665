"""API resources with their own scopes (docs/reference/oauth.md, "API resources"): an API or
MCP server registered by its URI, the RFC 8707 ``resource`` and the ``aud`` of its tokens,
with the scopes it understands, each described to the people asked to consent to it.

Which of them a token may carry: a resource's scope only in a token for that resource, only
for a client allowed it (docs/decisions/0424-api-resources-and-their-scopes.md)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain.clients.oauth import SCOPES, check_resource, digest
from domain.errors import Conflict, InvalidInput
from domain.signin.acr import ACR_VALUES, is_acr, meets
from domain.text import has_control, has_direction_control

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
MAX_SCOPE_CHARS = 100
MAX_DESCRIPTION_CHARS = 200
MAX_SCOPES = 20  # of one resource
MAX_API_RESOURCES = 200  # registered: every scope of theirs is in the metadata
MAX_RESOURCE_SCOPES = 50  # a client may be allowed


def within_permissions(
    scopes: Sequence[str], permissions: Collection[str] | None
) -> tuple[str, ...]:
    """Of a token's ``scopes``, those the person's ``permissions`` in the grant's org allow:
    firegate's own scopes always, a resource's scope only as a permission; all of them when
    the grant names no org (None; docs/decisions/0489-org-roles-with-permissions.md)."""
    if permissions is None:
        return tuple(scopes)
    return tuple(name for name in scopes if name in SCOPES or name in permissions)


def too_many_resources() -> Conflict:
    return Conflict(
        f"At most {MAX_API_RESOURCES} API resources are registered: remove one first.",
        code="too_many_resources",
    )


def check_scope_name(name: str) -> str:
    """A scope token (RFC 6749 §3.3), never one of firegate's own (``openid`` …)."""
    if not name or len(name) > MAX_SCOPE_CHARS or not SCOPE_TOKEN.fullmatch(name):
        raise InvalidInput.field(
            "scope",
            f"Not a scope name: {name[:MAX_SCOPE_CHARS]!r} (printable ASCII without spaces, "
            "'\"' or '\\', at most 100 characters).",
            "invalid_scope_name",
        )
    if name in SCOPES:
        raise InvalidInput.field(
            "scope",
            f"'{name}' is one of firegate's own scopes: an API resource has scopes of its own.",
            "invalid_scope_name",
        )
    return name


def _description(text: str | None, field: str, *, required: bool) -> str | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput.field(
                field,
                "Each scope has a description, shown on the consent page.",
                "invalid_scope_text",
            )
        return None
    if len(text) > MAX_DESCRIPTION_CHARS or has_control(text) or has_direction_control(text):
        raise InvalidInput.field(
            field,
            "A description of 1 to 200 characters, on one line, without control or direction "
            "characters.",
            "invalid_scope_text",
        )
    return text


@dataclass(frozen=True)
class ApiScope:
    """A scope of a resource, with what it lets an app do in English and, optionally, in
    Spanish (else the English one is shown)."""

    name: str
    description: str
    description_es: str | None = None

    @staticmethod
    def new(name: str, description: str, description_es: str | None = None) -> ApiScope:
        return ApiScope(
            check_scope_name(name),
            _description(description, "description", required=True) or "",
            _description(description_es, "description_es", required=False),
        )

    def described(self, locale: str | None) -> str:
        """Its description in the person's language (English where none is given)."""
        if locale == "es" and self.description_es:
            return self.description_es
        return self.description


MAX_RESOURCE_ORGS = 100  # the orgs one resource allows


@dataclass(frozen=True)
class ApiResource:
    uri: str
    scopes: tuple[ApiScope, ...]
    created_at: datetime
    # The orgs whose own clients may have tokens for it and its scopes (their ids): only those
    # the operator named (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md)
    orgs: tuple[str, ...] = ()
    # The issuer of the authorization server that serves it, where that is not firegate: the
    # audience of the ID-JAGs firegate mints for it (docs/decisions/0550-minting-id-jags.md);
    # None: firegate is its authorization server
    issuer: str | None = None
    # The weakest class of sign-in (``acr``) a person's token for it needs; None: any
    # (docs/decisions/0574-an-api-resources-min-acr.md)
    min_acr: str | None = None

    @staticmethod
    def new(
        uri: str,
        scopes: Sequence[ApiScope],
        now: datetime,
        orgs: Sequence[str] = (),
        *,
        issuer: str | None = None,
        min_acr: str | None = None,
    ) -> ApiResource:
        check_resource(uri, "uri")
        if min_acr is not None and not is_acr(min_acr):
            raise InvalidInput.field(
                "min_acr", f"One of {', '.join(ACR_VALUES)}.", "invalid_min_acr"
            )
        if issuer is not None and not (
            issuer.startswith("https://") and check_resource(issuer, "issuer")
        ):
            raise InvalidInput.field(
                "issuer", "An issuer is an https URL without a fragment.", "invalid_issuer"
            )
        if not scopes or len(scopes) > MAX_SCOPES:
            raise InvalidInput.field("scope", "1 to 20 scopes.", "invalid_scope_count")
        names = [scope.name for scope in scopes]
        twice = [name for name in names if names.count(name) > 1]
        if twice:
            raise InvalidInput.field(
                "scope", f"'{twice[0]}' is named twice.", "invalid_scope_count"
            )
        resource = ApiResource(uri, tuple(scopes), now, issuer=issuer, min_acr=min_acr)
        return resource.allowing(orgs)

    def audience(self, own_issuer: str) -> str:
        """The ``aud`` of an ID-JAG for this resource: its authorization server's issuer
        (firegate's own where it has none of its own)."""
        return self.issuer or own_issuer

    def acr_refusal(self, acr: str | None) -> str | None:
        """Why a person's token of a sign-in of class ``acr`` may not be for it (below its
        ``min_acr``); None if it may."""
        if self.min_acr is None or meets(acr, self.min_acr):
            return None
        return f"This API resource needs a sign-in of at least {self.min_acr}."

    def allows(self, org_id: str | None) -> bool:
        """Whether a client of ``org_id`` (None: the service's own) may have its tokens."""
        return org_id is None or org_id in self.orgs

    def allowing(self, orgs: Sequence[str], allowed: bool = True) -> ApiResource:
        """The resource with ``orgs`` allowed (or no longer, ``allowed`` False)."""
        kept = [org for org in self.orgs if org not in orgs]
        after = tuple(dict.fromkeys([*kept, *orgs])) if allowed else tuple(kept)
        if len(after) > MAX_RESOURCE_ORGS:
            raise InvalidInput.field(
                "org", f"At most {MAX_RESOURCE_ORGS} organizations.", "too_many_orgs"
            )
        return replace(self, orgs=after)

    @property
    def key(self) -> str:
        """Where it is stored: its URI's SHA-256 (a URI holds slashes)."""
        return resource_key(self.uri)

    @property
    def scope_names(self) -> tuple[str, ...]:
        return tuple(scope.name for scope in self.scopes)

    def fields(self) -> list[dict[str, str | None]]:
        """Its scopes as plain fields (stored, and printed by the command line)."""
        return [
            {"name": s.name, "description": s.description, "description_es": s.description_es}
            for s in self.scopes
        ]

    def scope(self, name: str) -> ApiScope | None:
        return next((scope for scope in self.scopes if scope.name == name), None)


def resource_key(uri: str) -> str:
    return digest("resource:" + uri)


@dataclass(frozen=True)
class ResourceCatalogue:
    """The registered resources, as a process reads them (in bulk, now and then)."""

    resources: tuple[ApiResource, ...] = ()

    def find(self, uri: str | None) -> ApiResource | None:
        return next((found for found in self.resources if found.uri == uri), None)

    def scope_names(self) -> tuple[str, ...]:
        """Every registered resource's scopes, each once (the metadata's ``scopes_supported``)."""
        return tuple(dict.fromkeys(n for found in self.resources for n in found.scope_names))

    def knows(self, scope: str) -> bool:
        return scope in SCOPES or scope in self.scope_names()

    def acr_refusal(self, resource: str | None, acr: str | None) -> str | None:
        """Why a person's token of a sign-in of class ``acr`` may not be for ``resource``
        (its ``min_acr``); None if it may, and for a resource not registered."""
        found = self.find(resource)
        return found.acr_refusal(acr) if found is not None else None

    def for_org(self, resource: str | None, org_id: str | None) -> bool:
        """Whether a client of ``org_id`` may have a token for ``resource``: the service's own
        clients any; an org's only a registered resource that allows the org."""
        if org_id is None:
            return True
        found = self.find(resource)
        return found is not None and found.allows(org_id)

    def check_org_resources(self, resources: Sequence[str], org_id: str) -> None:
        """422 ``resource_not_allowed`` unless each of an org's client's resources is a
        registered resource that allows the org."""
        refused = next((uri for uri in resources if not self.for_org(uri, org_id)), None)
        if refused is not None:
            raise InvalidInput.field(
                "resources",
                f"{refused[:200]} does not allow this organization's apps: its operator names "
                "the organizations each API resource allows ('resources allow').",
                "resource_not_allowed",
            )

    def check_allowance(
        self,
        scopes: Sequence[str],
        client_resources: Sequence[str] = (),
        org_id: str | None = None,
    ) -> tuple[str, ...]:
        """The resource scopes a client is to be allowed: each a registered resource's, and
        of one of ``client_resources`` when the client is limited to those; an org's client
        (``org_id``) only of a resource that allows the org."""
        if len(scopes) > MAX_RESOURCE_SCOPES:
            raise InvalidInput.field(
                "resource_scope", "At most 50 resource scopes.", "invalid_resource_scope"
            )
        for name in scopes:
            owners = [found.uri for found in self.resources if name in found.scope_names]
            if not owners:
                raise InvalidInput.field(
                    "resource_scope",
                    f"'{name}' is no registered API resource's scope ('resources add').",
                    "invalid_resource_scope",
                )
            if org_id is not None and not any(self.for_org(uri, org_id) for uri in owners):
                raise InvalidInput.field(
                    "resource_scope",
                    f"'{name}' is a scope of {owners[0]}, which does not allow this "
                    "organization's apps.",
                    "resource_not_allowed",
                )
            if client_resources and not set(owners) & set(client_resources):
                raise InvalidInput.field(
                    "resource_scope",
                    f"'{name}' is a scope of {owners[0]}, which is not one of the client's "
                    "resources.",
                    "invalid_resource_scope",
                )
        return tuple(dict.fromkeys(scopes))

    def refusal(
        self, requested: Sequence[str], resource: str | None, allowed: Sequence[str]
    ) -> str | None:
        """Why a token cannot carry the ``requested`` scopes for ``resource``, given the
        resource scopes the client is ``allowed``: a scope that is no one's, a resource's
        scope without that resource or for another, one the client is not allowed
        (RFC 6749 ``invalid_scope``); None if it can."""
        target = self.find(resource)
        for name in requested:
            if name in SCOPES:
                continue
            if not self.knows(name):
                return f"Unknown scope: {name[:MAX_SCOPE_CHARS]}."
            if target is None or target.scope(name) is None:
                owner = next(f.uri for f in self.resources if name in f.scope_names)
                return (
                    f"'{name}' is a scope of the API resource {owner}: ask for it with "
                    f"resource={owner}."
                )
            if name not in allowed:
                return f"This client is not allowed the scope '{name}'."
        return None

    def within(
        self, scopes: Sequence[str], resource: str, allowed: Sequence[str]
    ) -> tuple[str, ...]:
        """``scopes`` without the resource scopes a token for ``resource`` cannot carry (a
        token exchange's, inheriting the subject token's scopes)."""
        target = self.find(resource)
        return tuple(
            name
            for name in scopes
            if name in SCOPES
            or (target is not None and target.scope(name) is not None and name in allowed)
        )

    def described(
        self, scopes: Sequence[str], resource: str | None, locale: str | None
    ) -> list[str]:
        """What the consent page says of each of ``scopes`` that is ``resource``'s."""
        target = self.find(resource)
        if target is None:
            return []
        found = (target.scope(name) for name in scopes)
        return [scope.described(locale) for scope in found if scope is not None]
