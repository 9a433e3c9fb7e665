"""``rules export``: firegate's rules library for ``firestore.rules``, the functions an app's
rules call to ask who a Firebase user is to firegate (docs/organizations.md, "Permissions
in firestore.rules"; docs/decisions/0490-the-rules-library.md).

Firestore's rules have no include: the library is a block of functions, printed on its own
(``firegate.rules``, nothing written) or written into the marked block of an existing rules
file (``--into``), as the shipped ``firestore.rules`` holds it
(docs/decisions/0513-make-cli-answers-alone-on-stdout.md)."""

from __future__ import annotations

from pathlib import Path

import click

BEGIN = '    // BEGIN firegate.rules: written by `make cli ARGS="rules export"`; edit outside it.'
END = "    // END firegate.rules"

# The functions, indented for their place inside ``match /databases/{database}/documents``.
# The paths are firegate's layout (docs/reference/orgs.md): users/{uid}, orgs/{org} and
# orgs/{org}/members/{uid}, each membership with its roles, permissions and version.
FUNCTIONS = """\
    // Signed in to Firebase with a custom token of this firegate as the account `uid`, and
    // no firegate session ended since (logout everywhere, password change or reset,
    // disabling: each moves the account's token_version on), nor is it being deleted. One
    // read of users/{uid} per request, for the account's own data (isMember reads the
    // membership instead); a custom claim is set only by firebase-admin.
    function isFiregateAccount(uid) {
      let account = firegateAccount(uid);
      return request.auth != null
        && request.auth.uid == uid
        && request.auth.token.get('token_version', -1) == account.get('token_version', 0)
        && account.get('disabled', false) == false
        && account.get('deleting', false) == false
        && firegateAgentHolds();
    }

    // The account's users/{uid} document: a request reads it once, however many functions
    // ask for it.
    function firegateAccount(uid) {
      return get(/databases/$(database)/documents/users/$(uid)).data;
    }

    // The signed-in account (isFiregateAccount, above) is a guest: its custom token says
    // `guest: true` and its account is a guest still, so an upgraded guest is refused at once,
    // before its next custom token (docs/guests.md). No read beyond isFiregateAccount's.
    function isGuest() {
      return request.auth != null
        && request.auth.token.get('guest', false) == true
        && isFiregateAccount(request.auth.uid)
        && firegateAccount(request.auth.uid).get('guest', false) == true;
    }

    // No app or agent acts (no `act` claim), or the person's grant its token came from still
    // holds, and so does the person's grant to each agent of a chain (`agent_grants`, at
    // most three): revoking any of those apps on /account, or any other end of a grant,
    // ends the agent's Firebase session at the next rule evaluation. One read a grant, only
    // where an agent acts. An admin acting as the person (support access: `act` with
    // `impersonation_ends`) is let through until that time, never after.
    function firegateAgentHolds() {
      return request.auth.token.get('act', null) == null
        || (request.auth.token.get('impersonation_ends', null) != null
          ? request.time.toMillis() < request.auth.token.impersonation_ends * 1000
          : firegateGrantHolds());
    }

    function firegateGrantHolds() {
      let agents = request.auth.token.get('agent_grants', []);
      return firegateGrantLive(request.auth.token.grant_id)
        && (agents.size() < 1 || firegateGrantLive(agents[0]))
        && (agents.size() < 2 || firegateGrantLive(agents[1]))
        && (agents.size() < 3 || firegateGrantLive(agents[2]))
        && agents.size() <= 3;
    }

    function firegateGrantLive(id) {
      let grant = get(/databases/$(database)/documents/oauth_grants/$(id)).data;
      return grant.get('user_id', '') == request.auth.uid
        && grant.get('issued', false) == true
        && grant.get('revoked', true) == false;
    }

    // The signed-in account's membership of the org: its roles, its permissions (the union
    // of its roles'), its version and its copy of the account's token_version. A request
    // reads each document once, however many functions ask for it.
    function firegateMembership(org) {
      return get(/databases/$(database)/documents/orgs/$(org)/members/$(request.auth.uid)).data;
    }

    // Signed in to Firebase with a custom token of this firegate whose org is this one at
    // the membership's current version (every change of its roles, or of a role's
    // permissions, moves it on; the org's deletion too; a removal deletes it), minted since
    // the account's last logout everywhere, password change or reset, disabling or
    // deletion: each moves the membership's copy of the account's token_version on before
    // the account's own. One read per request, the membership's; hasRole and hasPermission
    // add none. A membership written before firegate kept the copy reads the account
    // instead, until the account's next such move writes it. A custom claim is set only by
    // firebase-admin.
    function isMember(org) {
      let member = firegateMembership(org);
      return request.auth != null
        && request.auth.token.get('org_id', '') == org
        && request.auth.token.get('org_version', -1) == member.version
        && (member.get('token_version', null) == null
          ? isFiregateAccount(request.auth.uid)
          : request.auth.token.get('token_version', -1) == member.token_version
            && firegateAgentHolds());
    }

    // A member (above) holding the role: owner, admin, member or one of the org's own.
    function hasRole(org, role) {
      return isMember(org) && role in firegateMembership(org).get('roles', []);
    }

    // A member (above) one of whose roles carries the permission: what
    // POST /access/v1/evaluation answers for the same member, org and action.
    function hasPermission(org, permission) {
      return isMember(org) && permission in firegateMembership(org).get('permissions', []);
    }

    // The app or agent acting for the signed-in person: the client id its custom token names
    // (the outermost actor of its `act` chain), or null when the person acts alone. A custom
    // claim is set only by firebase-admin.
    function actingAgent() {
      return request.auth != null && request.auth.token.get('act', null) != null
          && request.auth.token.get('impersonation_ends', null) == null
        ? request.auth.token.act.sub
        : null;
    }

    // True when no app or agent acts, or when the scopes of the agent's token include
    // `scope`: with hasPermission, what POST /access/v1/evaluation answers for an agent's
    // token.
    function agentMay(scope) {
      return actingAgent() == null || scope in request.auth.token.get('scope', '').split(' ');
    }

    // The signed-in person acts themselves: no admin acts as them (support access, whose
    // custom token carries `act` and `impersonation_ends`; docs/support-access.md). For what
    // only the person may do: `allow write: if isFiregateAccount(uid) && notImpersonated();`
    function notImpersonated() {
      return request.auth != null && request.auth.token.get('impersonation_ends', null) == null;
    }
"""


