"""What sign-in offers a unit built on the core's data (support access starts sessions of a
person), through the kernel once the core is bound (``kernel.offered(SIGNIN_STORES)``,
bootstrap/unit.py)."""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.ports import TokenIssuer
from application.signin.sessions import SessionRepository
from application.signin.tokens import TokenPolicy
from domain.slots import Slot


@dataclass(frozen=True, kw_only=True)
class SigninStores:
    """The accounts, sign-in's sessions, access tokens and token policy (the claims the
    units lend among it)."""

    users: UserRepository
    sessions: SessionRepository
    tokens: TokenIssuer
    token_policy: TokenPolicy


SIGNIN_STORES = Slot[SigninStores]("sign-in's stores")
