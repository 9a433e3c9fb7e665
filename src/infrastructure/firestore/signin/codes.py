"""The flows of sign-in by a one-time code, a pair of collections per channel: by e-mail
(``email_code_flows/{id}``, found by id or by their link's ``link_hash``, and the requests of
each address, ``email_code_addresses/{claim id of its login key}``), by text message
(``phone_code_flows/{id}`` and ``phone_code_numbers/{claim id of the E.164 number}``), and
the change of an account's number (``phone_change_flows/{id}`` and
``phone_change_accounts/{claim id of the account's id}``).

A new request is one batch, built from what it read and committed only if that is unchanged
(update-time preconditions): the identifier's record (the times, clients, flows and askers of
its last hour's requests), the new flow, and the void of its asker's flow before, so one flow
per identifier and asker is live whatever races. A flow changes by compare-and-set, so of
thirty requests spending one flow exactly one write lands (docs/decisions/0474-email-codes.md).
``expires_at`` is the field of both collections' TTL policies (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.signin.codes.flows import Channel, CodeFlow, CodeRequests
from infrastructure.firestore.client import BOUNDED, claim_id, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

FLOWS, ADDRESSES = "email_code_flows", "email_code_addresses"
PHONE_FLOWS, NUMBERS = "phone_code_flows", "phone_code_numbers"
# A change of an account's number: its flows, and each account's requests (by its id)
PHONE_CHANGE_FLOWS, PHONE_CHANGE_ACCOUNTS = "phone_change_flows", "phone_change_accounts"


def _collections(channel: Channel, *, change: bool = False) -> tuple[str, str]:
    """The channel's collections: of its flows, and of its identifiers' requests (``change``:
    an account's change of number, whose requests are the account's)."""
    if change:
        return PHONE_CHANGE_FLOWS, PHONE_CHANGE_ACCOUNTS
    if channel is Channel.PHONE:
        return PHONE_FLOWS, NUMBERS
    return FLOWS, ADDRESSES


def flow_to_doc(flow: CodeFlow) -> dict[str, Any]:
    # The identifier under its channel's name: an e-mail flow's documents stay as they were.
    to = {"phone_number": flow.to} if flow.channel is Channel.PHONE else {"email": flow.to}
    return {
        **to,
        "created_at": flow.created_at,
        "expires_at": flow.expires_at,  # a Firestore TTL policy on this field reaps them
        "browser_hash": flow.browser_hash,
        "locale": flow.locale,
        "code_hash": flow.code_hash,
        "link_hash": flow.link_hash,
        "guesses": flow.guesses,
        "last_guess": flow.last_guess,
        "void": flow.void,
        "spent_at": flow.spent_at,
        "spent_by": flow.spent_by,
        "guest_id": flow.guest_id,
        "code_challenge": flow.code_challenge,
    }


def flow_from_doc(flow_id: str, data: dict[str, Any], channel: Channel) -> CodeFlow:
    return CodeFlow(
        id=flow_id,
        channel=channel,
        to=data["phone_number"] if channel is Channel.PHONE else data["email"],
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        browser_hash=data.get("browser_hash"),
        locale=data.get("locale"),
        code_hash=data.get("code_hash"),
        link_hash=data.get("link_hash"),
        # ``wrong_codes``: a flow stored before each guess was counted first
        guesses=data.get("guesses", data.get("wrong_codes", 0)),
        last_guess=data.get("last_guess"),
        void=data.get("void", False),
        spent_at=data.get("spent_at"),
        spent_by=data.get("spent_by"),
        guest_id=data.get("guest_id"),
        code_challenge=data.get("code_challenge"),
    )


def requests_to_doc(requests: CodeRequests) -> dict[str, Any]:
    return {
        "live_flow": requests.live_flow,
        "times": list(requests.times),
        "clients": list(requests.clients),
        "flows": list(requests.flows),
        "askers": list(requests.askers),
        "expires_at": requests.expires_at(),
    }


def requests_from_doc(key: str, data: dict[str, Any] | None, channel: Channel) -> CodeRequests:
    if data is None:
        return CodeRequests(key, channel=channel)
    times = tuple(data.get("times", ()))

    def per_time(name: str) -> tuple[str, ...]:
        values = tuple(data.get(name, ()))
        return values if len(values) == len(times) else ("",) * len(times)

    return CodeRequests(
        key,
        data.get("live_flow"),
        times,
        per_time("clients"),
        channel=channel,
        flows=per_time("flows"),
        askers=per_time("askers"),
    )


@translates_errors
class FirestoreCodeFlows:
    """The flows of one channel; ``change``: those of an account's change of number, kept
    apart from the sign-in codes' (keyed by the account)."""

    def __init__(
        self, client: firestore.Client, channel: Channel = Channel.EMAIL, *, change: bool = False
    ) -> None:
        self._client = client
        self._channel = channel
        self._change = change

    def _flows(self) -> firestore.CollectionReference:
        return self._client.collection(_collections(self._channel, change=self._change)[0])

    def _address(self, key: str) -> firestore.DocumentReference:
        collection = _collections(self._channel, change=self._change)[1]
        return self._client.collection(collection).document(claim_id(key))

    def requests(self, key: str) -> CodeRequests:
        data = read_document(self._client, self._address(key))
        return requests_from_doc(key, data, self._channel)

    def start(
        self, flow: CodeFlow, key: str, now: datetime, client: str, *, asker: str, challenged: bool
    ) -> None:
        def requested(before: CodeRequests) -> CodeRequests:
            return before.requested(flow.id, now, client, asker=asker, challenged=challenged)

        self._commit(key, requested, flow, asker)

    def count(self, key: str, now: datetime, client: str, *, challenged: bool) -> None:
        def requested(before: CodeRequests) -> CodeRequests:
            return before.requested("", now, client, asker="", challenged=challenged)

        self._commit(key, requested)

    def _commit(
        self,
        key: str,
        requested: Callable[[CodeRequests], CodeRequests],
        flow: CodeFlow | None = None,
        asker: str = "",
    ) -> None:
        """The identifier's record as ``requested`` changes it (RateLimited: nothing is
        written), with ``flow`` new and the one before it of ``asker`` void, in one batch."""
        address_ref = self._address(key)

        def attempt() -> None:
            snap = address_ref.get(**BOUNDED)
            before = requests_from_doc(key, snap.to_dict() if snap.exists else None, self._channel)
            after = requested(before)  # RateLimited: nothing is written
            batch = self._client.batch()
            if snap.exists:
                batch.update(address_ref, requests_to_doc(after), option=unchanged_since(snap))
            else:
                batch.create(address_ref, requests_to_doc(after))
            if flow is not None:
                batch.create(self._flows().document(flow.id), flow_to_doc(flow))
                self._void(batch, before.live_for(asker))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                raise Stale from None  # the address's first record was made meanwhile

        until_unchanged(attempt)

    def _void(self, batch: firestore.WriteBatch, flow_id: str | None) -> None:
        """The void of the flow ``flow_id`` in ``batch``, if it exists, built on what it is."""
        if flow_id is None:
            return
        old_ref = self._flows().document(flow_id)
        old = old_ref.get(**BOUNDED)
        if old.exists:
            voided = flow_from_doc(old.id, old.to_dict() or {}, self._channel).voided()
            batch.update(old_ref, flow_to_doc(voided), option=unchanged_since(old))

    def get(self, flow_id: str) -> CodeFlow | None:
        data = read_document(self._client, self._flows().document(flow_id))
        return flow_from_doc(flow_id, data, self._channel) if data is not None else None

    def by_link(self, link_hash: str) -> CodeFlow | None:
        # One equality on a random hash: Firestore's single-field index answers it.
        query = self._flows().where(filter=firestore.FieldFilter("link_hash", "==", link_hash))
        found = run_query(self._client, query.limit(1))
        return flow_from_doc(found[0][0], found[0][1], self._channel) if found else None

    def update(self, flow_id: str, change: Callable[[CodeFlow], CodeFlow]) -> CodeFlow | None:
        ref = self._flows().document(flow_id)

        def attempt() -> CodeFlow | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = flow_from_doc(flow_id, snap.to_dict() or {}, self._channel)
            after = change(before)
            if after == before:
                return after
            try:
                ref.update(flow_to_doc(after), option=unchanged_since(snap), **BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # removed meanwhile: the next read says so
            return after

        return until_unchanged(attempt)


FirestoreEmailCodeFlows = FirestoreCodeFlows  # the e-mail channel's, by default
