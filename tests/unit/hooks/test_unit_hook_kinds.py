"""A hook kind a unit lends (``HOOK_KINDS``): the admins may set hooks of it and see it
listed (the API's use cases, the page, the command line), and the unit's own use case asks
its hooks through the caller the hooks give it for that kind (``HookCalls.caller_for``),
with no hook set a call that asks nothing (docs/contributing.md, "Units")."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.caller import HOOK_CALLERS, NO_HOOK_CALLS, HookCalls, KindCaller
from application.hooks.services import HookServices
from bootstrap.hooks import HooksAdapters
from bootstrap.unit import Built, Kernel, Placed, Unit
from domain.errors import InvalidInput
from domain.hooks.auth_hooks import BadAnswer
from domain.hooks.kinds import HOOK_KINDS, HookKind, HookKinds, answer_only
from tests.fakes.hooks import FakeHookClient
from tests.support.admin_pages import root
from tests.support.app import World
from tests.support.hook_kinds import BEFORE_TOKEN, EVERY_KIND
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
__all__ = ["root"]  # the fixture: an admin's browser
RECEIVER = "http://127.0.0.1:9/hook"


def checked_mood(answer: Mapping[str, object]) -> str:
    mood = answer.get("mood")
    if not isinstance(mood, str):
        raise BadAnswer("bad_mood")
    return mood


BEFORE_GREETING = HookKind[str](
    name="before_greeting",
    check=answer_only(checked_mood),
    samples={"morning": {"person": "ada", "hour": 8}},
)


@dataclass(frozen=True, kw_only=True)
class Greetings:
    """The unit's use case: a greeting in the mood its hooks answer ("plain" with none)."""

    hooks: KindCaller[str]

    def greet(self, person: str) -> str:
        results = self.hooks.call_all({"person": person, "hour": 8})
        moods = [result.answer for result in results if result.answer is not None]
        return f"{moods[-1] if moods else 'plain'} hello, {person}"


def _builds(_adapters: None, kernel: Kernel) -> Built:
    return Built(
        services=(Greetings(hooks=kernel.offered(HOOK_CALLERS).caller_for(BEFORE_GREETING)),)
    )


GREETINGS = Unit[None](name="greetings", build=_builds, fills=(HOOK_KINDS(BEFORE_GREETING),))


class GreetingsWorld(World):
    def own_units(self) -> Sequence[Placed[Any]]:
        return (Placed(GREETINGS, None),)


@pytest.fixture
def world() -> GreetingsWorld:
    return GreetingsWorld(app_profile="local")


def receiver(world: World) -> FakeHookClient:
    client: FakeHookClient = world.adapters.of(HooksAdapters).hook_client  # type: ignore[assignment]
    return client


def test_a_units_kind_is_asked_by_its_use_case(world: GreetingsWorld) -> None:
    greetings = world.services.of(Greetings)
    assert greetings.greet("ada") == "plain hello, ada"  # no hook: nothing asked
    assert receiver(world).asked == []
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_greeting", RECEIVER))
    receiver(world).answer = {"mood": "sunny"}
    assert greetings.greet("ada") == "sunny hello, ada"
    (sent,) = [json.loads(body) for _, body, _, _, _ in receiver(world).asked]
    assert sent == {"person": "ada", "hour": 8}


def test_the_admins_list_a_units_kind_and_test_its_samples(world: GreetingsWorld) -> None:
    admin = world.services.of(HookServices).hooks
    assert admin.kinds.names == (*EVERY_KIND.names, "before_greeting")
    admin.set(SetAuthHook(ADMIN, "before_greeting", RECEIVER))
    (view,) = admin.list(ListAuthHooks(ADMIN))
    assert view.hook.kind == "before_greeting"
    receiver(world).answer = {"mood": 3}  # not the kind's shape
    tested = admin.test_set(AuthHookRef(ADMIN, view.hook.hook_id))
    assert [(a.sample, a.asked.error) for a in tested.answers] == [("morning", "bad_mood")]


def test_the_page_names_a_units_kind(root: FlaskClient) -> None:
    html = root.get("/admin/hooks/auth").get_data(as_text=True)
    assert "<code>before_greeting</code>" in html
    assert '<option value="before_greeting"' in html


def test_without_the_unit_its_kind_is_unknown() -> None:
    world = World(app_profile="local")
    with pytest.raises(InvalidInput) as refused:
        world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_greeting", RECEIVER))
    assert refused.value.errors[0].code == "unknown_hook_kind"
    with pytest.raises(LookupError):  # a caller of a kind no unit lends
        HookCalls(
            world.services.of(HookServices).hooks.kinds,
            world.services.of(HookServices).hooks.caller,
        ).caller_for(BEFORE_GREETING)


def test_no_hooks_ask_nothing_of_any_kind() -> None:
    assert NO_HOOK_CALLS.caller_for(BEFORE_TOKEN).call_all({"user": None}) == []
    assert not NO_HOOK_CALLS.caller_for(BEFORE_GREETING).has()


def test_two_kinds_of_one_name_are_refused() -> None:
    twin = HookKind[str](name="before_greeting", check=answer_only(checked_mood), samples={})
    with pytest.raises(ValueError, match="two hook kinds are named before_greeting"):
        HookKinds((BEFORE_GREETING, twin))
