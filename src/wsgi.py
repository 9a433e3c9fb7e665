"""What gunicorn serves: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The cyclic garbage collector waits while the worker imports its modules and binds its
services: the start makes hundreds of thousands of objects that live as long as the
process, and searching them for cycles took a tenth of its CPU (docs/benchmarks.md,
"Cold start"). The warm-up enables it again once the services are bound.
"""

import gc

gc.disable()

from bootstrap import build_app  # noqa: E402 - after the collector is paused

app = build_app(fail_fast=True, resume_gc=True)
