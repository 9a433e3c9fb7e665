"""Random pauses for back-offs, from a generator of firegate's own.

Not the ``random`` module's shared generator: tests and libraries seed and read that one, and
a back-off drawn from it in a background thread changes its state under them. Reseeded in
each forked worker, so two workers never pause in step.
"""

from __future__ import annotations

import os
import random

_PAUSES = random.Random()  # noqa: S311 - pauses, not secrets
os.register_at_fork(after_in_child=_PAUSES.seed)


def uniform(low: float, high: float) -> float:
    """A number between ``low`` and ``high``."""
    return _PAUSES.uniform(low, high)
