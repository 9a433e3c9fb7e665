"""Sign-in's session guards (``SESSION_GUARDS``, docs/contributing.md "Units";
docs/decisions/0765-support-access-is-a-unit.md), on the use cases' fakes: each guard is made,
once, of the routes every unit says outlast a session (``OUTLASTING_ROUTES``), asked, where the
actor is built, with the route being served, and may refuse it; a session someone else acts in
is valid only while some guard watches it (its unit taken out: it ends)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from application.signin.authentication import SESSION_GUARDS, Authenticate, Authentication, Route
from application.signin.sign_in import start_session
from bootstrap.signin_policies import session_guards
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.errors import PermissionDenied, Unauthenticated
from domain.signin.sessions import Acting, Session
from domain.slots import Filling
from tests.support.use_cases import World

pytestmark = pytest.mark.unit

MARKED: Route = ("POST", "/marked")


class Refusing:
    """A guard that refuses ``MARKED`` to a session someone else acts in, and notes each
    route it is asked about."""

    def __init__(self) -> None:
        self.asked: list[Route | None] = []

    def check(self, session: Session, route: Route | None) -> None:
        self.asked.append(route)
        if session.acting_admin_id is not None and route == MARKED:
            raise PermissionDenied("Not this one.", code="refused_by_guard")


def token(world: World, *, acting: Acting | None) -> str:
    alice = world.register("alice")
    pair = start_session(
        alice,
        user_agent="",
        sessions=world.sessions,
        tokens=world.tokens,
        clock=world.clock,
        policy=world.policy,
        amr=("imp",) if acting is not None else ("pwd",),
        acting=acting,
    )
    return pair.access_token


def authentication(world: World, *guards: Refusing) -> Authentication:
    return Authentication(
        tokens=world.tokens, principals=world.principals, clock=world.clock, guards=guards
    )


def test_each_guard_is_asked_with_the_route_and_refuses_what_it_marks() -> None:
    world, guard = World(), Refusing()
    acted = token(world, acting=Acting("admin1", "root"))
    auth = authentication(world, guard)
    assert auth.authenticate(Authenticate(acted, route=("GET", "/user"))).acting_admin_id == (
        "admin1"
    )
    with pytest.raises(PermissionDenied) as refused:
        auth.authenticate(Authenticate(acted, route=MARKED))
    assert refused.value.code == "refused_by_guard"
    assert guard.asked == [("GET", "/user"), MARKED]


def test_the_persons_own_session_is_not_refused() -> None:
    world, guard = World(), Refusing()
    own = token(world, acting=None)
    actor = authentication(world, guard).authenticate(Authenticate(own, route=MARKED))
    assert actor.acting_admin_id is None and guard.asked == [MARKED]


def test_a_session_someone_acts_in_ends_where_no_guard_watches_it() -> None:
    world = World()
    acted = token(world, acting=Acting("admin1", "root"))
    with pytest.raises(Unauthenticated):
        authentication(world).authenticate(Authenticate(acted))
    own = World()
    assert authentication(own).authenticate(Authenticate(token(own, acting=None))).user_id


class _Record:
    """A unit's record, as far as its fillings go."""

    def __init__(self, *fills: Filling[Any]) -> None:
        self.fills = fills


def test_each_guard_is_made_of_every_units_routes_and_a_route_named_twice_stops() -> None:
    handed: list[Mapping[Route, Outlasting]] = []

    def made(routes: Mapping[Route, Outlasting]) -> Refusing:
        handed.append(routes)
        return Refusing()

    removal: Route = ("DELETE", "/x")
    units = [
        _Record(OUTLASTING_ROUTES((Outlasting.PASSWORD, (MARKED,)))),
        _Record(SESSION_GUARDS(made), OUTLASTING_ROUTES((Outlasting.ROLES, (removal,)))),
    ]
    guards = session_guards(units)
    assert len(guards) == 1 and isinstance(guards[0], Refusing)
    assert handed == [{MARKED: Outlasting.PASSWORD, removal: Outlasting.ROLES}]
    twice = [*units, _Record(OUTLASTING_ROUTES((Outlasting.FACTORS, (MARKED,))))]
    with pytest.raises(ValueError, match="POST /marked twice"):
        session_guards(twice)
