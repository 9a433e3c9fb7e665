"""Signing in through an org's connection: SAML and OpenID (what both share: ``arrival``)."""
