"""The shared signals unit: an SSF transmitter for firegate's relying parties, and an SSF
receiver for an org's IdP and Google's RISC (docs/reference/ssf.md)."""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.unit import Built, Kernel, Lent, Unit

# -- the transmitter


def transmitter_lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    return Lent()


def transmitter_built(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    return Built()


# (the transmitter's other parts above this line; the receiver's below the next)


# -- the receiver


def receiver_lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    return Lent()


def receiver_built(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    return Built()


# (the receiver's other parts above this line)


# -- the unit


@dataclass(frozen=True, kw_only=True)
class SharedSignalsAdapters:
    """The unit's adapters: the transmitter's and the receiver's."""


def adapters(_settings: object, _client: object) -> SharedSignalsAdapters:
    return SharedSignalsAdapters()


def lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    transmitter, receiver = transmitter_lends(own, kernel), receiver_lends(own, kernel)
    return Lent(
        fills=(*transmitter.fills, *receiver.fills),
        offers=(*transmitter.offers, *receiver.offers),
    )


def build(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    transmitter, receiver = transmitter_built(own, kernel), receiver_built(own, kernel)
    return Built(
        services=(*transmitter.services, *receiver.services),
        offers=(*transmitter.offers, *receiver.offers),
    )


UNIT = Unit[SharedSignalsAdapters](
    name="shared_signals",
    adapters=adapters,
    lends=lends,
    build=build,
)
