"""What an org's domain must publish for mail to go from it on the operator's servers, read
from its TXT records: an SPF policy (RFC 7208) that includes the operator's, a DKIM key
(RFC 6376) at the operator's selector, a DMARC policy (RFC 7489) (docs/reference/org-sender.md;
docs/decisions/0890-the-senders-records-parsed-here.md).

The parsing is small and strict on purpose: only what the three checks need is read. A
lookup is a function of a name to its TXT records (each its strings joined); it raises
``Unavailable`` when no resolver answers, which the checks let through (503, try again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

type TxtLookup = Callable[[str], list[str]]

SPF = "spf"
DKIM = "dkim"
DMARC = "dmarc"
# RFC 7208 4.6.4: the terms of one check that cause DNS queries, at most ten
SPF_LOOKUP_LIMIT = 10
_SPF_LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
_PASS = "+"
_QUALIFIERS = "+-~?"
DMARC_POLICIES = frozenset({"none", "quarantine", "reject"})


def _name(value: str) -> str:
    return value.strip().rstrip(".").lower()


def _one(records: Sequence[str], version: str, ends: str = " ") -> tuple[str | None, int]:
    """The record of ``records`` that starts with ``version`` (as its own term, any case,
    ended by one of ``ends``) and how many do."""
    found = [
        r
        for r in records
        if (text := r.strip().lower()).startswith(version)
        and (len(text) == len(version) or text[len(version)] in ends)
    ]
    return (found[0].strip() if len(found) == 1 else None), len(found)


class SpfError(Exception):
    """The SPF check's permanent error (RFC 7208 2.6.7): what the domain must fix."""


@dataclass
class _SpfWalk:
    lookup: TxtLookup
    target: str
    lookups: int = 0

    def count(self) -> None:
        self.lookups += 1
        if self.lookups > SPF_LOOKUP_LIMIT:
            raise SpfError(
                f"the SPF policy takes more than {SPF_LOOKUP_LIMIT} DNS lookups (RFC 7208 4.6.4)"
            )

    def includes(self, domain: str, seen: tuple[str, ...]) -> bool:
        """Whether ``domain``'s policy passes mail the target's passes: an ``include:`` of it
        with a pass qualifier, here or in a policy this one includes or redirects to, before
        its ``all``."""
        if domain in seen:
            raise SpfError(f"the SPF policy of {domain} includes itself (a loop)")
        record, count = _one(self.lookup(domain), "v=spf1")
        if count > 1:
            raise SpfError(f"{domain} has {count} SPF records; RFC 7208 allows one")
        if record is None:
            raise SpfError(f"{domain} has no SPF record")
        redirect: str | None = None
        for term in record.split()[1:]:
            if "=" in term and ":" not in term.split("=", 1)[0]:
                name, _, value = term.partition("=")
                if name.lower() == "redirect":
                    redirect = _name(value)
                continue  # another modifier (exp=...) asks nothing of this check
            qualifier = term[0] if term[0] in _QUALIFIERS else _PASS
            mechanism = term.lstrip(_QUALIFIERS)
            kind, _, argument = mechanism.partition(":")
            kind = kind.split("/", 1)[0].lower()
            if kind == "all":
                return False  # nothing after "all" is read, nor a redirect (RFC 7208 6.1)
            if kind not in _SPF_LOOKUP_TERMS:
                continue
            self.count()
            if kind != "include":
                continue
            included = _name(argument)
            if not included:
                raise SpfError(f"{domain}'s SPF policy has an include: without a domain")
            if qualifier == _PASS and (
                included == self.target or self.includes(included, (*seen, domain))
            ):
                return True
        if redirect is None:
            return False
        self.count()
        return self.includes(redirect, (*seen, domain))


def spf_problem(domain: str, include: str, lookup: TxtLookup) -> str | None:
    """None when ``domain``'s SPF policy includes ``include`` (following its ``include:``
    and ``redirect=`` within the ten lookups of RFC 7208, each domain's one ``v=spf1``
    record); else what is wrong, in words."""
    walk = _SpfWalk(lookup=lookup, target=_name(include))
    try:
        if walk.includes(_name(domain), ()):
            return None
    except SpfError as exc:
        return str(exc)
    return f"the SPF policy of {domain} does not include include:{walk.target}"


def tags(record: str) -> dict[str, str]:
    """A DKIM or DMARC tag list (RFC 6376 3.2): ``name=value`` pairs separated by ``;``,
    whitespace around them ignored; names in lower case; the first of a repeated name.
    ValueError for a pair without ``=``."""
    found: dict[str, str] = {}
    for part in record.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"{part.strip()!r} is not a tag=value pair")
        found.setdefault(name.strip().lower(), value.strip())
    return found


def dkim_problem(name: str, records: Sequence[str]) -> str | None:
    """None when ``records`` (the TXT records at ``name``) hold a DKIM key: ``v=DKIM1`` if
    given, a non-empty ``p=`` (an empty one is a revoked key, RFC 6376 3.6.1); else what is
    wrong."""
    if not records:
        return f"no DKIM key record at {name}"
    for record in records:
        try:
            found = tags(record)
        except ValueError:
            continue
        if "v" in found and found["v"] != "DKIM1":
            continue
        if "".join(found.get("p", "").split()):
            return None
    return f"no DKIM key at {name} (a record with v=DKIM1 and a non-empty p=)"


def dmarc_problem(names: Sequence[str], lookup: TxtLookup) -> str | None:
    """None when the first of ``names`` (``_dmarc.`` of the domain, then of its organisational
    domain) that has a DMARC record has exactly one, whose ``p=`` is none, quarantine or
    reject; else what is wrong."""
    for name in names:
        record, count = _one(lookup(name), "v=dmarc1", " ;\t")
        if count == 0:
            continue
        if count > 1:
            return f"{name} has {count} DMARC records; RFC 7489 allows one"
        try:
            policy = tags(record or "").get("p", "").lower()
        except ValueError:
            return f"the DMARC record at {name} is not a tag list"
        if policy not in DMARC_POLICIES:
            return f"the DMARC record at {name} has no p=none, p=quarantine or p=reject"
        return None
    return f"no DMARC record at {' or '.join(names)}"


def dkim_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def dmarc_names(domain: str, verified: Sequence[str]) -> tuple[str, ...]:
    """Where ``domain``'s DMARC policy is looked for: its own ``_dmarc.``, then that of each
    verified domain it is under, the nearest first (the organisational domain, as far as the
    org proved it holds it)."""
    parents = sorted(
        (parent for parent in verified if domain.endswith("." + parent)),
        key=len,
        reverse=True,
    )
    return tuple(f"_dmarc.{name}" for name in (domain, *parents))


@dataclass(frozen=True)
class Alignment:
    """What a sender's domain lacks: by check (``spf``, ``dkim``, ``dmarc``, in this order),
    the words of what is wrong; empty when it publishes everything."""

    problems: tuple[tuple[str, str], ...] = ()

    @property
    def aligned(self) -> bool:
        return not self.problems

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(check for check, _ in self.problems)


def alignment(
    domain: str,
    *,
    spf_include: str,
    dkim_selector: str,
    verified: Sequence[str],
    lookup: TxtLookup,
) -> Alignment:
    """The three checks of ``domain``, every one (so the answer names all that is missing)."""
    key = dkim_name(dkim_selector, domain)
    found = (
        (SPF, spf_problem(domain, spf_include, lookup)),
        (DKIM, dkim_problem(key, lookup(key))),
        (DMARC, dmarc_problem(dmarc_names(domain, verified), lookup)),
    )
    return Alignment(tuple((check, problem) for check, problem in found if problem is not None))
