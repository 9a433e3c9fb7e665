"""An org's directory provisions its people over SCIM: a new user becomes a firegate account
(or joins one that proved the address) with a membership in the org; the directory reads,
searches, replaces and deletes them (docs/reference/scim.md, "Users";
docs/decisions/0404-who-a-scim-user-is.md).

The org is the one the directory's token opened (``ScimTokens``): every command names it,
and a record of another org is not found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from application.accounts.accounts import UserRepository
from application.accounts.addresses import AddressRule
from application.accounts.admin import DisableAccount, set_disabled_by_id
from application.accounts.profile_schema import ProfileSchemas
from application.accounts.signups import SignUp, Signups, SignUpWay
from application.federation.linking import username_candidates
from application.orgs.joining.domains import OrgDomains, org_for_domain
from application.orgs.members.attributes import check_org_writes_on
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.scim.ports import ScimUsers
from application.scim.search import Found, Search, search_records
from domain.accounts.attributes import EMPTY_SCHEMA, ProfileSchema
from domain.accounts.credentials import Email
from domain.accounts.profile import PersonName
from domain.accounts.users import User
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.ids import new_id
from domain.orgs.orgs import Membership, Org, OrgRole, check_org_writes, owners_after
from domain.orgs.roles import Granter
from domain.scim.enterprise import SCIM, answered, extended, mapped, sent_changes
from domain.scim.users import (
    ScimEmail,
    ScimUser,
    checked_record,
    checked_user_name,
    no_such_user,
    version_mismatch,
)

log = logging.getLogger("firegate.scim")
VIA = "scim"  # the ``via`` (and ``reason``) of the events provisioning causes
DISABLED = ("disabled", "False", "True")  # the change of ``user.disabled``, as the admins' is
T = TypeVar("T")


@dataclass(frozen=True)
class UserFields:
    """What the directory sent of a user (its SCIM model checked it)."""

    user_name: object
    active: bool = True
    emails: tuple[ScimEmail, ...] = ()
    external_id: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    formatted_name: str | None = None  # name.formatted
    document: str = "{}"  # the resource as sent, as JSON text

    @property
    def names(self) -> PersonName:
        """The account's name as the directory gives it: ``name.givenName`` and
        ``name.familyName``, else ``name.formatted`` or ``displayName`` as the whole name."""
        whole = self.formatted_name or self.display_name
        return PersonName.of(self.given_name, self.family_name, whole)


@dataclass(frozen=True)
class ProvisionUser:
    org: Org
    fields: UserFields
    by: str = ""  # who made the SCIM token the creation came with (``Directory.made_by``)


@dataclass(frozen=True)
class ScimUserRef:
    org: Org
    user_id: str


@dataclass(frozen=True)
class ReplaceUser:
    org: Org
    user_id: str
    fields: UserFields
    expected_version: int  # the version the change was made on
    by: str = ""  # who made the SCIM token the change came with (``Directory.made_by``)


@dataclass(frozen=True)
class RemoveUser:
    org: Org
    user_id: str
    expected_version: int | None = None
    by: str = ""  # who made the SCIM token the removal came with


def _address(record: ScimUser) -> Email | None:
    text = record.address
    if text is None:
        return None
    try:
        return Email(text)
    except InvalidInput:
        raise InvalidInput.field("emails", "Not a valid address.", "invalid_email") from None


def _normalized(record: ScimUser) -> str | None:
    email = _address(record)
    return email.normalized if email is not None else None


def _proven_on(org: Org, email: Email | None, domains: OrgDomains) -> bool:
    return (
        email is not None
        and org_for_domain(email.value.rpartition("@")[2], domains=domains) == org.id
    )


def _event(kind: Audit, record: ScimUser, **fields: Any) -> AuditEvent:
    return AuditEvent(
        kind, user_id=record.user_id, org_id=record.org_id, reason=VIA, via=VIA, **fields
    )


def _writes_on_new(record: ScimUser, by: str) -> bool:
    """Whether the org writes attributes on the account a record makes: as on any account
    (``check_org_writes``), its new membership managed when its address is proven on the
    org's verified domains (``record.managed``)."""
    joining = Membership(
        record.org_id,
        record.user_id,
        (),
        0,
        record.created_at,
        record.created_at,
        managed=record.managed,
    )
    try:
        check_org_writes(joining, False, by or None)
    except PermissionDenied:
        return False
    return True


