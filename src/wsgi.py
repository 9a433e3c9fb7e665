"""What gunicorn serves: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Each worker imports this module after gunicorn's fork and builds its own app: its clients,
threads and sockets are the worker's. The modules it is built from are the master's,
imported once before the fork (gunicorn.conf.py, docs/operations.md "Workers and threads").
"""

from bootstrap import build_app

app = build_app()
