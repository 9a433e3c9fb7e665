"""What the Firestore adapters ask and write, read from their source with ``ast``: each query
(its collection, filters and orders) at the line that runs it, and each document write (its
collection and the fields it names) (docs/decisions/0356-queries-held-against-their-indexes.md).

The reader is a small abstract interpreter of the Python the adapters are written in
(``interpreter.py``, its expressions in ``expressions.py``): it follows values through
assignments, branches (each ``if`` both ways, each alternative of a conditional expression as
a world of its own), loops over literal tuples, calls of the adapters' own functions and
methods (inlined, with their arguments), closures handed to ``until_unchanged`` and the like
(run once), and generators. It knows (``reader.py``) the client library's query builder
(``collection``, ``document``, ``where(filter=FieldFilter(...))``, ``order_by``, ``limit``,
``start_after``, ``select``, ``stream``, ``get``, ``collection_group``), the REST path's
``Select`` and ``Write`` (``reads.py``), and writes (``create``, ``set``, ``update`` of a
document, a batch or a transaction).

What it cannot read it says so (``Reading.unread``): a call that builds or runs a query whose
collection or field names it resolved in no context. A query the checker cannot read is a
failure, never a query skipped.
"""

from tests.support.firestore_code.model import SRC, Filter, Order, Query, Reading, Site, Written
from tests.support.firestore_code.reader import read_adapters, source_modules

__all__ = [
    "SRC",
    "Filter",
    "Order",
    "Query",
    "Reading",
    "Site",
    "Written",
    "read_adapters",
    "source_modules",
]
