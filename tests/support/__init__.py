"""What the test modules share: worlds, helpers, fixtures and small servers, by what they help
with. A test module imports from here and from tests/fakes/, never from another test module or
a conftest.py (tests/unit/test_test_layout.py; docs/testing.md)."""
