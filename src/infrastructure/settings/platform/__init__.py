"""The service's own settings groups: the service itself (its profile, address, proxies and
limits), its jobs, its telemetry and its branding."""
