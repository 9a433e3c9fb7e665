"""An org's own sign-in host (docs/reference/org-sign-in-domain.md): its owners set a host
under one of the org's verified domains and publish two records, verifying them makes the
host active, and from then on a request to it is served as the org's (its brand, its single
sign-on first). A request to a host that is neither the service's own nor an active org host
is refused (421, ``misdirected_request``: the unit's request gate).

Which org an active host is, the question of every request, is one read by the host, kept
by this process for ``HOST_TTL`` (at most ``HOSTS_KEPT`` hosts): a host set, verified or
removed through this process counts at once, through another within that time
(docs/decisions/0896-the-hosts-gate-and-its-cache.md). A daily sweep checks the active
hosts' records again; a host whose records lapsed goes back to pending and its owners are
mailed (``LAPSED``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from application.accounts.accounts import UserRepository
from application.accounts.admin import CLI_ACTOR
from application.mail.sending import MailingJob
from application.org_brand.senders import RECHECK
from application.orgs.orgs import member_view
from application.orgs.ports import OrgDomainReads, OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, JobQueue
from application.remembered import Remembered
from application.signin.authentication import Actor
from domain.errors import Unavailable
from domain.org_brand.hosts import (
    SignInHost,
    active_already,
    host_name,
    no_sign_in_domain,
    not_on_verified_domain,
    not_verified,
    reserved,
    sign_in_domains_off,
    under,
)
from domain.orgs.roles import OWNER, Permission

log = logging.getLogger("firegate.org_brand")

HOST_TTL = 60.0  # seconds a process keeps which org a host is (or that it is none)
HOSTS_KEPT = 4096  # hosts a process keeps; the oldest make way
ACTIVE = "active"  # the key of the active hosts' table in ``HostCache.active``
SWEEP_BATCH = 100  # active hosts read at a time by the sweep
OWNERS_MAX = 50  # owners one lapse mails
LAPSED = "sign_in_domain_lapsed"  # a lapsed host's job: find its owners
MAIL_OWNER = "sign_in_domain_lapsed_mail"  # one owner's mail
MAIL_KIND = "sign_in_domain_lapsed"  # the mail's template, and its kind in the metrics
# The audit log's ``org.updated`` names what changed by this word (a lapse: ``via`` the
# re-check's, as a sender's)
SIGN_IN_DOMAIN = "sign_in_domain"


class HostRecords(Protocol):
    """What DNS answers of a host's records: ``DNS_RESOLVER``'s (infrastructure/orgs/dns.py)."""

    def lookup(self, name: str) -> list[str]:
        """The TXT records at ``name``, each its strings joined; [] for none; Unavailable
        when no resolver answers."""
        ...

    def cname(self, name: str) -> str | None:
        """The name ``name``'s CNAME points at; None without one; Unavailable when no
        resolver answers."""
        ...


class SignInHostStore(Protocol):
    """Each org's host in ``org_sign_in_domains/{org_id}`` and its claim, keyed by the host,
    in ``org_sign_in_hosts/{host}`` ``{"org_id", "active"}``: one host per org, one org per
    host, under any concurrency."""

    def get(self, org_id: str) -> SignInHost | None: ...

    def put(self, host: SignInHost) -> SignInHost:
        """Set ``host`` as its org's, claiming its name, in one commit that replaces the
        org's pending host (releasing its name); the org's host as stored if it is the same
        host already. Conflict ``host_taken`` when another org holds the name,
        ``sign_in_domain_active`` when the org's host is another active one."""
        ...

    def delete(self, org_id: str) -> SignInHost | None:
        """Remove the org's host and release its name; None if it had none."""
        ...

    def save(self, host: SignInHost) -> SignInHost | None:
        """Store ``host``'s status and times, and its claim's ``active``, in one commit, if
        the org's host is still that host with that token; None if it was removed or
        replaced meanwhile."""
        ...

    def page(self, after: str | None, limit: int) -> list[SignInHost]:
        """Up to ``limit`` orgs' hosts, by org id after ``after``."""
        ...


