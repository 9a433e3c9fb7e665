"""The SSF receiver's settings (docs/configuration.md, "Shared signals"): how often each server
registers the streams due, where Google's RISC configuration is, and which upstream provider
is Google's, read with
``settings.group(SsfReceiverSettings)`` (bootstrap/shared_signals.py)."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings.group import SettingsGroup


class SsfReceiverSettings(SettingsGroup):
    # Seconds between two passes of the streams' registration in each server; 0: none (a
    # scheduler pushes the ``ssf-receiver-streams`` sweep instead).
    ssf_receiver_sweep_interval: float = Field(default=300.0, ge=0)
    # Google's RISC configuration (issuer, jwks_uri); tests point it at a local issuer.
    ssf_google_risc_configuration_url: str = (
        "https://accounts.google.com/.well-known/risc-configuration"
    )
    # The id of the upstream provider whose sign-ins Google's RISC events are about.
    ssf_google_provider: str = "google"
