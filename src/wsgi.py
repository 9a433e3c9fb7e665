"""What gunicorn serves: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

from bootstrap import build_app

app = build_app(fail_fast=True)
