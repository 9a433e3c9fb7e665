"""A security event as an OCSF 1.5 event (docs/reference/log-streams-ocsf.md).

Each event type is one event of class Authentication (3002), Account Change (3001) or User
Access Management (3005) of the Identity & Access Management category, by one table
(``MAPPINGS``); a type the table does not know yet is an "Other" activity of the class its
prefix suggests. What OCSF has no attribute for (firegate's type, org, reason, ...) is in
``unmapped`` under firegate's own names
(docs/decisions/0950-security-events-as-ocsf-classes.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.events.security_events import SecurityEvent

VERSION = "1.5.0"  # the OCSF schema's version (metadata.version)
VENDOR = "firegate"
IAM = 3  # the category Identity & Access Management
ACCOUNT_CHANGE, AUTHENTICATION, USER_ACCESS = 3001, 3002, 3005
OTHER = 99  # an activity the class does not name (activity_name names it)

CLASS_NAMES = {
    ACCOUNT_CHANGE: "Account Change",
    AUTHENTICATION: "Authentication",
    USER_ACCESS: "User Access Management",
}
# The activities each class names that the table uses (OCSF's captions).
ACTIVITY_NAMES: dict[int, dict[int, str]] = {
    AUTHENTICATION: {1: "Logon", 2: "Logoff"},
    ACCOUNT_CHANGE: {
        1: "Create",
        2: "Enable",
        3: "Password Change",
        4: "Password Reset",
        5: "Disable",
        6: "Delete",
        10: "MFA Factor Enable",
        11: "MFA Factor Disable",
    },
    USER_ACCESS: {1: "Assign Privileges", 2: "Revoke Privileges"},
}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium"}
SUCCESS, FAILURE = 1, 2
STATUS_NAMES = {SUCCESS: "Success", FAILURE: "Failure", OTHER: "Other"}


@dataclass(frozen=True, slots=True)
class Mapping:
    """What one event type is in OCSF: its class and activity (``name``: the activity's
    name where it is ``OTHER``), for User Access Management the privileges it gives or
    takes, and the kind of resource its ``reason`` names (None: none)."""

    class_uid: int
    activity_id: int
    name: str = ""
    privileges: tuple[str, ...] = ()
    resource: str | None = None
    severity_id: int = 1  # Informational; a failure is at least Low

    @property
    def activity_name(self) -> str:
        return ACTIVITY_NAMES[self.class_uid].get(self.activity_id, self.name)


def _auth(activity_id: int, name: str = "") -> Mapping:
    return Mapping(AUTHENTICATION, activity_id, name)


def _account(activity_id: int, name: str = "", severity_id: int = 1) -> Mapping:
    return Mapping(ACCOUNT_CHANGE, activity_id, name, severity_id=severity_id)


def _access(
    activity_id: int,
    name: str = "",
    privileges: tuple[str, ...] = (),
    resource: str | None = None,
    severity_id: int = 1,
) -> Mapping:
    return Mapping(USER_ACCESS, activity_id, name, privileges, resource, severity_id)


MEMBER, ROLES, ROLE, SUPPORT_ACCESS, APP_ACCESS = (
    "org_member",
    "org_roles",
    "role",
    "support_access",
    "app_access",
)
CLIENT, SSO_CONNECTION, SCIM_TOKEN = "oauth_client", "sso_connection", "scim_token"

MAPPINGS: dict[str, Mapping] = {
    # Authentication: the sign-ins, refused or not, and the sessions' ends
    "signin.succeeded": _auth(1),
    "signin.failed": _auth(1),
    "signin.challenged": _auth(1),
    "signin.new_device": _auth(OTHER, "New Device"),  # beside its sign-in's own Logon
    "session.ended": _auth(2),
    # Account Change: the account itself, its addresses and its ways in
    "user.created": _account(1),
    "user.enabled": _account(2),
    "password.changed": _account(3),
    "password.reset": _account(4),
    "user.disabled": _account(5),
    "user.deleted": _account(6),
    "mfa.enabled": _account(10),
    "passkey.added": _account(10),
    "mfa.disabled": _account(11),
    "passkey.removed": _account(11),
    "password.breached": _account(OTHER, "Password Breached", severity_id=3),
    "email.changed": _account(OTHER, "Email Change"),
    "email.verified": _account(OTHER, "Email Verified"),
    "phone.changed": _account(OTHER, "Phone Change"),
    "phone.removed": _account(OTHER, "Phone Removed"),
    "identity.linked": _account(OTHER, "Identity Linked"),
    "identity.unlinked": _account(OTHER, "Identity Unlinked"),
    "pat.created": _account(OTHER, "Access Token Created"),
    "pat.revoked": _account(OTHER, "Access Token Revoked"),
    "guest.merged": _account(OTHER, "Guest Merged"),
    # User Access Management: who may do what, where, and an org's ways in
    "user.role_changed": _access(OTHER, "Role Change", (ROLE,)),
    "impersonation.started": _access(1, privileges=(SUPPORT_ACCESS,)),
    "impersonation.ended": _access(2, privileges=(SUPPORT_ACCESS,)),
    "oauth.granted": _access(1, privileges=(APP_ACCESS,), resource=CLIENT),
    "oauth.device_approved": _access(1, privileges=(APP_ACCESS,), resource=CLIENT),
    "oauth.revoked": _access(2, privileges=(APP_ACCESS,)),  # reason: why, not the app
    "oauth.device_denied": _access(OTHER, "Device Denied", (APP_ACCESS,), CLIENT),
    "org.member_added": _access(1, privileges=(MEMBER,)),
    "org.invitation_accepted": _access(1, privileges=(MEMBER,)),
    "org.member_removed": _access(2, privileges=(MEMBER,)),
    "org.member_roles_changed": _access(OTHER, "Roles Change", (ROLES,)),
    "org.created": _access(OTHER, "Org Created"),
    "org.updated": _access(OTHER, "Org Updated"),
    "org.deleted": _access(OTHER, "Org Deleted"),
    "org.invitation_created": _access(OTHER, "Invitation Created"),
    "org.domain_verified": _access(OTHER, "Domain Verified"),
    "org.domain_look_alike": _access(OTHER, "Domain Look-Alike", severity_id=3),
    "org.sso_connection_created": _access(OTHER, "SSO Connection Created", resource=SSO_CONNECTION),
    "org.sso_connection_updated": _access(OTHER, "SSO Connection Updated", resource=SSO_CONNECTION),
    "org.sso_connection_activated": _access(
        OTHER, "SSO Connection Activated", resource=SSO_CONNECTION
    ),
    "org.sso_connection_deactivated": _access(
        OTHER, "SSO Connection Deactivated", resource=SSO_CONNECTION
    ),
    "org.sso_connection_draft_saved": _access(
        OTHER, "SSO Connection Draft Saved", resource=SSO_CONNECTION
    ),
    "org.sso_connection_draft_applied": _access(
        OTHER, "SSO Connection Draft Applied", resource=SSO_CONNECTION
    ),
    "org.sso_connection_draft_discarded": _access(
        OTHER, "SSO Connection Draft Discarded", resource=SSO_CONNECTION
    ),
    "org.sso_certificate_expiring": _access(
        OTHER, "SSO Certificate Expiring", resource=SSO_CONNECTION, severity_id=2
    ),
    "org.scim_token_created": _access(OTHER, "SCIM Token Created", resource=SCIM_TOKEN),
    "org.scim_token_revoked": _access(OTHER, "SCIM Token Revoked", resource=SCIM_TOKEN),
}

# A sign-in's way in (``method``): the name OCSF's auth_protocol takes for it (its id is
# Other: the event does not say which protocol an org's connection or a provider spoke), and
# the factor it proves (auth_factors' factor_type_id and name).
PROTOCOLS = {
    "password": "Password",
    "passkey": "WebAuthn",
    "email_code": "Email Code",
    "phone_code": "SMS Code",
    "recovery_code": "Recovery Code",
    "federated": "Federated",
    "sso": "SSO",
}
FACTORS: dict[str, tuple[int, str]] = {
    "password": (11, "Password"),
    "passkey": (10, "WebAuthn"),
    "email_code": (8, "Email"),
    "phone_code": (1, "SMS"),
    "recovery_code": (OTHER, "Recovery Code"),
}
MULTI_FACTOR = frozenset({"passkey"})  # proves two factors alone (decision 0122)


def mapping_of(event_type: str) -> Mapping:
    """The table's line for ``event_type``; for a type it does not know, an Other activity
    of Authentication (``signin.``, ``session.``), User Access Management (``org.``) or
    Account Change (anything else), named by the type."""
    known = MAPPINGS.get(event_type)
    if known is not None:
        return known
    if event_type.startswith(("signin.", "session.")):
        return _auth(OTHER, event_type)
    if event_type.startswith("org."):
        return _access(OTHER, event_type)
    return _account(OTHER, event_type)


def _millis(at: datetime) -> int:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _address(ip: str | None) -> str | None:
    """``ip`` when it is an IP address (OCSF's ``ip_t``), else None."""
    if not ip:
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None
    return ip


def _unmapped(event: SecurityEvent, ip: str | None) -> dict[str, Any]:
    own: dict[str, Any] = {
        "type": event.type,
        "org_id": event.org_id,
        "method": event.method,
        "via": event.via,
        "reason": event.reason,
        "subject_id": event.subject_id,
        "minutes": event.minutes,
        "device_id": event.device_id,
        "ip": event.ip if ip is None else None,  # what no IP address is, as it came
    }
    return {name: value for name, value in own.items() if value is not None}


def _authentication(
    event: SecurityEvent, product_name: str, product_version: str
) -> dict[str, Any]:
    fields: dict[str, Any] = {"service": {"name": product_name, "version": product_version}}
    if event.session_id:
        fields["session"] = {"uid": event.session_id}
    if event.actor_id and event.actor_id != event.user_id:
        fields["actor"] = {"user": {"uid": event.actor_id}}
    method = event.method
    if method:
        fields["auth_protocol_id"] = OTHER
        fields["auth_protocol"] = PROTOCOLS.get(method, method)
        if method in FACTORS:
            factor_id, factor = FACTORS[method]
            fields["auth_factors"] = [{"factor_type_id": factor_id, "factor_type": factor}]
        if method in MULTI_FACTOR:
            fields["is_mfa"] = True
    if event.type == "signin.new_device":
        fields["is_new_logon"] = True
    return fields


def _actor(event: SecurityEvent) -> dict[str, Any]:
    """Who acted: the admin (``actor_id``), what made an org's change where no person did
    (``via``: its directory, its single sign-on, a re-check), or else the account's owner;
    with the session the change was made in, where known."""
    actor: dict[str, Any]
    if event.actor_id or not event.via:
        actor = {"user": {"uid": event.actor_id or event.user_id}}
    else:
        actor = {"app_name": event.via}
    if event.session_id:
        actor["session"] = {"uid": event.session_id}
    return actor


def _user_access(event: SecurityEvent, mapping: Mapping) -> dict[str, Any]:
    fields: dict[str, Any] = {"privileges": list(mapping.privileges)}
    resources: list[dict[str, Any]] = []
    if event.org_id:
        resources.append({"type": "org", "uid": event.org_id})
    if mapping.resource and event.reason:
        resources.append({"type": mapping.resource, "uid": event.reason})
    if SUPPORT_ACCESS in mapping.privileges:
        # Support access is given to the admin, over the person's account: on the person's
        # record the admin is the actor; on the admin's own, the person is the subject.
        person = event.subject_id or event.user_id
        admin = event.user_id if event.subject_id else event.actor_id or event.user_id
        fields["user"] = {"uid": admin}
        resources.append({"type": "user", "uid": person})
    if resources:
        fields["resources"] = resources
    return fields


def ocsf_event(event: SecurityEvent, *, product_name: str, product_version: str) -> dict[str, Any]:
    """``event`` as one OCSF 1.5 event of class Authentication (3002), Account Change (3001)
    or User Access Management (3005), firegate's own fields in ``unmapped``."""
    mapping = mapping_of(event.type)
    class_uid, activity_id = mapping.class_uid, mapping.activity_id
    failed = event.outcome == "failure"
    status_id = {"success": SUCCESS, "failure": FAILURE}.get(event.outcome, OTHER)
    severity_id = max(mapping.severity_id, 2) if failed else mapping.severity_id
    ip = _address(event.ip)
    body: dict[str, Any] = {
        "category_uid": IAM,
        "category_name": "Identity & Access Management",
        "class_uid": class_uid,
        "class_name": CLASS_NAMES[class_uid],
        "activity_id": activity_id,
        "activity_name": mapping.activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": f"{CLASS_NAMES[class_uid]}: {mapping.activity_name}",
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES[severity_id],
        "status_id": status_id,
        "status": STATUS_NAMES[status_id] if status_id != OTHER else event.outcome,
        "time": _millis(event.at),
        "metadata": {
            "version": VERSION,
            "uid": event.id,
            "product": {"name": product_name, "vendor_name": VENDOR, "version": product_version},
        },
        "user": {"uid": event.user_id},
    }
    if event.org_id:
        body["metadata"]["tenant_uid"] = event.org_id
    if failed and event.reason:
        body["status_detail"] = event.reason
    if ip:
        body["src_endpoint"] = {"ip": ip}
    if event.user_agent:
        body["http_request"] = {"user_agent": event.user_agent}
    if class_uid == AUTHENTICATION:
        body.update(_authentication(event, product_name, product_version))
    else:
        body["actor"] = _actor(event)
    if class_uid == USER_ACCESS:
        body.update(_user_access(event, mapping))
    body["unmapped"] = _unmapped(event, ip)
    return body
