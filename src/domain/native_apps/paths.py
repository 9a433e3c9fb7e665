"""The paths the native apps' association files give to the apps (docs/native-apps.md)."""

from __future__ import annotations

# Where a sign-in link of the code flows opens (``?token=...``): in the app that asked when
# the app is installed, else in the browser.
APP_SIGN_IN_PATH = "/app/sign-in"
APP_SIGN_IN_QUERY = "token"  # the one query item of such a link
