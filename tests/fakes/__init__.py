"""In-memory adapters for unit tests, one module per capability (the port's owner) beside the
shared kernel's (kernel.py); tests/contract keeps each honest against Firestore. Import a fake
from its module: ``from tests.fakes.signin import FakeSessionRepository``."""
