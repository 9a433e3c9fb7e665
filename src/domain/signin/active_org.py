"""A session's active organization: what a request, a token and the Firebase rules know of the
org a person acts in (docs/reference/orgs.md, "The active organization"), its agent policy
among it: which apps and agents may act for its members acting in it (docs/reference/
orgs.md, "Agent policy"; docs/decisions/0548-an-orgs-agent-policy.md). The policy is read
with the org's document, so the provider checks it at no read of its own. An app is known
by its hosts (``OAuthClient.hosts``): the host of a client ID metadata document's URL, or
the hosts of a registered client's redirect URIs."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.dns_names import a_label
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.public_urls import loopback_host
from domain.signin.mfa import TotpFactor

# -- the agent policy

MAX_HOSTS = 50
NAME_MAX, LABEL_MAX = 253, 63  # RFC 1035 2.3.4


class AgentMode(StrEnum):
    ANY = "any"  # every app: what an org that never set a policy has
    ALLOW_LIST = "allow_list"  # the apps whose every host is listed, and the org's own
    NONE = "none"  # the org's own apps only


def _invalid_host(value: object) -> InvalidInput:
    shown = value[:80] if isinstance(value, str) else type(value).__name__
    return InvalidInput.field(
        "hosts",
        f"Not a bare host name: {shown!r}. Give names such as agent.example.com: no scheme, "
        "port, path, wildcard or IP address.",
        "invalid_agent_host",
    )


def agent_host(value: object, *, local: bool = False) -> str:
    """A host as a policy lists it: a DNS name of at least two labels, lower case, IDNA 2008
    A-labels, no trailing dot; never a scheme, a port, a path, a wildcard, an IP address or
    a loopback name (``localhost``, ``*.localhost``). 422 ``invalid_agent_host`` else. In
    the local profile (``local``), which fetches client metadata documents from this machine,
    a loopback host too: ``localhost``, a ``*.localhost`` name, ``127.0.0.1``, ``::1``
    (docs/decisions/0622-an-orgs-policy-governs-document-agents.md)."""
    if not isinstance(value, str):
        raise _invalid_host(value)
    text = value.strip().removesuffix(".")
    if local and loopback_host(text.lower().strip("[]")):
        return text.lower().strip("[]")
    if not text or any(ch in text for ch in "/:@*?#[] \\") or _is_ip(text):
        raise _invalid_host(value)
    name = a_label(text)
    if name is None or len(name) > NAME_MAX or loopback_host(name):
        raise _invalid_host(value)
    labels = name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        raise _invalid_host(value)
    for label in labels:
        if not 1 <= len(label) <= LABEL_MAX or not label.replace("-", "").isalnum():
            raise _invalid_host(value)
        if label.startswith("-") or label.endswith("-") or not label.isascii():
            raise _invalid_host(value)
    return name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class AgentPolicy:
    """``mode`` and, for ``allow_list``, the hosts it lists (distinct, sorted)."""

    mode: AgentMode = AgentMode.ANY
    hosts: tuple[str, ...] = ()

    @staticmethod
    def checked(mode: object, hosts: object, *, local: bool = False) -> AgentPolicy:
        """The policy as an owner sets it: a mode of ``AgentMode`` (422
        ``invalid_agent_mode``), and at most ``MAX_HOSTS`` hosts (422 ``too_many_agent_hosts``),
        each ``agent_host`` (a loopback one in the local profile, ``local``); hosts only with
        ``allow_list`` (422 ``invalid_agent_hosts``)."""
        if mode not in {m.value for m in AgentMode}:
            raise InvalidInput.field("mode", "One of any, allow_list, none.", "invalid_agent_mode")
        if not isinstance(hosts, list):
            raise InvalidInput.field("hosts", "A list of host names.", "invalid_agent_hosts")
        if len(hosts) > MAX_HOSTS:
            raise InvalidInput.field("hosts", f"At most {MAX_HOSTS} hosts.", "too_many_agent_hosts")
        listed = tuple(sorted({agent_host(host, local=local) for host in hosts}))
        if listed and mode != AgentMode.ALLOW_LIST:
            raise InvalidInput.field(
                "hosts", "Hosts are listed only with mode allow_list.", "invalid_agent_hosts"
            )
        return AgentPolicy(AgentMode(str(mode)), listed)

    def lists(self, client_hosts: Sequence[str]) -> bool:
        """Whether the policy names an app of ``client_hosts``: ``allow_list`` with each of
        them listed (an app with no host is named by none). What minting an ID-JAG needs
        (docs/decisions/0550-minting-id-jags.md)."""
        return (
            self.mode is AgentMode.ALLOW_LIST
            and bool(client_hosts)
            and all(host in self.hosts for host in client_hosts)
        )

    def allows(self, client_hosts: Sequence[str], *, own: bool) -> bool:
        """Whether a member acting in the org may let an app of ``client_hosts`` act for
        them: ``any`` every app; ``allow_list`` those it ``lists``; the org's ``own`` apps
        whatever the mode (its admins registered them)."""
        return own or self.mode is AgentMode.ANY or self.lists(client_hosts)


# What an org that never set a policy has: every app, as before there was one
# (docs/decisions/0548-an-orgs-agent-policy.md).
DEFAULT_AGENT_POLICY = AgentPolicy()


def stored_policy(mode: object, hosts: object) -> AgentPolicy:
    """The policy as a document holds it (written by ``checked``); absent or unreadable:
    the default."""
    if mode not in {m.value for m in AgentMode}:
        return DEFAULT_AGENT_POLICY
    listed = tuple(h for h in hosts if isinstance(h, str)) if isinstance(hosts, list) else ()
    return AgentPolicy(AgentMode(str(mode)), listed)


# -- the active org


@dataclass(frozen=True)
class ActiveOrg:
    """The org, the person's roles in it and their permissions, as stored when read: never
    a token's claim."""

    id: str
    slug: str
    roles: tuple[str, ...]
    version: int  # the membership's version: the Firebase rules' ``org_version``
    require_mfa: bool = False  # the org's policy: a second factor before it becomes active
    # When the membership began (None: not read); not part of what the org and roles are
    joined_at: datetime | None = field(default=None, compare=False)
    # The org's name, as people read it (the consent page's choice); "" where not read
    name: str = field(default="", compare=False)
    # The sorted union of the member's roles' permissions, as the membership holds them
    permissions: tuple[str, ...] = ()
    # The org's policy: which apps may act for its members acting in it (docs/decisions/
    # 0548-an-orgs-agent-policy.md); not part of what the org and roles are
    agents: AgentPolicy = field(default=DEFAULT_AGENT_POLICY, compare=False)
    # The org's ``impersonation`` setting: whether a session of support access may act in it
    # (docs/support-access.md, "In an organization"); not part of what the org and roles are
    support_access: bool = field(default=True, compare=False)

    def admits(self, org_id: str, made_at: datetime) -> bool:
        """Does this membership hold for a credential scoped to ``org_id`` and made at
        ``made_at`` (an org-scoped personal token)? Only the membership it was made in: a
        person removed and added again gets a new one, which no earlier token opens
        (docs/decisions/0376-a-removed-members-org-tokens.md)."""
        return self.id == org_id and self.joined_at is not None and self.joined_at <= made_at

    def claim(self) -> dict[str, object]:
        """The access token's ``org`` claim: ``id``, ``slug``, ``roles`` and
        ``permissions`` (docs/reference/sessions.md, "The tokens")."""
        return {
            "id": self.id,
            "slug": self.slug,
            "roles": list(self.roles),
            "permissions": list(self.permissions),
        }


