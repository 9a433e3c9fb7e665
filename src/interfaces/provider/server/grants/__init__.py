"""The grants of the token endpoint, on Authlib's: the authorization code, refresh token and
client credentials grants (``grants.py``), the device authorization grant (``device.py``) and
token exchange (``exchange.py``)."""