@dataclass(frozen=True, kw_only=True, slots=True)
class DirectoryUsers:
    """An org's people as its directory provisions them: each a firegate account with a
    membership in the org.

    ``records``: the org's SCIM users; ``users``: the accounts provisioning makes or
    joins; ``orgs``: their memberships; ``domains``: the org's verified domains, which
    prove an address; ``addresses``: the rule a directory's address follows;
    ``schemas``: the profile attributes the enterprise extension maps onto;
    ``signups``: the door every new account passes (the org vouches for an address on
    its verified domains)."""

    records: ScimUsers
    users: UserRepository
    orgs: OrgRepository
    domains: OrgDomains
    clock: Clock
    audit: AuditLog
    addresses: AddressRule
    schemas: ProfileSchemas
    signups: Signups

    def _new_address(self, org: Org, record: ScimUser) -> Email | None:
        """The record's address as one given now, by the rule every entry follows: its
        special-use name held by the org's own verified domain (400 else)."""
        if record.address is None:
            return None
        return self.addresses.new(record.address, org.id, field="emails")

    def search(self, cmd: Search[ScimUser]) -> Found[ScimUser]:
        """A page of the org's users that match (``search_records``), each with the
        profile attributes it maps as its account holds them."""
        found = search_records(cmd, records=self.records)
        if not any(extended(each.document) for each in found.items):
            return found
        schema = self.schemas.current()
        return Found(found.total, [self._shown(each, schema) for each in found.items])

    def _shown(self, record: ScimUser, schema: ProfileSchema | None = None) -> ScimUser:
        """The record as answered: a resource with the enterprise extension has its mapped
        attributes as the account holds them where ``scim`` reads them (the schema and the
        account are read only for such a resource, and the account only when it maps
        some)."""
        if not extended(record.document):
            return record
        schema = schema or self.schemas.current()
        if not mapped(schema):
            return record
        account = self.users.get(record.user_id)
        values = account.attributes if account is not None else {}
        return replace(record, document=answered(record.document, schema, values))

    def _attribute_changes(self, fields: UserFields) -> tuple[ProfileSchema, dict[str, object]]:
        """The schema and the changes the resource makes to the attributes ``scim`` writes,
        each value checked (400 ``invalidValue`` naming it) before anything changes; the
        schema is read only for a resource with the enterprise extension."""
        if not extended(fields.document):
            return EMPTY_SCHEMA, {}
        schema = self.schemas.current()
        changes = sent_changes(fields.document, schema)
        schema.written({}, changes, SCIM)
        return schema, changes

    def _disable(self, cmd: DisableAccount) -> None:
        """The admins' way to disable (or enable) an account, its sessions ended."""
        set_disabled_by_id(cmd, users=self.users, clock=self.clock, audit=self.audit)

    def _record(self, org: Org, user_id: str, fields: UserFields, *, managed: bool) -> ScimUser:
        now = self.clock.now()
        return checked_record(
            ScimUser(
                org_id=org.id,
                user_id=user_id,
                user_name=checked_user_name(fields.user_name),
                active=fields.active,
                managed=managed,
                created_at=now,
                updated_at=now,
                version=1,
                emails=fields.emails,
                external_id=fields.external_id,
                display_name=fields.display_name,
                document=fields.document,
            )
        )

    def provision(self, cmd: ProvisionUser) -> ScimUser:
        """A new SCIM user of the org: the account that proved its address (on one of the org's
        verified domains) joins the org (managed when the org's SSO made it); else a new
        account, its address proven on those domains, its username derived from ``userName``
        (§3's rules), no password. One commit stores the ``userName``'s claim, the record, the
        new account, its membership and their events: of directories creating one at once a
        single one goes on (409 ``user_name_taken`` for the others), and a create that fails
        leaves nothing behind."""
        org, fields = cmd.org, cmd.fields
        draft = self._record(org, "pending", fields, managed=False)
        email = self._new_address(org, draft)
        proven = _proven_on(org, email, self.domains)
        holder = self.users.find_by_login(email.normalized) if email is not None else None
        if holder is None:
            record = replace(draft, user_id=new_id(), managed=proven)
            self._make_account(record, email, fields, cmd.by)
            return self._shown(record)
        if not (proven and holder.email_verified):
            raise Conflict(
                "An account holds this address, and nothing proves it is this person's.",
                code="email_taken",
            )
        membership = self.orgs.membership(org.id, holder.id)
        # The org manages the account when its SSO made it (docs/decisions/0414-...)
        record = replace(
            draft, user_id=holder.id, managed=membership is not None and membership.managed
        )
        try:
            joins = membership is None and record.active
            self._commit(record, None, [], joins=joins)
        except Conflict as exc:
            if exc.code != "already_member":
                raise
            self._commit(record, None, [], joins=False)  # joined meanwhile
        if not record.active:
            try:
                self._deactivate(org, record)
            except BaseException:
                self.records.remove(org.id, record.user_id)  # the directory's retry starts again
                raise
        return self._shown(record)

    def _commit(
        self,
        record: ScimUser,
        account: User | None,
        events: list[AuditEvent],
        *,
        joins: bool,
    ) -> None:
        """The record, with ``account`` (a new one) and the account's membership when it
        ``joins`` (managed when the org made the account), and their events: one commit."""
        member = None
        if joins:
            member = Membership(
                record.org_id,
                record.user_id,
                (OrgRole.MEMBER.value,),
                0,  # a new version, which the commit sets
                record.created_at,
                record.created_at,
                managed=account is not None and record.managed,
            )
            events = [*events, _event(Audit.ORG_MEMBER_ADDED, record)]
        staged = self.audit.stage(events)
        self.records.claim(record, account, member=member, staged=staged)
        self.audit.committed(staged)

    def _make_account(
        self,
        record: ScimUser,
        email: Email | None,
        fields: UserFields,
        by: str,
    ) -> None:
        """A new account for the record, in the record's own commit: the first free username of
        the candidates, the profile attributes the directory writes where the org manages it
        (none else: ``check_org_writes``); disabled when the org manages it and the directory
        sent it inactive."""
        schema, changes = self._attribute_changes(fields)
        if changes and not _writes_on_new(record, by):
            changes = {}
        preferred = (
            record.user_name.partition("@")[0] if "@" in record.user_name else record.user_name
        )
        verdict = self.signups.admit(
            SignUp(
                SignUpWay.SCIM,
                email,
                username=record.user_name,
                org_id=record.org_id,
                vouched=record.managed,
            )
        )
        names = fields.names
        disabled = record.managed and not record.active
        events = [_event(Audit.USER_CREATED, record)]
        if disabled:
            events.append(_event(Audit.ROLE_CHANGE, record, changes=(DISABLED,)))
        for username in username_candidates(preferred, email.value if email else None):
            user = User.register(
                id=record.user_id,
                username=username,
                email=email,
                password_hash=None,
                now=record.created_at,
                admitted=verdict,
                name=names.given,
                last_name=names.family,
                full_name=names.full,
                email_verified=record.managed,
            )
            user = user.with_attributes(schema, changes, SCIM, record.created_at)
            if disabled:
                user = user.with_disabled(True, record.created_at)
            try:
                joins = record.active or record.managed
                self._commit(record, user, events, joins=joins)
            except Conflict as exc:
                if exc.code != "username_taken":
                    raise
                continue
            return
        raise Conflict("No free username could be derived; try again.", code="username_unavailable")

    def _join(self, org: Org, user_id: str, by: str) -> None:
        if self.orgs.membership(org.id, user_id) is not None:
            return
        event = AuditEvent(
            Audit.ORG_MEMBER_ADDED, user_id=user_id, org_id=org.id, reason=VIA, via=VIA
        )
        staged = self.audit.stage([event])
        try:
            self.orgs.add_member(
                org.id,
                user_id,
                (OrgRole.MEMBER.value,),
                self.clock.now(),
                staged,
                granter=Granter.scim(by),
            )
        except Conflict as exc:
            if exc.code != "already_member":
                raise
            return
        self.audit.committed(staged)

    def get(self, cmd: ScimUserRef) -> ScimUser:
        """The record, with the profile attributes it maps as its account holds them."""
        return self._shown(self._record_of(cmd))

    def _record_of(self, cmd: ScimUserRef) -> ScimUser:
        found = self.records.get(cmd.org.id, cmd.user_id)
        if found is None:
            raise no_such_user()
        return found

    def replace(self, cmd: ReplaceUser) -> ScimUser:
        """The record as the directory now describes it, at the version it was read at (409
        ``version_mismatch`` when changed since). An account the org manages takes the record's
        new address (its ``userName`` or ``emails``), proven on the org's verified domains; one
        it does not manage keeps its own. The username stays as it was derived at provisioning
        (docs/decisions/0428-a-directory-moves-a-managed-address.md)."""
        current = self._record_of(ScimUserRef(cmd.org, cmd.user_id))
        if current.version != cmd.expected_version:
            raise version_mismatch()
        fields = cmd.fields
        schema, changes = self._attribute_changes(fields)
        changed = checked_record(
            replace(
                current,
                user_name=checked_user_name(fields.user_name),
                active=fields.active,
                emails=fields.emails,
                external_id=fields.external_id,
                display_name=fields.display_name,
                document=fields.document,
                updated_at=self.clock.now(),
                version=current.version + 1,
            )
        )
        if changed.address != current.address:
            self._new_address(cmd.org, changed)
        moves = current.managed and _normalized(changed) != _normalized(current)
        if moves or changed.active != current.active:
            self._may_act_on(cmd.org, current.user_id, cmd.by)
        if current.managed:
            self._move_address(cmd.org, changed)
            self._rename(changed, fields.names)
            self._write_attributes(changed, schema, changes, cmd.by)
        if current.active and not changed.active:
            self._deactivate(cmd.org, current)
        elif changed.active and not current.active:
            self._reactivate(cmd.org, current, cmd.by)
        return self._shown(self.records.replace(changed, current.version), schema)

    def _write_attributes(
        self, record: ScimUser, schema: ProfileSchema, changes: dict[str, object], by: str
    ) -> None:
        """The managed account takes the profile attributes the directory now writes, as it
        takes its name (none when the resource has no enterprise extension), where the org
        may write them (``check_org_writes_on``: none else, and a log line)."""
        account = self.users.get(record.user_id)
        if not changes or account is None or account.deleted_at is not None:
            return
        try:
            check_org_writes_on(
                account, record.org_id, by or None, orgs=self.orgs, domains=self.domains
            )
        except PermissionDenied as refused:
            log.warning(
                "scim: org %s writes no attribute of %s (%s)",
                record.org_id,
                account.id,
                refused.code,
            )
            return
        now = self.clock.now()
        if account.with_attributes(schema, changes, SCIM, now).attributes == account.attributes:
            return
        self.users.update(
            record.user_id, lambda user: user.with_attributes(schema, changes, SCIM, now)
        )

    def _move_address(self, org: Org, record: ScimUser) -> None:
        """The managed account takes the record's address when it has another: one on the org's
        verified domains (400 ``email_not_on_verified_domain`` else), held by no other account
        (409 ``email_taken``), proven at once. As an address change made anywhere in firegate,
        its mailed links to the old address end and its sessions go on. A record without an
        address leaves the account's. Made before the record changes, as deprovisioning is: a
        directory that retries after a failure finds the account at its new address already."""
        email = _address(record)
        account = self.users.get(record.user_id)
        if email is None or account is None or account.deleted_at is not None:
            return
        if account.email is not None and account.email.normalized == email.normalized:
            return
        if not _proven_on(org, email, self.domains):
            raise InvalidInput.field(
                "emails",
                "An account the organization manages takes only addresses on its verified domains.",
                "email_not_on_verified_domain",
            )
        self.signups.address(email, field="emails")  # the domain lists, as for a new account
        now = self.clock.now()
        self.users.update(
            record.user_id, lambda user: user.edited({"email": email}, now).with_email_verified(now)
        )
        self.audit.record(_event(Audit.EMAIL_CHANGE, record))

    def _rename(self, record: ScimUser, names: PersonName) -> None:
        """The managed account takes the name the directory now gives it (given and family
        apart, else the whole name; none given leaves the account's), so its tokens and
        userinfo carry it from the next one on. Made before the record changes, as the
        address's move."""
        if names.empty:
            return
        account = self.users.get(record.user_id)
        if (
            account is None
            or account.deleted_at is not None
            or account.named(names, account.updated_at) is account
        ):
            return
        now = self.clock.now()
        self.users.update(record.user_id, lambda user: user.named(names, now))

    def _may_act_on(self, org: Org, user_id: str, by: str) -> None:
        """An owner of the org is deprovisioned, moved or removed by a SCIM token only while the
        one who made the token is an owner too: an admin's token would otherwise end what the
        API refuses that admin (docs/decisions/0451-scim-acts-on-owners-by-an-owners-token.md);
        403 ``scim_owner_protected``."""
        target = self.orgs.membership(org.id, user_id)
        if target is None or not target.owner:
            return
        maker = self.orgs.membership(org.id, by) if by else None
        if maker is None or not maker.owner:
            raise PermissionDenied(
                "This person is an owner of the organization: only a SCIM token an owner made "
                "acts on owners.",
                code="scim_owner_protected",
            )

    def _may_leave(self, org: Org, user_id: str) -> None:
        """409 ``last_owner`` when the person is the org's last owner, found before anything
        changes: a refused removal leaves the account as it was (the commit that ends the
        membership counts the owners again)."""
        target = self.orgs.membership(org.id, user_id)
        if target is not None:
            owners_after(self.orgs.get(org.id) or org, target, None)

    def _deactivate(self, org: Org, record: ScimUser) -> None:
        """Deprovisioning: an account the org manages is disabled, which ends its sessions,
        grants, personal tokens and Firebase access in one commit (its next request fails); one
        it does not manage only leaves the org. Made before the record changes: a directory
        that retries after a failure deprovisions again."""
        if record.managed:
            self._disable(DisableAccount(record.user_id, True, VIA, org.id, VIA))
        else:
            self._leave(org, record.user_id)

    def _reactivate(self, org: Org, record: ScimUser, by: str) -> None:
        """An account the org manages is enabled again (none of its old sessions comes back);
        one it does not manage joins the org again."""
        if record.managed:
            self._disable(DisableAccount(record.user_id, False, VIA, org.id, VIA))
        else:
            self._join(org, record.user_id, by)

    def remove(self, cmd: RemoveUser) -> None:
        """The person no longer a member of the org (409 ``last_owner`` for its last owner), an
        account the org manages disabled first, then the record gone."""
        current = self._record_of(ScimUserRef(cmd.org, cmd.user_id))
        if cmd.expected_version is not None and current.version != cmd.expected_version:
            raise version_mismatch()
        self._may_act_on(cmd.org, current.user_id, cmd.by)
        self._may_leave(cmd.org, current.user_id)  # before the account is disabled
        if current.managed:
            self._disable(DisableAccount(current.user_id, True, VIA, cmd.org.id, VIA))
        self._leave(cmd.org, cmd.user_id)
        if not self.records.remove(cmd.org.id, cmd.user_id, current.version):
            raise no_such_user()

    def _leave(self, org: Org, user_id: str) -> None:
        event = AuditEvent(
            Audit.ORG_MEMBER_REMOVED, user_id=user_id, org_id=org.id, reason=VIA, via=VIA
        )
        staged = self.audit.stage([event])
        try:
            self.orgs.remove_member(org.id, user_id, self.clock.now(), staged)
        except NotFound:
            return  # not a member (any more)
        self.audit.committed(staged)
