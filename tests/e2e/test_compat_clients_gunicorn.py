"""The clients of the three replaced systems, each making its system's documented requests,
against gunicorn on the emulators (docs/migrating.md); and the same routes turned off."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support import mailbox
from tests.support.api import PASSWORD
from tests.support.fake_dog_api import PICTURE, running
from tests.support.servers import cli, serving

pytestmark = pytest.mark.e2e
TIMEOUT = 30


@pytest.fixture(scope="module")
def url(emulators: Any) -> Iterator[str]:
    emulators.wipe()
    with (
        running() as dog_api,
        serving("gunicorn-compat.log", DOG_API_URL=dog_api.url, DOG_API_TIMEOUT="2") as base,
    ):
        yield base


class Client:
    """requests against the service, with an optional bearer credential."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(
            method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs
        )


def same_problem(old: requests.Response, new: requests.Response) -> None:
    """Both answers are the same RFC 9457 problem (but for the request id)."""
    assert old.status_code == new.status_code, (old.text, new.text)
    assert old.headers["Content-Type"] == new.headers["Content-Type"] == "application/problem+json"
    assert old.json() == new.json()


def native_login(base: str, username: str) -> str:
    answer = requests.post(
        base + "/login", json={"username": username, "password": PASSWORD}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_the_tasks_api_client(url: str) -> None:
    anonymous = Client(url)
    refused = anonymous("POST", "/tasks", json={"title": "Buy milk"})
    assert refused.status_code == 401
    assert isinstance(refused.json()["detail"], str) and refused.json()["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    created = anonymous("POST", "/users", json={"username": "tasker", "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert created.json() == {"id": created.json()["id"], "username": "tasker"}
    short = anonymous("POST", "/users", json={"username": "tasker2", "password": "short"})
    native_short = anonymous(
        "POST", "/register", json={"username": "t2", "email": "t2@example.com", "password": "x"}
    )
    assert short.status_code == native_short.status_code == 422
    assert {e["field"] for e in short.json()["errors"]} == {"password"}

    as_json = anonymous("POST", "/auth/login", json={"username": "tasker", "password": PASSWORD})
    # OAuth2PasswordRequestForm, as Swagger UI's "Authorize" and the client send it
    as_form = anonymous(
        "POST", "/auth/login", data={"username": "tasker", "password": PASSWORD, "scope": ""}
    )
    for answer in (as_json, as_form):
        assert answer.status_code == 200, answer.text
        assert answer.json()["token_type"] == "bearer" and answer.json()["access_token"]
    me = Client(url, as_form.json()["access_token"])
    wrong = anonymous("POST", "/auth/login", data={"username": "tasker", "password": "wrong one"})
    same_problem(
        wrong, anonymous("POST", "/login", data={"username": "tasker", "password": "wrong one"})
    )

    listed = me("GET", "/users")
    assert listed.status_code == 200
    assert created.json()["id"] in [user["id"] for user in listed.json()["items"]]

    task = me("POST", "/tasks", json={"title": "Buy milk", "description": "2 litres"})
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]
    assert me("GET", "/tasks").json()["items"][0]["id"] == task_id
    assert me("GET", f"/tasks/{task_id}").json()["title"] == "Buy milk"
    replaced = me("PUT", f"/tasks/{task_id}", json={"title": "Buy oat milk", "done": False})
    assert replaced.status_code == 200 and replaced.json()["description"] is None
    patched = me("PATCH", f"/tasks/{task_id}", json={"done": True})
    assert patched.status_code == 200 and patched.json()["done"] is True

    # another user's task is a missing one, as natively
    anonymous("POST", "/users", json={"username": "other-tasker", "password": PASSWORD})
    other = Client(url, native_login(url, "other-tasker"))
    same_problem(other("GET", f"/tasks/{task_id}"), other("GET", "/tasks/no-such-task"))
    assert other("DELETE", f"/tasks/{task_id}").status_code == 404

    assert me("DELETE", f"/tasks/{task_id}").status_code == 204
    assert me("GET", f"/tasks/{task_id}").status_code == 404


def settled(client: Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        dog: dict[str, Any] = client("GET", f"/api/dogs/{name}").json()
        if dog["picture_status"] != "pending" or time.monotonic() > deadline:
            return dog
        time.sleep(0.1)


def test_the_dogs_api_client(url: str) -> None:
    anonymous = Client(url)
    for name in ("walker", "stroller", "doggo-admin"):
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        assert anonymous("POST", "/register", json=body).status_code == 201
    cli(["users", "set-role", "doggo-admin", "admin"])
    walker, stroller, admin = (
        Client(url, native_login(url, name)) for name in ("walker", "stroller", "doggo-admin")
    )

    assert anonymous("POST", "/api/dogs/Rex", json={"is_adopted": False}).status_code == 401
    created = walker("POST", "/api/dogs/Rex", json={"is_adopted": False})
    assert created.status_code == 202, created.text
    assert created.json()["picture_status"] == "pending"
    dog = settled(anonymous, "rex")
    assert (dog["picture_status"], dog["picture"]) == ("ready", PICTURE)
    assert [d["name"] for d in anonymous("GET", "/api/dogs").json()["items"]] == ["Rex"]
    assert anonymous("GET", "/api/dogs/is_adopted").json()["items"] == []
    taken = admin("POST", "/api/dogs/rex")
    same_problem(taken, admin("POST", "/dogs/REX"))
    assert taken.status_code == 409

    # another user may not change or delete walker's dog, as natively; an admin may
    change: dict[str, bool] | None
    for method, change in (("PUT", {"is_adopted": True}), ("DELETE", None)):
        forbidden = stroller(method, "/api/dogs/Rex", json=change)
        assert forbidden.status_code == 403, forbidden.text
        same_problem(forbidden, stroller(method, "/dogs/Rex", json=change))
    assert anonymous("GET", "/api/dogs/Rex").json()["is_adopted"] is False
    by_admin = admin("PUT", "/api/dogs/Rex", json={"is_adopted": True})
    assert by_admin.status_code == 200 and by_admin.json()["is_adopted"] is True
    walker("POST", "/api/dogs/Fido")
    assert admin("PUT", "/api/dogs/Fido", json={"is_adopted": True}).status_code == 200
    adopted = anonymous("GET", "/api/dogs/is_adopted").json()["items"]
    assert sorted(d["name"] for d in adopted) == ["Fido", "Rex"]
    bad = walker("PUT", "/api/dogs/Rex", json={"is_adopted": "yes"})
    same_problem(bad, walker("PUT", "/dogs/Rex", json={"is_adopted": "yes"}))
    assert bad.status_code == 422
    assert walker("DELETE", "/api/dogs/Rex").status_code == 204
    assert anonymous("GET", "/api/dogs/Rex").status_code == 404

    # users: creation is the admin's invitation; the invitee sets a password from the mail
    invitation = {"name": "Bea", "last_name": "Barker", "email": "bea.barker@example.com"}
    refused = walker("POST", "/api/users", json=invitation)
    same_problem(
        refused, walker("POST", "/users/invitations", json={**invitation, "username": "bea2"})
    )
    assert refused.status_code == 403
    invited = admin("POST", "/api/users", json=invitation)
    assert invited.status_code == 201, invited.text
    bea = invited.json()
    assert (bea["username"], bea["email"], bea["name"]) == (
        "bea.barker",
        invitation["email"],
        "Bea",
    )
    token = mailbox.token_in(mailbox.wait_for(invitation["email"])[0])
    body = {"token": token, "new_password": PASSWORD}
    assert anonymous("POST", "/auth/password/reset", json=body).status_code == 204
    bea_client = Client(url, native_login(url, "bea.barker"))

    assert bea["id"] in [u["id"] for u in walker("GET", "/api/users").json()["items"]]
    assert walker("GET", f"/api/users/{bea['id']}").json() == {
        "id": bea["id"],
        "username": "bea.barker",
    }
    changed = bea_client("PATCH", f"/api/users/{bea['id']}", json={"last_name": "Bark"})
    assert changed.status_code == 200 and changed.json()["last_name"] == "Bark"
    replaced = bea_client("PUT", f"/api/users/{bea['id']}", json={"username": "bea"})
    assert replaced.status_code == 200 and replaced.json()["last_name"] is None
    assert walker("PATCH", f"/api/users/{bea['id']}", json={"name": "X"}).status_code == 403
    promoted = admin("PUT", f"/api/users/{bea['id']}", json={"role": "uploader"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "uploader"
    assert walker("DELETE", f"/api/users/{bea['id']}").status_code == 403
    assert admin("DELETE", f"/api/users/{bea['id']}").status_code == 204
    assert admin("GET", f"/api/users/{bea['id']}").status_code == 404

    # a file upload
    content = b"\x89PNG\r\n\x1a\n a tiny picture"
    stored = walker("POST", "/api/files", files={"file": ("rex.png", content, "image/png")})
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert walker("GET", f"/files/{stored.json()['id']}").content == content
    assert admin("GET", f"/files/{stored.json()['id']}").status_code == 404  # the owner's only


def test_the_login_api_client(url: str) -> None:
    anonymous = Client(url)
    signup = {"email": "lena@example.com", "username": "lena", "password": PASSWORD, "name": "Lena"}
    created = anonymous("POST", "/api/v1/auth/signup", json=signup)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    cased = {"Email": "max@example.com", "username": "max", "Password": PASSWORD, "name": "Max"}
    assert anonymous("POST", "/api/v1/auth/signup", json=cased).status_code == 201
    again = anonymous("POST", "/api/v1/auth/signup", json=signup)
    assert (again.status_code, again.json()["code"]) == (409, "username_taken")
    bad = {**signup, "email": "not an address", "username": "lena2"}
    native_bad = anonymous("POST", "/register", json=bad)
    same_problem(anonymous("POST", "/api/v1/auth/signup", json=bad), native_bad)

    logged_in = anonymous(
        "POST", "/api/v1/auth/login", json={"Email": "lena@example.com", "Password": PASSWORD}
    )
    assert logged_in.status_code == 200, logged_in.text
    pair = logged_in.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 900
    wrong = anonymous(
        "POST", "/api/v1/auth/login", json={"email": "lena@example.com", "password": "nope-nope"}
    )
    same_problem(
        wrong,
        anonymous("POST", "/login", json={"username": "lena@example.com", "password": "nope-nope"}),
    )

    lena = Client(url, pair["access_token"])
    for method in ("GET", "POST"):
        who = lena(method, "/api/v1/auth/whoami")
        assert who.status_code == 200 and who.json()["username"] == "lena"
    assert anonymous("GET", "/api/v1/auth/whoami").status_code == 401

    # flask-jwt-extended style: the refresh token is the bearer credential
    refreshed = Client(url, pair["refresh_token"])("POST", "/api/v1/token/refresh")
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert Client(url, rotated["access_token"])("GET", "/api/v1/auth/whoami").status_code == 200
    in_body = anonymous(
        "POST", "/api/v1/token/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert in_body.status_code == 200
    as_access = Client(url, pair["access_token"])("POST", "/api/v1/token/refresh")
    assert as_access.status_code == 401  # an access token does not refresh

    listed = lena("GET", "/api/v1/users/")
    assert listed.status_code == 200 and "next_cursor" in listed.json()
    assert {"id": user_id, "username": "lena"} not in listed.json()["items"]  # own: full fields
    assert user_id in [u["id"] for u in listed.json()["items"]]
    one = lena("GET", f"/api/v1/users/{user_id}")
    assert one.status_code == 200 and one.json()["email"] == "lena@example.com"
    assert lena("GET", f"/api/v1/user/{user_id}").json() == one.json()
    max_id = next(u["id"] for u in listed.json()["items"] if u["username"] == "max")
    assert lena("GET", f"/api/v1/user/{max_id}").json() == {"id": max_id, "username": "max"}
    assert anonymous("GET", f"/api/v1/user/{max_id}").status_code == 401


OFF = [
    ("POST", "/auth/login"),
    ("GET", "/api/dogs"),
    ("GET", "/api/dogs/is_adopted"),
    ("GET", "/api/dogs/rex"),
    ("POST", "/api/dogs/rex"),
    ("PUT", "/api/dogs/rex"),
    ("DELETE", "/api/dogs/rex"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/users/abc"),
    ("PUT", "/api/users/abc"),
    ("PATCH", "/api/users/abc"),
    ("DELETE", "/api/users/abc"),
    ("POST", "/api/files"),
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/auth/whoami"),
    ("POST", "/api/v1/auth/whoami"),
    ("POST", "/api/v1/token/refresh"),
    ("GET", "/api/v1/users/"),
    ("GET", "/api/v1/users/abc"),
    ("GET", "/api/v1/user/abc"),
]


def test_compat_routes_false_turns_them_all_off(emulators: Any) -> None:
    with serving("gunicorn-compat-off.log", COMPAT_ROUTES="false") as base:
        anonymous = Client(base)
        for method, path in OFF:
            answer = anonymous(method, path, json={})
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["code"] == "not_found"
        # POST /users shares its path with the native GET /users, and is absent all the same
        absent = anonymous("POST", "/users", json={"username": "x", "password": PASSWORD})
        assert absent.status_code == 404 and absent.json()["code"] == "not_found"
        document = anonymous("GET", "/openapi.json").json()
        tags = {
            tag for ops in document["paths"].values() for op in ops.values() for tag in op["tags"]
        }
        assert "compatibility" not in tags
        assert "post" not in document["paths"]["/users"]
        assert anonymous("GET", "/tasks").status_code == 401  # the native routes stay