def mfa_setup_required() -> PermissionDenied:
    """The org asks its members for a second factor and the account has none
    (docs/decisions/0370-an-org-that-requires-mfa.md)."""
    return PermissionDenied(
        "This organization requires a second factor: set one up first.",
        code="mfa_setup_required",
    )


def lacks_second_factor(org: ActiveOrg, factor: TotpFactor | None) -> bool:
    """Whether the org requires a second factor the account has not set up: none, or one
    still pending (docs/decisions/0370-an-org-that-requires-mfa.md)."""
    return org.require_mfa and (factor is None or not factor.active)


def check_second_factor(org: ActiveOrg, factor: TotpFactor | None) -> None:
    """403 ``mfa_setup_required`` before the org becomes active, wherever it does (a
    session's switch, a Firebase custom token, an app's sign-in with scope organization)."""
    if lacks_second_factor(org, factor):
        raise mfa_setup_required()


def org_required() -> PermissionDenied:
    """A route that acts in the caller's active org, called without one: none chosen, or the
    membership ended since (docs/decisions/0369-a-membership-ended-mid-session.md)."""
    return PermissionDenied(
        "This needs an active organization: choose one with POST /auth/org.",
        code="org_required",
    )


def require_org(org: ActiveOrg | None) -> ActiveOrg:
    if org is None:
        raise org_required()
    return org


def not_found() -> NotFound:
    """What a non-member learns of an org: that there is none (404)."""
    return NotFound("No such organization.", code="org_not_found")
