"""The resources capability's service objects: ``services().resources``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.resources.dogs import Dogs


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceServices:
    """The template resource modules: dogs."""

    dogs: Dogs
