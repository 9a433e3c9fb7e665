"""Signing in by a one-time code: the flow every channel shares (``flows.py``)."""
