"""What sign-in offers a unit's way in by a one-time code on a channel of its own (the phone
unit's texts; docs/decisions/0532-one-code-flow-for-every-channel.md), through the kernel
(``kernel.offered(CODE_WAYS)``, bootstrap/unit.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.accounts.ways_in import IdentityRepository
from application.signin.codes.flow import CodeFlowStore, CodeSteps, Way
from application.signin.factors.passkeys import PasskeyRepository
from domain.slots import Fills, Slot, filled


@dataclass(frozen=True, kw_only=True)
class CodeWays:
    """The accounts a unit's codes read, their ways in and passkeys (the rule that the last
    way in stays), and, once the core is bound (``bootstrap/binding.py``), the one code
    flow's steps for a ``Way`` over the unit's own flows. A unit's ``build`` reads
    ``steps``; its ``lends`` may not (None until then)."""

    users: UserRepository
    identities: IdentityRepository
    passkeys: PasskeyRepository
    steps: Callable[[Way, CodeFlowStore], CodeSteps] | None = None
    # The path of the page an app's link opens (``APP_LINK_PAGES``), where a unit serves one:
    # a flow asked with a code_challenge is then sent a link to it (docs/reference/app-links.md)
    app_link: str | None = None


CODE_WAYS = Slot[CodeWays]("the ways in by a code")

# The page an app's link opens, its path: filled by the unit that serves it and redeems the
# link (``APP_LINKS``); none filled, a flow asked with a challenge is sent the browser's link
APP_LINK_PAGES = Slot[str]("the page an app's link opens")


def app_link_page(units: Iterable[Fills]) -> str | None:
    """The path of the page an app's link opens: the last of ``units`` to fill
    ``APP_LINK_PAGES``; None if none does."""
    pages = filled(units, APP_LINK_PAGES)
    return pages[-1] if pages else None
