"""XML signature wrapping (XSW1-8, after Somorovsky et al., "On Breaking SAML", 2012, as SAML
Raider names them): each takes an IdP's signed answer and wraps a forged assertion around,
before or beside the signed one, so that a service provider that checks one element and reads
another would sign the forger in (docs/reference/sso.md, "The service provider").

Written here, in the tests, by hand on purpose: these are the attacks, not the protocol."""

from __future__ import annotations

from xml.dom import minidom
from xml.dom.minidom import Element

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"
FORGED = "mallory@corp.example"


def _one(parent: Element | minidom.Document, ns: str, name: str) -> Element:
    found = parent.getElementsByTagNameNS(ns, name)
    if not found:
        raise ValueError(f"no {name}")
    element = found[0]
    assert isinstance(element, Element)
    return element


def _children(parent: Element, ns: str, name: str) -> list[Element]:
    return [
        c
        for c in parent.childNodes
        if isinstance(c, Element) and c.namespaceURI == ns and c.localName == name
    ]


def _forge(element: Element, new_id: str) -> Element:
    """A copy of ``element`` naming the forger, with another id and no signature."""
    forged = element.cloneNode(deep=True)
    assert isinstance(forged, Element)
    forged.setAttribute("ID", new_id)
    for signature in _children(forged, DS, "Signature"):
        forged.removeChild(signature)
    for name_id in forged.getElementsByTagNameNS(SAML, "NameID"):
        for text in list(name_id.childNodes):
            name_id.removeChild(text)
        owner = forged.ownerDocument
        assert owner is not None
        name_id.appendChild(owner.createTextNode(FORGED))
    for value in forged.getElementsByTagNameNS(SAML, "AttributeValue"):
        if value.firstChild is not None and "@" in (value.firstChild.nodeValue or ""):
            value.firstChild.nodeValue = FORGED
    return forged


def _object(doc: minidom.Document, signature: Element) -> Element:
    prefix = signature.prefix
    obj = doc.createElementNS(DS, f"{prefix}:Object" if prefix else "Object")
    signature.appendChild(obj)
    return obj


def wrapped(xml: str, variant: int) -> str:  # noqa: PLR0912 (one branch a variant)
    """The answer ``xml`` wrapped by XSW ``variant`` (1-8). 1 and 2 need a signed response,
    3 to 8 a signed assertion."""
    doc = minidom.parseString(xml)  # noqa: S318 (the tests' own IdP's answer)
    response = doc.documentElement
    assert response is not None
    assertion = _one(doc, SAML, "Assertion")
    if variant in (1, 2):
        signature = _children(response, DS, "Signature")[0]
        original = response.cloneNode(deep=True)
        assert isinstance(original, Element)
        for inner in _children(original, DS, "Signature"):
            original.removeChild(inner)
        forged_assertion = _forge(assertion, "forged-assertion")
        response.replaceChild(forged_assertion, assertion)
        response.setAttribute("ID", "forged-response")
        if variant == 1:
            _object(doc, signature).appendChild(original)
        else:
            response.insertBefore(original, signature)
        return response.toxml()
    signature = _children(assertion, DS, "Signature")[0]
    forged = _forge(assertion, "forged-assertion")
    if variant == 3:  # the forgery first, beside the signed one
        response.insertBefore(forged, assertion)
    elif variant == 4:  # the forgery wraps the signed one
        response.replaceChild(forged, assertion)
        forged.appendChild(assertion)
    elif variant in (5, 6, 8):  # the forgery carries the signature; the signed one elsewhere
        unsigned = assertion.cloneNode(deep=True)
        assert isinstance(unsigned, Element)
        for inner in _children(unsigned, DS, "Signature"):
            unsigned.removeChild(inner)
        moved = signature.cloneNode(deep=True)
        assert isinstance(moved, Element)
        issuer = _children(forged, SAML, "Issuer")
        after = issuer[0].nextSibling if issuer else forged.firstChild
        forged.insertBefore(moved, after)  # type: ignore[arg-type]
        response.replaceChild(forged, assertion)
        if variant == 5:
            response.appendChild(unsigned)
        elif variant == 6:
            _object(doc, moved).appendChild(unsigned)
        else:
            _object(doc, moved).appendChild(unsigned)
            forged.setAttribute("ID", assertion.getAttribute("ID"))
    elif variant == 7:  # the forgery in an Extensions element, the signed one after it
        prefix = response.prefix
        extensions = doc.createElementNS(SAMLP, f"{prefix}:Extensions" if prefix else "Extensions")
        extensions.appendChild(forged)
        response.insertBefore(extensions, assertion)
    else:
        raise ValueError(f"XSW{variant} is not a variant")
    return response.toxml()
