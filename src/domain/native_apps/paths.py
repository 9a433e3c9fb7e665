"""The paths the native apps unit serves that the association files give to the apps
(docs/native-apps.md)."""

from __future__ import annotations

APP_SIGN_IN_PATH = "/app/sign-in"