@dataclass(frozen=True, kw_only=True)
class HostSettings:
    """``target``: ``ORG_HOST_TARGET``, what an org host's CNAME points at ("": the feature
    is off); ``own_hosts``: the service's own hosts (PUBLIC_URL's; with Pub/Sub, its pushes'),
    which every request may name and no org may set; ``loopback``: the local profile's
    loopback names are the service's too."""

    target: str
    own_hosts: frozenset[str]
    loopback: bool = False


@dataclass(frozen=True)
class HostRequest:
    """A sign-in domain route's request: the caller, the org as the path names it (id or
    slug), the host as given (a PUT's)."""

    actor: Actor
    org: str
    host: str | None = None


@dataclass(frozen=True)
class HostCache:
    """What a process knows of the org hosts (``known``: a host's org, "" for none) and of
    the active hosts' origins, kept ``HOST_TTL``: one per process (the unit's adapters'),
    shared by the gate, the routes, the sweep and the purge, so that a change made through
    any of them is seen at once by the others."""

    active: Remembered[str, Mapping[str, str]] = field(default_factory=lambda: Remembered(1))
    known: Remembered[str, str] = field(default_factory=lambda: Remembered(HOSTS_KEPT))


@dataclass(kw_only=True)
class SignInHosts:
    """An org's sign-in host as its owners set, verify and remove it and its members read
    it; which org an active host is, for the request gate; the active hosts' origins, their
    daily re-check and the operator's commands."""

    orgs: OrgRepository
    domains: OrgDomainReads
    store: SignInHostStore
    dns: HostRecords
    clock: Clock
    settings: HostSettings
    audit: AuditLog
    queue: JobQueue | None = None
    now: Callable[[], float] = time.monotonic  # the cache's clock
    cache: HostCache = field(default_factory=HostCache)

    # -- the owners' and members' use cases

    def _org(self, cmd: HostRequest, permission: Permission | None) -> str:
        view = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=permission)
        return view.org.id

    def put(self, cmd: HostRequest) -> SignInHost:
        """Set the org's host (owners): pending, with its records to publish; the same host
        again answers it as it is. 422 ``invalid_host``, ``host_not_on_verified_domain``,
        ``host_reserved``; 409 ``host_taken``, ``sign_in_domain_active``."""
        org_id = self._org(cmd, Permission.MANAGE_SSO)
        if not self.settings.target:
            raise sign_in_domains_off()
        host = host_name(cmd.host)
        if host in self.settings.own_hosts or host == self.settings.target:
            raise reserved(host)
        if under(host, self.domains.verified(org_id)) is None:
            raise not_on_verified_domain(host)
        current = self.store.get(org_id)
        if current is not None and current.active and current.host != host:
            raise active_already(current.host)
        stored = self.store.put(SignInHost.create(org_id, host, cmd.actor.user_id, self._now()))
        self._changed(stored.host, current.host if current is not None else None)
        if stored != current:  # the same host again is answered as it is
            self._audit(stored, cmd.actor.user_id)
        return stored

    def get(self, cmd: HostRequest) -> SignInHost:
        """The org's host (members); 404 ``sign_in_domain_not_found``."""
        found = self.store.get(self._org(cmd, Permission.READ))
        if found is None:
            raise no_sign_in_domain()
        return found

    def delete(self, cmd: HostRequest) -> None:
        """Remove the org's host (owners): its requests are refused from then on."""
        self._remove(self._org(cmd, Permission.MANAGE_SSO), cmd.actor.user_id)

    def verify(self, cmd: HostRequest) -> SignInHost:
        """Look both records up (owners): active, or 409 ``sign_in_domain_not_verified``
        naming what is missing; 503 when no resolver answered."""
        return self._verify(self._org(cmd, Permission.MANAGE_SSO), cmd.actor.user_id)

    # -- the operator's (the command line) and the use cases above

    def verify_org(self, org_id: str) -> SignInHost:
        """Verify the org's host's records: active (an active one stays so), or 409."""
        return self._verify(org_id, None)

    def _verify(self, org_id: str, user_id: str | None) -> SignInHost:
        """``verify_org`` by the owner ``user_id`` (None: the command line)."""
        found = self.store.get(org_id)
        if found is None:
            raise no_sign_in_domain()
        missing = self._missing(found)
        if missing:
            raise not_verified(found, missing, self.settings.target)
        if found.active:
            return found
        saved = self.store.save(found.activated(self._now()))
        if saved is None:
            raise no_sign_in_domain()  # removed or replaced meanwhile
        self._changed(saved.host)
        self._audit(saved, user_id)
        return saved

    def remove(self, org_id: str) -> SignInHost:
        """Remove the org's host; 404 ``sign_in_domain_not_found`` if it has none."""
        return self._remove(org_id, None)

    def _remove(self, org_id: str, user_id: str | None) -> SignInHost:
        """``remove`` by the owner ``user_id`` (None: the command line)."""
        removed = self.store.delete(org_id)
        if removed is None:
            raise no_sign_in_domain()
        self._changed(removed.host)
        self._audit(removed, user_id)
        return removed

    def listed(self, *, active: bool = False) -> list[SignInHost]:
        """Every org's host (``active``: the active ones), by org id."""
        found: list[SignInHost] = []
        after: str | None = None
        while True:
            page = self.store.page(after, SWEEP_BATCH)
            found.extend(host for host in page if host.active or not active)
            if len(page) < SWEEP_BATCH:
                return found
            after = page[-1].org_id

    # -- what a request asks

    def _active(self) -> Mapping[str, str]:
        """Each active host's org id, by host: the hosts listed once per ``HOST_TTL`` by this
        process, whatever Host headers its requests carry (an unknown one costs no read)."""
        now = self.now()
        found = self.cache.active.get(ACTIVE, now)
        if found is None:
            found = {host.host: host.org_id for host in self.listed(active=True)}
            self.cache.active.put(ACTIVE, found, now + HOST_TTL)
        return found

    def org_of(self, host: str) -> str | None:
        """The live org whose active host ``host`` is (a request's Host, lower case, no
        port); None for any other host (a deleted org's too). An active host's org is read
        once per ``HOST_TTL`` by this process."""
        org_id = self._active().get(host)
        if org_id is None:
            return None
        now = self.now()
        known = self.cache.known.get(host, now)
        if known is None:
            known = org_id if self.orgs.get(org_id) is not None else ""
            self.cache.known.put(host, known, now + HOST_TTL)
        return known or None

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """A deleted org's purge (the orgs' ``ORG_DATA``): its host removed, its name free."""
        removed = self.store.delete(org_id)
        if removed is not None:
            self._changed(removed.host)

    def active_origins(self) -> tuple[str, ...]:
        """``https://{host}`` of each active org host, by host (for the passkeys' related
        origins); listed by this process once per ``HOST_TTL``."""
        return tuple(f"https://{host}" for host in sorted(self._active()))

    # -- the daily re-check

    def sweep(self) -> int:
        """Check each active host's records again: one whose records lapsed goes back to
        pending and its owners are mailed (a job per host). How many lapsed. A host whose
        lookup failed (no resolver answered) stays as it is until the next sweep."""
        lapsed = 0
        for found in self.listed(active=True):
            try:
                missing = self._missing(found)
            except Unavailable:
                log.warning("the records of the sign-in host %s could not be checked", found.host)
                continue
            if not missing:
                self.store.save(found.checked(self._now()))
                continue
            saved = self.store.save(found.lapsed())
            if saved is None:
                continue  # removed or replaced meanwhile
            lapsed += 1
            self._changed(found.host)
            self._audit(saved, None, via=RECHECK)
            log.info("the sign-in host %s lapsed (%s missing)", found.host, ", ".join(missing))
            if self.queue is not None:
                subject = {"org": found.org_id, "host": found.host, "missing": list(missing)}
                self.queue.enqueue(Job(kind=LAPSED, subject=json.dumps(subject)))
        return lapsed

    def run_scheduled(self) -> None:
        try:
            self.sweep()
        except Exception:  # the next run tries again
            log.exception("the sign-in hosts' sweep failed")

    # -- inside

    def _missing(self, found: SignInHost) -> tuple[str, ...]:
        """What DNS does not show of the host's records, and ``domain`` when the host is no
        longer below one of its org's verified domains (deleted since)."""
        cname = self.dns.cname(found.host)
        txt = self.dns.lookup(found.txt_name)
        missing = found.missing(cname, txt, self.settings.target)
        if under(found.host, self.domains.verified(found.org_id)) is None:
            missing = (*missing, "domain")
        return missing

    def _now(self) -> datetime:
        return self.clock.now()

    def _audit(self, host: SignInHost, user_id: str | None, *, via: str | None = None) -> None:
        """``org.updated`` (reason ``sign_in_domain``) on the org's log: by the owner
        ``user_id``; else about the owner who set the host (an event is about an account),
        made on the command line (``actor_id`` ``cli``) or, ``via`` set, by the daily
        re-check."""
        self.audit.record(
            AuditEvent(
                Audit.ORG_UPDATED,
                user_id=user_id or host.created_by,
                org_id=host.org_id,
                reason=SIGN_IN_DOMAIN,
                actor_id=None if user_id is not None or via is not None else CLI_ACTOR,
                via=via,
            )
        )

    def _changed(self, *hosts: str | None) -> None:
        """Forget what this process knew of ``hosts`` and of the active origins."""
        for host in hosts:
            if host is not None:
                self.cache.known.put(host, "", 0.0)
        self.cache.active.put(ACTIVE, {}, 0.0)


