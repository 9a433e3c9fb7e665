"""The links of the code flows that an app asked for with a ``code_challenge``: each
channel's (the mail's, a unit's texts') redemption and the code its link's page shows, offered
as one (``APP_LINKS``) to the unit that serves them (docs/reference/app-links.md;
docs/decisions/0925-one-redemption-for-every-channels-link.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.signin.codes.email import EmailCodes
from application.signin.codes.flow import RedeemLink, invalid_grant
from application.signin.tokens import TokenPair
from domain.slots import Filling, Slot


@dataclass(frozen=True, kw_only=True)
class LinkChannel:
    """One channel's links: ``redeem`` gives the token pair of its flow with that link
    (``CodeSteps.redeem``), ``shown`` the code a live link's page shows; each None when no
    flow of the channel has that link."""

    redeem: Callable[[RedeemLink], TokenPair | None]
    shown: Callable[[str], str | None]


@dataclass(frozen=True)
class AppLinks:
    """Every channel's links: the core's mail, then each unit's that adds its own."""

    channels: tuple[LinkChannel, ...] = ()

    def with_channel(self, channel: LinkChannel) -> AppLinks:
        return AppLinks((*self.channels, channel))

    def redeem(self, cmd: RedeemLink) -> TokenPair:
        """The token pair of the flow whose link an app redeems with the verifier of its
        challenge, once; 400 ``invalid_grant`` for a link no channel has, spent, expired or
        without a challenge, or a verifier not its challenge's."""
        for channel in self.channels:
            pair = channel.redeem(cmd)
            if pair is not None:
                return pair
        raise invalid_grant()

    def shown(self, token: str) -> str:
        """The code of a live link, for a browser that opened it (no app installed): nothing
        is spent nor signed in; 400 ``invalid_grant`` for a link no channel has live."""
        for channel in self.channels:
            code = channel.shown(token)
            if code is not None:
                return code
        raise invalid_grant()


# The links of every channel's code flows: signin's (the mail's) offered as the core is
# built, each unit with a channel of its own offering it again with its own added
APP_LINKS = Slot[AppLinks]("the code flows' app links")


def mailed_links(email: EmailCodes) -> Filling[AppLinks]:
    """The mail's links, which sign-in offers as it is built (``APP_LINKS``)."""
    return APP_LINKS(AppLinks((LinkChannel(redeem=email.redeem, shown=email.shown),)))
