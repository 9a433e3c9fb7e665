"""What gunicorn serves: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The cyclic garbage collector waits while the worker imports its modules and binds its
services: the start makes hundreds of thousands of objects that live as long as the
process, and searching them for cycles took a tenth of its CPU (docs/benchmarks.md,
"Cold start"). The warm-up enables it again once the services are bound. The methods the
dataclasses module writes for each class are compiled once and kept beside the bytecode:
compiling them was a third of the start.
"""

import gc

gc.disable()

# Before any module that makes a dataclass: their methods' code compiled once, kept with the
# bytecode (docs/decisions/0444-dataclass-methods-compiled-once.md).
from infrastructure.dataclass_code import install  # noqa: E402 - after the collector is paused

dataclass_code = install()

from bootstrap import build_app  # noqa: E402 - with the dataclasses' code kept

app = build_app(fail_fast=True, resume_gc=True, started=dataclass_code.close)
