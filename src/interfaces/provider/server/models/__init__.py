"""What the grants and endpoints build on: the models Authlib asks about (``models.py``),
the provider's configuration and metadata (``config.py``), DPoP proofs (``proofs.py``) and the
API resources' scopes (``scopes.py``)."""