def library() -> str:
    """``firegate.rules``: the marked block, as it stands in a rules file."""
    return f"{BEGIN}\n{FUNCTIONS}{END}\n"


def with_library(rules: str) -> str:
    """A rules file with its marked block replaced by the library's current text."""
    start, end = rules.find(BEGIN), rules.find(END)
    if start < 0 or end < start:
        raise click.ClickException(
            f"no block between {BEGIN.strip()!r} and {END.strip()!r}: paste firegate.rules "
            "inside `match /databases/{database}/documents` first"
        )
    return rules[:start] + library() + rules[end + len(END) + 1 :]


@click.command("export")
@click.option(
    "--into",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A rules file whose marked block to bring up to date (firestore.rules), instead of "
    "printing the library.",
)
def export(into: Path | None) -> None:
    """Print firegate's rules library (isMember, hasRole, hasPermission, actingAgent,
    agentMay, isGuest, notImpersonated and what they use), to paste in your rules, or bring
    a rules file's marked block up to date (--into)."""
    if into is None:
        click.echo(library(), nl=False)  # the library alone: `| pbcopy`, `> firegate.rules`
        return
    rules = into.read_text(encoding="utf-8")
    updated = with_library(rules)
    if updated == rules:
        click.echo(f"{into}: firegate.rules already up to date")
        return
    into.write_text(updated, encoding="utf-8")
    click.echo(f"{into}: firegate.rules brought up to date")


COMMANDS = (export,)  # of ``rules``
