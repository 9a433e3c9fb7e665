"""The SSF transmitter, for firegate's relying parties (docs/reference/ssf.md)."""
