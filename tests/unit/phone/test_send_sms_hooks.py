"""The send_sms hooks (docs/hooks.md, "send_sms"): the phone unit's kind, asked in their order
until one accepts the text; none that does is a text not delivered. On fakes, as the hooks'
other kinds are (tests/unit/hooks/test_scope_and_order.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.hooks.caller import KindCaller
from application.hooks.hooked import HookTexter
from application.outbound import WebhookUnreachable
from application.ports import MailBrand, TextMessage, TextUndelivered
from domain.hooks.kinds import HookKinds
from domain.phone.hook_kinds import SEND_SMS
from tests.fakes.claims import CLAIMS
from tests.support.hook_kinds import CORE_KINDS
from tests.support.hooks_world import Receivers, World, add

pytestmark = pytest.mark.unit

# The core's kinds and the phone unit's, as the kernel folds them with the unit on
KINDS = HookKinds((*CORE_KINDS, SEND_SMS), reserved=CLAIMS.reserved)


def test_send_sms_the_first_hook_that_accepts_sends_it_none_is_undelivered() -> None:
    world = World(kinds=KINDS)
    receivers = Receivers(world)
    receivers.answers["/a"] = WebhookUnreachable("x")
    add(world, "send_sms", "/a")
    add(world, "send_sms", "/b", order=1)
    texter = HookTexter(caller=KindCaller(SEND_SMS, world.caller))
    text = TextMessage("+33612345678", "phone_code", "en", "123456", "123456 is your code")
    texter.send(text)
    assert receivers.urls() == ["/a", "/b"]
    receivers.answers["/b"] = WebhookUnreachable("y")
    with pytest.raises(TextUndelivered):
        texter.send(text)


def test_send_sms_is_told_the_brand_null_today_and_in_the_samples_shape() -> None:
    """No text is about an org yet: ``brand`` is null; a text under a brand carries its name
    and logo; the payload has the keys of the kind's sample (docs/hooks.md, "send_sms")."""
    world = World(kinds=KINDS)
    receivers = Receivers(world)
    add(world, "send_sms", "/a")
    texter = HookTexter(caller=KindCaller(SEND_SMS, world.caller))
    text = TextMessage("+33612345678", "phone_code", "en", "123456", "123456 is your code")
    texter.send(text)
    brand = MailBrand("Acme", logo_url="https://id.example.com/l.png", color="#7b1fa2")
    texter.send(replace(text, brand=brand))
    [(_, plain, _), (_, branded, _)] = receivers.asked
    assert plain["brand"] is None
    assert branded["brand"] == {
        "display_name": "Acme",
        "logo_url": "https://id.example.com/l.png",
        "color": "#7b1fa2",
    }
    assert set(plain) == set(SEND_SMS.samples["phone_code"])
