"""The user agents the tests' browsers and clients send."""

from __future__ import annotations

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
