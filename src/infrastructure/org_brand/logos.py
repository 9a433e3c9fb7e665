"""Whether an SVG logo is safe to serve (application/org_brand/brands.py, ``SvgCheck``):
parsed by lxml (the SAML stack's parser) without a DTD, entities or the network, a document
that declares a DTD or holds an entity refused; then every element and attribute is looked
at. Served anyway under a CSP sandbox (docs/org-brand.md)."""

from __future__ import annotations

import re
from typing import Any

from domain.errors import InvalidInput

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# Elements that run script, embed another document, or change an attribute (a link's target
# among them) after the document is read.
_REFUSED = frozenset(
    {"script", "foreignobject", "iframe", "embed", "object", "handler", "animate", "set",
     "animatemotion", "animatetransform", "listener", "audio", "video", "image", "feimage"}
)  # fmt: skip
_URL = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)", re.IGNORECASE)  # a url() not of this document
_IMPORT = re.compile(r"@import", re.IGNORECASE)


def _refused(message: str) -> InvalidInput:
    return InvalidInput.field("logo_url", message, "invalid_brand_logo")


def _local(name: str) -> str:
    return name.rpartition("}")[2].lower()


class SafeSvg:
    """An SVG logo without a DTD or entities, scripts (``<script>``, ``<foreignObject>``,
    animations), event handler attributes (``on…``), or references outside itself (an
    ``href`` other than ``#id``, a CSS ``url()`` other than ``url(#id)``, ``@import``)."""

    def check(self, data: bytes) -> None:
        from lxml import etree  # noqa: PLC0415 - heavy: loaded by the first SVG logo

        if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
            raise _refused("An SVG logo may not hold a DTD or entities.")
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            root = etree.fromstring(data, parser)
        except (etree.XMLSyntaxError, ValueError):
            raise _refused("The logo is not a readable SVG document.") from None
        if root.getroottree().docinfo.doctype or root.tag != f"{{{SVG_NS}}}svg":
            raise _refused("The logo is not an SVG document (or it declares a DTD).")
        for element in root.iter():
            self._element(element)

    def _element(self, element: Any) -> None:
        if not isinstance(element.tag, str) or _local(element.tag) in _REFUSED:
            raise _refused("An SVG logo may not hold scripts, embedded documents or animations.")
        if _local(element.tag) == "style" and (
            _URL.search(element.text or "") or _IMPORT.search(element.text or "")
        ):
            raise _refused("An SVG logo's styles may not refer to anything outside it.")
        for name, value in element.attrib.items():
            local = _local(name)
            if local.startswith("on"):
                raise _refused("An SVG logo may not hold event handlers.")
            if local == "href" and not value.strip().startswith("#"):
                raise _refused("An SVG logo may not refer to anything outside it.")
            if _URL.search(value) or _IMPORT.search(value):
                raise _refused("An SVG logo's styles may not refer to anything outside it.")
