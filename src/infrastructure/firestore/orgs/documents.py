"""An org's and a membership's Firestore documents, as the orgs adapter reads and writes them
(``orgs/{org_id}``, its roles' definitions in ``orgs/{org_id}/definitions/roles`` and
``orgs/{org_id}/members/{user_id}``; docs/reference/orgs.md).

An org is its document and its definitions' together: every read of an ``Org`` reads both in
one round trip (``org_refs``, ``with_definitions``) and every write of its roles writes both in
one commit, the org's guarded by its read, so the org's update time still orders every change
of a role against the membership changes that read it. A read of both is not always atomic to
that commit (the emulator's is not): each save writes one new ``defined`` mark in both, and
the read a write is guarded by (``org_snapshot``) reads again when the two disagree. The read
of each request acting in an
org reads the org's document alone, without the definitions (up to 50 roles of 100
permissions), which it does not need (docs/decisions/0491-role-definitions-apart.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from domain.orgs.orgs import (
    DomainPolicy,
    ImpersonationPolicy,
    Membership,
    Org,
    Slug,
    new_member_version,
)
from domain.orgs.roles import RoleDefinition
from domain.signin.active_org import stored_policy
from infrastructure.firestore.accounts.users import USERS
from infrastructure.firestore.client import BOUNDED, read_document, read_documents
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import firestore

RETIRING = "retiring"  # the custom roles a removal in progress no longer lets anyone be given
ROLE_DEFINITIONS = "role_definitions"  # {role: {"description", "permissions"}}
DEFINITIONS, ROLES_DEFINED = "definitions", "roles"  # orgs/{org_id}/definitions/roles
DEFINED = "defined"  # a save's mark, the same in the org's document and its definitions'
# The deployment's role templates, read with every org (docs/decisions/
# 0581-role-templates-read-with-every-org.md): org_role_templates/current
ROLE_TEMPLATES, TEMPLATES_CURRENT = "org_role_templates", "current"
TEMPLATES, TEMPLATES_RETIRING = "templates", "templates_retiring"  # an org's fields as read


def templates_ref(client: firestore.Client) -> firestore.DocumentReference:
    """The document of the deployment's role templates: ``{"templates", "retiring"}``."""
    return client.collection(ROLE_TEMPLATES).document(TEMPLATES_CURRENT)


def with_templates(org: dict[str, Any], templates: dict[str, Any] | None) -> dict[str, Any]:
    """The org's fields as ``org_from_doc`` reads them, with the templates' document's."""
    found = templates or {}
    return {
        **org,
        TEMPLATES: found.get("templates") or {},
        TEMPLATES_RETIRING: list(found.get("retiring") or ()),
    }


def definitions_from(stored: dict[str, Any] | None) -> dict[str, RoleDefinition]:
    """Role definitions as stored: ``{role: {"description", "permissions"}}``."""
    return {
        role: RoleDefinition(d.get("description", ""), tuple(d.get("permissions", ())))
        for role, d in (stored or {}).items()
    }


def definitions_of(definitions: Mapping[str, RoleDefinition]) -> dict[str, Any]:
    return {
        role: {"description": d.description, "permissions": list(d.permissions)}
        for role, d in definitions.items()
    }


def definitions_ref(org: firestore.DocumentReference) -> firestore.DocumentReference:
    """The document of the roles' definitions of the org of ``org``."""
    ref: firestore.DocumentReference = org.collection(DEFINITIONS).document(ROLES_DEFINED)
    return ref


def org_refs(org: firestore.DocumentReference) -> list[firestore.DocumentReference]:
    """The org's document and its definitions', in that order: what an ``Org`` is read from."""
    return [org, definitions_ref(org)]


def with_definitions(org: dict[str, Any], definitions: dict[str, Any] | None) -> dict[str, Any]:
    """The org's fields as ``org_from_doc`` reads them: its document's with the roles'
    definitions of their own document. An org written before they had one (none read) keeps
    those its document holds until its next save moves them (``org_writes``)."""
    if definitions is None:
        return org
    return {**org, ROLE_DEFINITIONS: definitions.get(ROLE_DEFINITIONS) or {}}


def read_org(client: firestore.Client, ref: firestore.DocumentReference) -> dict[str, Any] | None:
    """The org's fields with its definitions and the templates (None: no such document), in
    one round trip."""
    org, definitions, templates = read_documents(client, [*org_refs(ref), templates_ref(client)])
    if org is None:
        return None
    return with_templates(with_definitions(org, definitions), templates)


type Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def org_snapshot(
    client: firestore.Client,
    ref: firestore.DocumentReference,
    transaction: firestore.Transaction | None = None,
) -> tuple[Snapshot, dict[str, Any] | None]:
    """The org's document as read (in ``transaction``, if given: both documents then hold
    its locks, and the templates' document too: an edit of a template waits for the change or
    aborts it) to guard a write by, and its fields with its definitions and the templates
    (None: no such document), in one round trip; Stale when the two are of different saves
    (read again)."""
    refs = [*org_refs(ref), templates_ref(client)]
    found = {
        snap.reference.path: snap
        for snap in client.get_all(refs, transaction=transaction, **BOUNDED)
    }
    org, definitions = found[ref.path], found[definitions_ref(ref).path]
    templates = found[refs[2].path].to_dict()
    if not org.exists:
        return org, None
    fields, defined = org.to_dict() or {}, definitions.to_dict()
    if defined is not None and fields.get(DEFINED) != defined.get(DEFINED):
        raise Stale  # one save's document with another's definitions
    return org, with_templates(with_definitions(fields, defined), templates)


