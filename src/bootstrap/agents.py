"""The agents unit: what AI agents acting for a person add to the provider (docs/agents-and-clis.md,
docs/customers-govern-agents.md). Today it holds an org's owners' door to its agent policy: the
``agent-policy`` API and the Agents section of the org's page; the policy itself is the org's,
which the provider enforces on every app acting in it
(docs/decisions/0770-what-the-agents-unit-is.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.agents.policy import OrgAgentPolicies
from bootstrap.unit import Built, Kernel, Unit

if TYPE_CHECKING:
    from flask import Blueprint

    from interfaces.web.parts import Pages


def build(_adapters: None, kernel: Kernel) -> Built:
    """The org's agent policy as its owners read and set it; in the local profile its hosts
    may be the loopback ones it fetches client metadata documents from."""
    return Built(
        services=(
            OrgAgentPolicies(
                orgs=kernel.orgs,
                clock=kernel.platform.clock,
                audit=kernel.platform.audit,
                local=kernel.settings.service.app_profile == "local",
            ),
        )
    )


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.agents import policy  # noqa: PLC0415 - loaded with the app

    return (policy.bp,)


def pages() -> Pages:
    """The Agents section of an org's page, between its apps and its events."""
    from interfaces.web.agents import org_agents  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(org_sections=(At(90, org_agents.AGENTS),))


UNIT = Unit[None](name="agents", build=build, api=api, pages=pages)
