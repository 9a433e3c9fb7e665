"""The e-mail channel's flows, by the name their callers know (the adapter of every channel
is infrastructure/firestore/signin/codes.py)."""

from infrastructure.firestore.signin.codes import FirestoreEmailCodeFlows

__all__ = ["FirestoreEmailCodeFlows"]