@dataclass(frozen=True)
class LapseMail:
    """A lapsed host's job: its org and host, what was missing, and (its second step) the
    owner to mail."""

    org_id: str
    host: str
    missing: tuple[str, ...]
    user_id: str | None = None

    @classmethod
    def parse(cls, subject: str) -> LapseMail | None:
        try:
            data = json.loads(subject)
            user = data.get("user")
            return cls(
                str(data["org"]),
                str(data["host"]),
                tuple(str(name) for name in data.get("missing", ())),
                str(user) if user is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def for_owner(self, user_id: str) -> Job:
        subject = {"org": self.org_id, "host": self.host, "missing": list(self.missing)}
        return Job(kind=MAIL_OWNER, subject=json.dumps({**subject, "user": user_id}))


@dataclass(frozen=True, kw_only=True)
class LapseMails:
    """A lapsed host's mails: a job finds the org's owners and queues one mail each, so a
    retried mail is one mail, not one to every owner again."""

    orgs: OrgRepository
    users: UserRepository
    queue: JobQueue
    mails: MailingJob
    public_url: str

    def find_owners(self, job: Job, final: bool) -> None:
        lapse = LapseMail.parse(job.subject)
        if lapse is None:
            log.warning("unreadable sign-in host lapse dropped")
            return
        after: str | None = None
        owners: list[str] = []
        while len(owners) < OWNERS_MAX:
            page = self.orgs.members_page(lapse.org_id, after, 100)
            owners.extend(member.user_id for member in page if OWNER in member.roles)
            if len(page) < 100:
                break
            after = page[-1].user_id
        for user_id in owners[:OWNERS_MAX]:
            self.queue.enqueue(lapse.for_owner(user_id))

    def mail_owner(self, job: Job, final: bool) -> None:
        lapse = LapseMail.parse(job.subject)
        if lapse is None or lapse.user_id is None:
            log.warning("unreadable sign-in host lapse mail dropped")
            return
        org = self.orgs.get(lapse.org_id)
        user = self.users.get(lapse.user_id)
        if org is None or user is None or not user.active or user.email is None:
            return
        if not user.email_verified:
            return  # a notice goes to an address the account proved, or nowhere
        context = {
            "name": user.shown_name,
            "org": org.name,
            "host": lapse.host,
            "missing": ", ".join(lapse.missing),
            "link": f"{self.public_url.rstrip('/')}/account/orgs/{org.slug.value}",
            "locale": user.locale or "",
        }
        what = f"the sign-in host lapse mail of {lapse.host}"
        self.mails.mail(MAIL_KIND, user.email.value, context, final, what, org_id=org.id)


def own_hosts(public_urls: Sequence[str]) -> frozenset[str]:
    """The hosts of the service's own URLs (PUBLIC_URL's), lower case, without a port."""
    return frozenset(
        (urlsplit(url).hostname or "").lower() for url in public_urls if urlsplit(url).hostname
    )
