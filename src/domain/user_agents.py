"""A device as people name it, "Firefox (Linux)": a browser and a system from fixed lists,
found in a user agent, never text of the user agent itself. The new-device mail and the pages'
sessions and passkeys name a device by it
(docs/decisions/0262-devices-and-times-as-people-read-them.md)."""

from __future__ import annotations

# Browser and system names a mail may show, found in a user agent in this order; nothing of
# the user agent itself ever reaches a mail (it is whatever the client chose to send).
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_MAX_AGENT = 512  # longer input is read no further


def browser_and_system(user_agent: str | None) -> tuple[str, str]:
    """``("Firefox", "Linux")``; ``""`` for a part we do not know: names from a fixed list,
    never text from the user agent. What the mails and the pages name a device by."""
    agent = (user_agent or "")[:_MAX_AGENT]
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    return browser, system


def browser_of(user_agent: str | None) -> str:
    """``"Firefox (Linux)"``, ``"Chrome"``, or ``""`` for a user agent we do not know: a
    name from a fixed list, never text from the user agent."""
    browser, system = browser_and_system(user_agent)
    return f"{browser} ({system})" if browser and system else browser or system
