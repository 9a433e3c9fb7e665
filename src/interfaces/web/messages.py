"""What a page says about an error, by its stable code (docs/reference/errors.md), in the
reader's language: the shared messages here, then the units' (``Pages.messages``: the
accounts' profile texts); a code without a message shows the use case's own words."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

UNIT_MESSAGES = "firegate.page_messages"  # the units' messages, set as the pages are installed

_MESSAGES: dict[str, LazyString] = {
    "missing": lazy_gettext("Required."),
    "string_too_long": lazy_gettext("Too long."),
    "invalid_credentials": lazy_gettext("Wrong username, e-mail or password."),
    "invalid_mfa_code": lazy_gettext("That code is not right; try again."),
    "invalid_token": lazy_gettext("This link is invalid, spent or expired."),
    "invalid_email_code": lazy_gettext("That code is not right; try again."),
    "invalid_email_flow": lazy_gettext("This code has expired or was replaced; ask for a new one."),
    "email_code_rate_limited": lazy_gettext(
        "A code was sent to this address moments ago; wait a little before asking again."
    ),
    "email_link_elsewhere": lazy_gettext(
        "This browser is not the one that asked: type the code where you asked for it."
    ),
    # Sign-in by a texted code (docs/sign-in-with-a-phone-number.md)
    "invalid_phone_number": lazy_gettext(
        "Not a phone number: give it in full, with + and the country's calling code."
    ),
    "phone_number_type": lazy_gettext(
        "This kind of number cannot be sent a code: give a mobile or landline number."
    ),
    "invalid_phone_code": lazy_gettext("That code is not right; try again."),
    "invalid_phone_flow": lazy_gettext("This code has expired or was replaced; ask for a new one."),
    "phone_code_rate_limited": lazy_gettext(
        "A code was sent to this number moments ago; wait a little before asking again."
    ),
    "sms_budget": lazy_gettext("No more text messages can be sent to this number now."),
    "phone_disabled": lazy_gettext("Signing in by text message is off here."),
    "invalid_email": lazy_gettext("Not a valid e-mail address."),
    # An account's phone number (docs/reference/phone.md, "Changing and removing the number");
    # the code's other refusals are the sign-in's above
    "phone_number_taken": lazy_gettext("This phone number is another account's."),
    "phone_number_not_found": lazy_gettext("Your account has no phone number."),
    "username_taken": lazy_gettext("This username is already registered."),
    "email_taken": lazy_gettext("This e-mail address is already registered."),
    "invalid_password": lazy_gettext("A password has 8 to 128 characters."),
    "invalid_username": lazy_gettext("A username has 3 to 32 letters, digits, '_', '.' or '-'."),
    "mixed_script_username": lazy_gettext(
        "A username may not mix letters of different scripts (such as Latin and Cyrillic)."
    ),
    "password_too_common": lazy_gettext("This password is too common; choose another."),
    "password_breached": lazy_gettext(
        "This password has appeared in a data breach; choose another."
    ),
    "email_not_verified": lazy_gettext("Verify your e-mail address first."),
    # The same words whatever the reason, and whether or not the address has an account.
    "signup_not_allowed": lazy_gettext(
        "New accounts cannot be made with this address here. If you were invited, use the "
        "address the invitation was sent to; if you have an account, sign in to it."
    ),
    "rate_limited": lazy_gettext("Too many attempts; try again later."),
    "reauthentication_required": lazy_gettext(
        "Sign in again to add a way to sign in to this account."
    ),
    "sso_required": lazy_gettext("Your organization signs you in with its identity provider."),
    "signin_passkey_required": lazy_gettext("This sign-in needs your passkey: sign in with it."),
    "hook_failed": lazy_gettext(
        "Signing in is not possible right now: a check this service makes did not answer. "
        "Try again shortly."
    ),
    # A legacy account's password (docs/hooks.md, "password_verification")
    "password_verification_failed": lazy_gettext(
        "Your password cannot be checked right now. Try again shortly."
    ),
    "password_check_busy": lazy_gettext(
        "This account is being signed in to elsewhere at this moment. Try again in a moment."
    ),
    "managed_by_org": lazy_gettext(
        "Your organization manages this account: its address and password are the "
        "organization's to set."
    ),
    "address_held_by_org": lazy_gettext(
        "Your organization requires its single sign-on: your address stays on its domains "
        "while you are a member."
    ),
    "device_code_unknown": lazy_gettext(
        "No request has this code: check it, or start again on your device."
    ),
    "too_many_login_failures": lazy_gettext("Too many failed sign-ins; try again later."),
    "challenge_required": lazy_gettext("Complete the check below, then send the form again."),
    "challenge_unavailable": lazy_gettext("The check cannot be made now; try again later."),
    "code_or_recovery_code": lazy_gettext("Enter a code or a recovery code."),
    "invalid_current_password": lazy_gettext("This is not your password."),
    "password_unchanged": lazy_gettext("The new password must differ from the current one."),
    "control_character": lazy_gettext("Control characters are not allowed."),
    "unsupported_locale": lazy_gettext("Choose one of the languages listed."),
    "unsupported_time_zone": lazy_gettext("Choose one of the time zones listed."),
    "too_many_identity_changes": lazy_gettext(
        "Too many changes of username or e-mail address; try again later."
    ),
    "too_many_password_changes": lazy_gettext("Too many password changes; try again later."),
    "session_not_found": lazy_gettext("No such session: it may have ended already."),
    "identity_taken": lazy_gettext(
        "This account of the provider is connected to another account here: sign in to that "
        "one, or disconnect it there first."
    ),
    "mfa_already_enabled": lazy_gettext("Two-step sign-in is on already."),
    "mfa_not_enabled": lazy_gettext("Two-step sign-in is not on."),
    "mfa_not_pending": lazy_gettext("No setup is waiting for a code; start again."),
    "signed_out": lazy_gettext("Your session has ended; sign in again."),
    "account_disabled": lazy_gettext("This account is disabled."),
    "invalid_passkey": lazy_gettext("This passkey was not accepted."),
    "unknown_passkey": lazy_gettext(
        "This passkey is not registered here: it may have been deleted. Use another way in."
    ),
    "invalid_passkey_challenge": lazy_gettext("The passkey request has expired; try again."),
    "passkey_exists": lazy_gettext("This passkey is registered already."),
    "passkey_not_found": lazy_gettext("No such passkey."),
    "too_many_passkeys": lazy_gettext(
        "This account has as many passkeys as it may hold; delete one first."
    ),
    "admin_required": lazy_gettext("This page is for admins only."),
    "user_not_found": lazy_gettext("No such user."),
    "invalid_role": lazy_gettext("Choose one of the roles."),
    "invalid_disabled": lazy_gettext("Choose to disable or to enable the account."),
    "invalid_cursor": lazy_gettext(
        "This page of the list is not valid; start again from the first."
    ),
    "no_email": lazy_gettext("The account has no e-mail address."),
    "user_disabled": lazy_gettext("The account is disabled; enable it first."),
    "invalid_webhook_url": lazy_gettext(
        "Webhooks go to an https:// URL of a public host, without a user or password."
    ),
    "unknown_event_type": lazy_gettext("Choose event types from the list."),
    "no_event_types": lazy_gettext("Choose at least one event type."),
    "too_many_event_types": lazy_gettext("Choose event types from the list."),
    "description_too_long": lazy_gettext("A description has at most 200 characters."),
    "webhook_not_found": lazy_gettext("No such webhook: it may have been deleted."),
    "delivery_not_found": lazy_gettext("No such delivery."),
    "webhook_disabled": lazy_gettext(
        "The webhook is disabled: nothing is sent to it. Register it again once the receiver works."
    ),
    "invalid_redirect_uri": lazy_gettext(
        "A redirect URI is https://, http:// on a loopback address, or an app's own scheme, "
        "without a fragment; 1 to 10 of them."
    ),
    "invalid_scope": lazy_gettext("Choose scopes from the list."),
    "client_not_found": lazy_gettext("No such app: it may have been removed."),
    "invalid_resource": lazy_gettext(
        "A resource is an absolute URI without a fragment, such as https://api.example.com/."
    ),
    # API resources (docs/reference/oauth.md, "API resources").
    "invalid_scope_name": lazy_gettext(
        "A scope name is printable ASCII without spaces, quotes or backslashes (such as "
        "tasks:read), and none of firegate's own scopes."
    ),
    "invalid_scope_text": lazy_gettext(
        "Each scope has a description of 1 to 200 characters, on one line."
    ),
    "invalid_scope_line": lazy_gettext(
        "One scope a line: name | description | Spanish description (optional)."
    ),
    "invalid_scope_count": lazy_gettext("1 to 20 scopes, each named once."),
    "invalid_resource_scope": lazy_gettext(
        "Choose scopes of the registered API resources (of the app's resources, if it has some)."
    ),
    "resource_exists": lazy_gettext("An API resource with this URI is registered already."),
    "too_many_resources": lazy_gettext(
        "At most 200 API resources are registered: remove one first."
    ),
    "resource_not_found": lazy_gettext("No such API resource: it may have been removed."),
    "csrf_failed": lazy_gettext(
        "This form has expired or came from another site. Nothing was changed; "
        "please go back, reload the page and try again."
    ),
    # Organizations (docs/reference/orgs.md).
    "org_not_found": lazy_gettext("No such organization."),
    "member_not_found": lazy_gettext("No such member: they may have left already."),
    "org_permission_denied": lazy_gettext("Your roles in this organization do not allow this."),
    "test_sign_in_not_yours": lazy_gettext(
        "This test sign-in was started by another account: sign in to it, or start your own."
    ),
    "no_active_connection": lazy_gettext(
        "Activate a single sign-on connection before requiring it."
    ),
    "slug_taken": lazy_gettext("This slug, or one that looks like it, is taken."),
    "invalid_slug": lazy_gettext("A slug has 3 to 40 of a-z, 0-9 and '-'."),
    "reserved_slug": lazy_gettext("This slug is reserved; choose another."),
    "custom_role_in_use": lazy_gettext("Members hold a role you removed: take it from them first."),
    "invalid_custom_roles": lazy_gettext(
        "At most 50 distinct names of 1 to 40 of a-z, 0-9 and '_:.-', none of owner, admin, member."
    ),
    "invalid_roles": lazy_gettext("Choose at least one role."),
    # An org's roles and their permissions (docs/reference/orgs.md).
    "role_in_use": lazy_gettext("Members hold this role: take it from them first."),
    "too_many_roles": lazy_gettext("An organization has at most 50 roles of its own."),
    "invalid_role_name": lazy_gettext("A role's name is 1 to 40 of a-z, 0-9 and '_:.-'."),
    "invalid_role_description": lazy_gettext("A description has at most 200 characters."),
    "invalid_permissions": lazy_gettext("At most 100 permissions, each named once."),
    "invalid_permission": lazy_gettext(
        "A permission is an API resource's scope, or 1 to 60 of a-z, 0-9 and '_:.-'."
    ),
    "unknown_role": lazy_gettext("Choose roles from the list."),
    "invalid_domain_policy": lazy_gettext("Choose one of the options."),
    "mfa_setup_required": lazy_gettext(
        "This organization requires two-step sign-in: set it up before you act in it."
    ),
    "confirmation_mismatch": lazy_gettext("Type the organization's slug to delete it."),
    "org_members_only": lazy_gettext(
        "Only the members of the organization that registered this app may use it."
    ),
    "invitation_not_found": lazy_gettext("No such invitation: it may have been revoked already."),
    "invalid_domain": lazy_gettext("Not a domain name: a name such as example.com."),
    "domain_exists": lazy_gettext("This domain is added already."),
    "domain_taken": lazy_gettext("Another organization has verified this domain."),
    "too_many_domains": lazy_gettext("An organization has at most 50 domains."),
    "domain_not_found": lazy_gettext("No such domain: it may have been deleted."),
    "domain_not_verified": lazy_gettext(
        "The TXT record was not found yet. Publish it, wait a little, and verify again."
    ),
    # Single sign-on's setup page (docs/reference/sso.md, "Setup links").
    "invalid_metadata": lazy_gettext(
        "This is not the metadata of one SAML identity provider with a sign-in address and a"
        " signing certificate."
    ),
    "invalid_certificate": lazy_gettext("A certificate that is neither PEM nor valid now."),
    "invalid_attribute": lazy_gettext("An attribute name: letters, digits and '_:./#-'."),
    "invalid_role_lines": lazy_gettext("One group a line: the group, '=', then its roles."),
    "https_required": lazy_gettext("The address must be https."),
    "metadata_unreachable": lazy_gettext(
        "No metadata came from this address: check it, and that it answers without a redirect."
    ),
    "metadata_private_address": lazy_gettext(
        "This address is not on the internet: firegate fetches metadata only from public hosts."
    ),
    "metadata_too_large": lazy_gettext("The metadata at this address is larger than 256 KB."),
    "issuer_private_address": lazy_gettext(
        "This address is not on the internet: firegate calls identity providers only on public"
        " hosts."
    ),
    "metadata_url_or_xml": lazy_gettext("Paste the metadata or give its address, not both."),
    "connection_incomplete": lazy_gettext("Give your identity provider's values first."),
    "idp_address_refused": lazy_gettext(
        "This organization's identity provider is at an address firegate does not call (not"
        " public, not https, or a redirect): its administrators must correct the connection."
    ),
    "connection_changed": lazy_gettext(
        "Someone changed this connection meanwhile: look at it again."
    ),
    # What the passkey script's request can meet (it shows the message to the person).
    "invalid_base64url": lazy_gettext("The passkey's answer could not be read; try again."),
    "invalid_credential": lazy_gettext("The passkey's answer could not be read; try again."),
    "json_not_object": lazy_gettext("The passkey's answer could not be read; try again."),
    "invalid_type": lazy_gettext("Must be text."),
    # An error of HTTP itself (errors.py), by its status's name.
    "bad_request": lazy_gettext("This request could not be read."),
    "not_found": lazy_gettext("There is no such page."),
    "method_not_allowed": lazy_gettext("This page cannot be opened that way."),
    "request_entity_too_large": lazy_gettext("What was sent is too large."),
    "too_many_requests": lazy_gettext("Too many attempts; try again later."),
    # Signing in with another provider (docs/reference/providers.md).
    "provider_not_found": lazy_gettext("No such provider."),
    "username_unavailable": lazy_gettext("No free username could be derived; try again."),
    # A profile attribute's value outside its schema (docs/reference/accounts.md)
    "invalid_attribute_value": lazy_gettext("This value does not fit this field."),
    # A guest signing up with a provider (docs/guests.md, "Upgrading in place")
    "account_exists": lazy_gettext(
        "This sign-in belongs to an account that already exists. Sign in to that account "
        "instead: what you made as a guest can be brought there."
    ),
    "not_a_guest": lazy_gettext("This account has signed up already."),
    "guest_upgrade_required": lazy_gettext(
        "Sign up first: a guest gets its username, address, password and phone number by "
        "signing up."
    ),
}

# A code whose use case says why in several ways: its words, as the use case gives them, in
# the reader's language (docs/decisions/0274-a-codes-reasons-in-the-readers-language.md).
_WORDS: dict[str, LazyString] = {
    "The sign-in with the provider did not complete; try again.": lazy_gettext(
        "The sign-in with the provider did not complete; try again."
    ),
    "This sign-in was not started in this browser, or it expired; try again.": lazy_gettext(
        "This sign-in was not started in this browser, or it expired; try again."
    ),
    "This sign-in took too long; try again.": lazy_gettext(
        "This sign-in took too long; try again."
    ),
    "Sign in to the account you were connecting to, then try again.": lazy_gettext(
        "Sign in to the account you were connecting to, then try again."
    ),
}

# signup_denied when the before_sign_up hook failed and refuses then; its own message is the
# operator's words, shown as they are (docs/hooks.md).
_SIGN_UP_WORDS: dict[str, LazyString] = {
    "Signing up is not possible right now. Try again later.": lazy_gettext(
        "Signing up is not possible right now. Try again later."
    ),
}


# The same for an organization's member changed or leaving: ``last_owner`` says it so there,
# and otherwise when an account is deleted (below, with the org's name).
_ORG_WORDS: dict[str, LazyString] = {
    "An organization keeps at least one owner: make another owner first.": lazy_gettext(
        "An organization keeps at least one owner: make another owner first."
    ),
}

# Such words with a provider's name in them: the use case's, as a pattern, and their
# translation with the name put back.
_NAMED: tuple[tuple[re.Pattern[str], LazyString], ...] = (
    (
        re.compile(r"(?P<name>.+) cannot be reached right now; try again\."),
        lazy_gettext("%(name)s cannot be reached right now; try again."),
    ),
    (
        re.compile(r"Signing in with (?P<name>.+) is not possible right now; try again later\."),
        lazy_gettext("Signing in with %(name)s is not possible right now; try again later."),
    ),
    (  # giving a role (domain/orgs/roles.py), the first permission the granter lacks
        re.compile(r"You cannot give a role with a permission you do not have: '(?P<name>.+)'\."),
        lazy_gettext("You cannot give a role with a permission you do not have: '%(name)s'."),
    ),
    (  # deleting an account (application/orgs/departures.py), the org's name and slug
        re.compile(
            r"You are the last owner of the organization (?P<name>.+), which has other members: "
            r"make one of them an owner, or delete the organization, first\."
        ),
        lazy_gettext(
            "You are the last owner of the organization %(name)s, which has other members: "
            "make one of them an owner, or delete the organization, first."
        ),
    ),
)


# A before_sign_in hook's refusal: its message is the operator's words, shown as they are
# inside a sentence of ours (docs/hooks.md, "before_sign_in"); a failed hook's, ours.
_SIGN_IN_FAILED = "Signing in is not possible right now. Try again later."
_SIGN_IN_FACTORS: dict[str, LazyString] = {
    "This sign-in needs an authenticator app, which this account does not have.": lazy_gettext(
        "This sign-in needs an authenticator app, which this account does not have."
    ),
    "This sign-in needs a passkey, which this account does not have.": lazy_gettext(
        "This sign-in needs a passkey, which this account does not have."
    ),
}


def _sign_in_denied(words: str) -> str:
    if words == _SIGN_IN_FAILED:
        return str(gettext("Signing in is not possible right now. Try again later."))
    if not words or words == "The sign-in was refused.":
        return str(gettext("This sign-in was refused."))
    return str(gettext("This sign-in was refused. The service says: “%(words)s”", words=words))


def message(code: str, fallback: str) -> str:
    if code == "signin_denied":
        return _sign_in_denied(fallback)
    if code == "signin_factor_unavailable" and fallback in _SIGN_IN_FACTORS:
        return str(_SIGN_IN_FACTORS[fallback])
    found = _MESSAGES.get(code)
    if found is None:
        units: Mapping[str, LazyString] = current_app.extensions.get(UNIT_MESSAGES, {})
        found = units.get(code)
    if found is None:
        found = _WORDS.get(fallback) or _ORG_WORDS.get(fallback) or _SIGN_UP_WORDS.get(fallback)
    if found is None:
        for pattern, words in _NAMED:
            if named := pattern.fullmatch(fallback):
                return str(words) % {"name": named["name"]}
    return str(found) if found is not None else fallback or gettext("Something went wrong.")
