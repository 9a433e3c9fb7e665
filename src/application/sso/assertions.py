"""The person as an org's connection asserts them: its attribute mapping applied to what the
IdP answered, SAML or OpenID (docs/reference/sso.md, "Attribute mapping")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.accounts.attributes import STRING_MAX
from domain.orgs.orgs import OrgRole
from domain.sso.connections import AttributeMapping

MAX_NAME = 200


@dataclass(frozen=True)
class Asserted:
    """The person as the connection's mapping reads the IdP's answer."""

    email: str
    given_name: str
    family_name: str
    roles: tuple[str, ...]  # the org roles their groups grant (member when none)
    full_name: str = ""  # the whole name the IdP gives, read where it gives no part of it
    # A profile attribute → the text the IdP gives for it (only those it gives).
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Defaults:
    """Where a kind of IdP says who someone is when the mapping names no attribute."""

    email: str  # "" for SAML: its NameID
    given_name: str
    family_name: str
    full_name: str  # the whole name (SAML's displayName, OpenID's name)


def _first(attributes: Mapping[str, Sequence[str]], name: str) -> str:
    values = attributes.get(name, ())
    return values[0].strip()[:MAX_NAME] if values else ""


def asserted(
    mapping: AttributeMapping,
    attributes: Mapping[str, Sequence[str]],
    defaults: Defaults,
    name_id: str = "",
) -> Asserted:
    """The mapping applied: the address from its attribute (else the default's, else the
    SAML NameID), the names, and the roles of every group the person is in that the mapping
    names."""
    email_from = mapping.email or defaults.email
    email = _first(attributes, email_from) if email_from else name_id
    groups = attributes.get(mapping.groups, ()) if mapping.groups else ()
    roles: dict[str, None] = {}
    for group in groups:
        roles.update(dict.fromkeys(mapping.roles.get(group, ())))
    return Asserted(
        email=email.strip(),
        given_name=_first(attributes, mapping.given_name or defaults.given_name),
        family_name=_first(attributes, mapping.family_name or defaults.family_name),
        roles=tuple(roles) or (OrgRole.MEMBER.value,),
        full_name=_first(attributes, defaults.full_name),
        attributes={
            name: values[0].strip()[:STRING_MAX]
            for name, source in mapping.attributes.items()
            if (values := attributes.get(source, ()))
        },
    )
