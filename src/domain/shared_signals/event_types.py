"""The event-type URIs of the security events firegate sends and takes (OpenID CAEP 1.0,
RISC 1.0, SSF 1.0's own): the transmitter's and the receiver's one list
(docs/reference/ssf.md)."""

from __future__ import annotations

CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"
SSF = "https://schemas.openid.net/secevent/ssf/event-type/"

SESSION_REVOKED = CAEP + "session-revoked"
CREDENTIAL_CHANGE = CAEP + "credential-change"
ASSURANCE_LEVEL_CHANGE = CAEP + "assurance-level-change"
ACCOUNT_DISABLED = RISC + "account-disabled"
ACCOUNT_PURGED = RISC + "account-purged"
CREDENTIAL_COMPROMISE = RISC + "credential-compromise"
SESSIONS_REVOKED = RISC + "sessions-revoked"  # Google's RISC
VERIFICATION = SSF + "verification"
STREAM_UPDATED = SSF + "stream-updated"