def org_fields(org: Org) -> dict[str, Any]:
    """The fields ``org_from_doc`` reads ``org`` back from (its document's, definitions' and
    the templates')."""
    return {**org_to_doc(org), **definitions_to_doc(org), TEMPLATES: definitions_of(org.templates)}


def definitions_to_doc(org: Org) -> dict[str, Any]:
    return {
        ROLE_DEFINITIONS: {
            role: {"description": d.description, "permissions": list(d.permissions)}
            for role, d in org.roles.items()
        }
    }


def org_writes(
    batch: firestore.WriteBatch, ref: firestore.DocumentReference, org: Org, guard: Any
) -> None:
    """Stage the save of ``org`` (its document, under ``guard``, and its definitions', both
    with the save's new mark) in ``batch``; the document's copy of the definitions from before
    they had their own goes."""
    mark = new_member_version()
    fields = {**org_to_doc(org), ROLE_DEFINITIONS: firestore.DELETE_FIELD, DEFINED: mark}
    batch.update(ref, fields, option=guard)
    batch.set(definitions_ref(ref), {**definitions_to_doc(org), DEFINED: mark})


def org_to_doc(org: Org) -> dict[str, Any]:
    return {
        "slug": org.slug.value,
        "name": org.name,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
        "domain_policy": org.domain_policy.value,
        "require_mfa": org.require_mfa,
        "custom_roles": list(org.custom_roles),
        "require_sso": org.require_sso,
        "sso_break_glass": list(org.sso_break_glass),
        "impersonation": org.impersonation.value,
        "owners": org.owners,
        "agent_mode": org.agent_policy.mode.value,
        "agent_hosts": list(org.agent_policy.hosts),
        RETIRING: [],  # a save of the org ends a mark a stopped removal left
        "deleted_at": None,
        "deleting": False,  # what the operators' list filters on (deleted_at is not indexed)
    }


def org_from_doc(org_id: str, data: dict[str, Any]) -> Org:
    return Org(
        id=org_id,
        slug=Slug(data["slug"]),
        name=data["name"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        domain_policy=DomainPolicy(data.get("domain_policy", DomainPolicy.NONE.value)),
        require_mfa=data.get("require_mfa", False),
        custom_roles=tuple(data.get("custom_roles", ())),
        require_sso=bool(data.get("require_sso", False)),
        sso_break_glass=tuple(data.get("sso_break_glass", ())),
        impersonation=ImpersonationPolicy(data.get("impersonation", "allow")),
        owners=data.get("owners", 1),
        # absent from orgs before there was one: the default (any app)
        agent_policy=stored_policy(data.get("agent_mode"), data.get("agent_hosts")),
        # absent from orgs before roles had permissions: their roles have none
        roles=definitions_from(data.get(ROLE_DEFINITIONS)),
        templates=definitions_from(data.get(TEMPLATES)),
    )


TOKEN_VERSION = "token_version"  # a membership's copy of its account's, written apart


def member_to_doc(member: Membership) -> dict[str, Any]:
    return {
        "org_id": member.org_id,
        "user_id": member.user_id,
        "roles": list(member.roles),  # held: what the rules, queries and tokens read
        "granted": list(member.granted),
        "sso_roles": list(member.sso_roles),
        "scim_roles": list(member.scim_roles),
        "version": member.version,
        "joined_at": member.joined_at,
        "updated_at": member.updated_at,
        "managed": member.managed,
        "permissions": list(member.permissions),  # resolved: what the rules read
    }


def account_token_version(client: firestore.Client, user_id: str) -> int:
    """The account's ``token_version`` as stored now, a new membership's copy of it (0 for an
    account not yet written, as one created in the membership's own commit starts): the
    rules library reads the copy (infrastructure/firestore/orgs/token_versions.py)."""
    account = read_document(client, client.collection(USERS).document(user_id))
    return int((account or {}).get(TOKEN_VERSION, 0))


def member_from_doc(data: dict[str, Any]) -> Membership:
    return Membership(
        org_id=data["org_id"],
        user_id=data["user_id"],
        # A membership from before the roles' sources were kept apart holds them all by hand
        granted=tuple(data.get("granted", data["roles"])),
        version=data["version"],
        joined_at=data["joined_at"],
        updated_at=data["updated_at"],
        managed=bool(data.get("managed", False)),  # absent from memberships before it
        sso_roles=tuple(data.get("sso_roles", ())),
        scim_roles=tuple(data.get("scim_roles", ())),
        permissions=tuple(data.get("permissions", ())),
    )


def is_live(data: dict[str, Any] | None) -> bool:
    """Whether an org document is there and not a deletion's tombstone."""
    return data is not None and data.get("deleted_at") is None


def live_org(org_id: str, data: dict[str, Any] | None) -> Org | None:
    """The org of a document as read; None when absent or deleted (a tombstone)."""
    return org_from_doc(org_id, data) if data is not None and is_live(data) else None


def grantable_org(org_id: str, data: dict[str, Any], held: Iterable[str] = ()) -> Org:
    """The org as a membership's change sees it: a custom role or a template being removed
    (``RETIRING``, the templates' ``retiring``) is unknown to it, unless the member already
    holds it (``held``)."""
    org = org_from_doc(org_id, data)
    retiring = set(data.get(RETIRING, ())) - set(held)
    going = set(data.get(TEMPLATES_RETIRING, ())) - set(held)
    return replace(
        org,
        custom_roles=tuple(r for r in org.custom_roles if r not in retiring),
        templates={r: d for r, d in org.templates.items() if r not in going},
    )
