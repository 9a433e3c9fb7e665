"""What a page says about the accounts' own refusals of a profile's texts
(``Pages.messages``, read after the shared ones of interfaces/web/messages.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from domain.accounts.profile import NAME_MAX, PROFILE_TEXTS

MESSAGES: dict[str, LazyString] = {
    "invalid_name": lazy_gettext("A name has at most %(count)s characters.", count=NAME_MAX),
    "invalid_last_name": lazy_gettext("A name has at most %(count)s characters.", count=NAME_MAX),
}

# A text of the profile (PROFILE_TEXTS) is refused past NAME_MAX as ``invalid_<its name>``: one
# without words of its own above is told so beside its field, whichever it is.
for _text in PROFILE_TEXTS:
    MESSAGES.setdefault(
        "invalid_" + _text, lazy_gettext("At most %(count)s characters.", count=NAME_MAX)
    )
