"""The methods the standard library's ``dataclasses`` writes for each class (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, a frozen class's ``__setattr__`` and
``__delattr__``), kept compiled between a process's starts
(docs/decisions/0444-dataclass-methods-compiled-once.md).

``dataclasses`` makes each of those methods from source text with ``exec``: about six
compilations a class, and firegate's ~500 classes made a third of a worker's start. Python
keeps a module's bytecode in ``__pycache__``, but not this code; ``install`` keeps it in the
same place, in one file: ``dataclasses`` is given an ``exec`` of its own (a global of that
module, which its ``exec`` calls find before the builtin one) that runs the code compiled from
the same text, from the file when it holds it; ``save`` writes what was compiled anew.
Running code compiled from the same text is what ``exec`` of the text does: the classes are
the same, whether the file is there, stale, from another Python or unreadable (then it is
not used). Like ``__pycache__``'s files, it is read as trusted as the source beside it, and
nothing is written when bytecode is not (``PYTHONDONTWRITEBYTECODE``).

The file is mapped, not read: a hash table of the texts' digests, then each one's code as
marshal writes it, made a code object when first run. The process holds nothing of it per
class, so that ``close`` leaves no freed blocks among the objects it keeps (read into
thousands of objects, they stayed as 3 MB more of a worker's memory).

    python -m infrastructure.dataclass_code   # makes the file for every module of src/

The container image makes it so at build time (Dockerfile).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import hashlib
import importlib
import importlib.util
import marshal
import mmap
import os
import struct
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import CodeType
from typing import Any

SRC = Path(__file__).resolve().parents[1]
DEFAULT_PATH = SRC / "__pycache__" / f"dataclass-code.{sys.implementation.cache_tag}.marshal"
# What the file begins with: the interpreter's bytecode version (as a .pyc's), then the
# format's own. A file that begins otherwise is not read.
HEADER = importlib.util.MAGIC_NUMBER + b"fgdc4\n"
SLOTS = struct.Struct("<I")
TABLE = len(HEADER) + SLOTS.size  # where the table's rows begin
# One row of the table: a text's digest, where its code begins (from the file's start) and
# how long it is.
ROW = struct.Struct("<16sII")
EMPTY = bytes(16)
# A file that keeps every text ever compiled would grow with each change of a class: past
# this many, a save keeps only what its process used.
MAX_ENTRIES = 20_000
PACKAGES = ("domain", "application", "infrastructure", "interfaces", "bootstrap")


def _key(source: str) -> bytes:
    return hashlib.blake2b(source.encode(), digest_size=16).digest()


class _Mapped:
    """A file's table and code, mapped. The table is a hash table (its number of rows at its
    head, twice the entries' and one): a digest's row is the one its first eight bytes name,
    or one of the rows after it (an empty row, all zeros, ends the search)."""

    def __init__(self, path: Path) -> None:
        self._map: mmap.mmap | None = None
        self._slots = 0
        with contextlib.suppress(OSError, ValueError):
            with path.open("rb") as file:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            if mapped[: len(HEADER)] != HEADER or len(mapped) < TABLE:
                mapped.close()
                return
            (slots,) = SLOTS.unpack_from(mapped, len(HEADER))
            if TABLE + slots * ROW.size > len(mapped):
                mapped.close()
                return
            self._map, self._slots = mapped, slots

    @property
    def usable(self) -> bool:
        return self._map is not None and self._slots > 0

    def _rows(self, mapped: mmap.mmap, key: bytes) -> Iterator[tuple[bytes, int, int]]:
        """The rows from the key's own on, once round the table."""
        first = int.from_bytes(key[:8], "little") % self._slots
        for step in range(self._slots):
            at = TABLE + (first + step) % self._slots * ROW.size
            found, offset, length = ROW.unpack_from(mapped, at)
            yield found, offset, length

    @staticmethod
    def _code(mapped: mmap.mmap, offset: int, length: int) -> bytes:
        """A row's code; empty if the row points past the file's end."""
        return mapped[offset : offset + length] if offset + length <= len(mapped) else b""

    def get(self, key: bytes) -> bytes | None:
        mapped = self._map
        if mapped is None or not self._slots:
            return None
        for found, offset, length in self._rows(mapped, key):
            if found == key:
                return self._code(mapped, offset, length)
            if found == EMPTY:
                return None
        return None

    def items(self) -> list[tuple[bytes, bytes]]:
        mapped = self._map
        if mapped is None:
            return []
        rows = (ROW.unpack_from(mapped, TABLE + slot * ROW.size) for slot in range(self._slots))
        return [
            (found, self._code(mapped, offset, length))
            for found, offset, length in rows
            if found != EMPTY
        ]

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
        self._map, self._slots = None, 0


def _write(path: Path, entries: Mapping[bytes, bytes]) -> None:
    """The file of ``entries``, made beside ``path`` and renamed over it: a reader (another
    worker) sees the old file or the new one."""
    import tempfile  # noqa: PLC0415 - only when writing, seldom

    entries = {key: code for key, code in entries.items() if len(key) == 16 and key != EMPTY}
    slots = 2 * len(entries) + 1  # half empty: a digest is found in one or two rows
    table: list[tuple[bytes, int, int]] = [(EMPTY, 0, 0)] * slots
    offset = TABLE + slots * ROW.size
    for key, code in entries.items():
        slot = int.from_bytes(key[:8], "little") % slots
        while table[slot][0] != EMPTY:
            slot = (slot + 1) % slots
        table[slot] = (key, offset, len(code))
        offset += len(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dataclass-code-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(HEADER + SLOTS.pack(slots) + b"".join(ROW.pack(*row) for row in table))
            for code in entries.values():  # in the order their offsets were given
                out.write(code)
        # Readable by all, as bytecode is: the image makes it as root for its user.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class DataclassCode:
    """The compiled methods, by the digest of their text; an ``exec`` that uses them.
    ``writes``: what is compiled anew is kept, for ``save``."""

    def __init__(self, path: Path, *, writes: bool) -> None:
        self.path = path
        self._kept = _Mapped(path)
        self._writes = writes
        self._new: dict[bytes, CodeType] = {}  # compiled here, until saved
        self._used: set[bytes] = set()
        self._lock = threading.Lock()
        self.compiled = 0  # texts compiled anew, not found in the file

    def exec(
        self,
        source: Any,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        /,
    ) -> None:
        """``builtins.exec``, with a text compiled once: ``dataclasses`` calls it with its
        methods' text, the class's module's globals and a namespace of its own."""
        if not isinstance(source, str) or not (self._writes or self._kept.usable):
            builtins.exec(source, globals, locals)  # noqa: S102 - what dataclasses asked
            return
        key = _key(source)
        with self._lock:
            code = self._new.get(key)
            kept = self._kept.get(key) if code is None else None
            self._used.add(key)
        if code is None and kept is not None:
            code = _loaded(kept)
        if code is None:
            code = compile(source, "<string>", "exec")
            with self._lock:
                if self._writes:
                    self._new[key] = code
                self.compiled += 1
        builtins.exec(code, globals, locals)  # noqa: S102 - dataclasses' own text, compiled

    def close(self) -> None:
        """Once a process has started: write what was compiled anew, give ``dataclasses``
        back the builtin ``exec`` and let go of the file; classes made later are compiled
        as without it."""
        self.save()
        if vars(dataclasses).get("exec") == self.exec:
            uninstall()
        with self._lock:
            self._kept.close()
            self._new, self._used = {}, set()

    def save(self) -> bool:
        """Write what was compiled anew, if anything was (and kept: ``writes``); a directory
        that cannot be written is no error (the next start compiles again)."""
        with self._lock:
            if not self._new:
                return False
            entries = dict(self._kept.items())
            entries.update((key, marshal.dumps(code)) for key, code in self._new.items())
            if len(entries) > MAX_ENTRIES:
                entries = {key: entries[key] for key in self._used if key in entries}
        try:
            _write(self.path, entries)
        except OSError:
            return False
        with self._lock:
            self._new = {}
        return True


def _loaded(kept: bytes) -> CodeType | None:
    """The code marshal wrote as ``kept``; None if it is none (then it is compiled again)."""
    try:
        # As trusted as the bytecode beside it, whose directory it shares.
        code = marshal.loads(kept)  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def install(path: Path = DEFAULT_PATH, *, writes: bool | None = None) -> DataclassCode:
    """Give ``dataclasses`` the ``exec`` that keeps its methods compiled (once per process:
    a second call returns the first one's). ``writes``: what is compiled anew is kept for
    ``save``; by default when bytecode may be written."""
    current = vars(dataclasses).get("exec")
    if isinstance(getattr(current, "__self__", None), DataclassCode):
        installed: DataclassCode = current.__self__  # type: ignore[union-attr]
        return installed
    code = DataclassCode(path, writes=not sys.dont_write_bytecode if writes is None else writes)
    setattr(dataclasses, "exec", code.exec)  # noqa: B010 - a global of that module
    return code


def uninstall() -> None:
    """``dataclasses`` with the builtin ``exec`` again (tests)."""
    vars(dataclasses).pop("exec", None)


def import_everything() -> list[str]:
    """Import every module of src/'s packages; the names of those that could not be."""
    import pkgutil  # noqa: PLC0415 - the build's command alone

    failed: list[str] = []
    for package in PACKAGES:
        importlib.import_module(package)
        for found in pkgutil.walk_packages([str(SRC / package)], prefix=f"{package}."):
            if found.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(found.name)
            except Exception:  # reported, and the rest still made
                failed.append(found.name)
    return failed


def main() -> int:
    code = install(writes=True)  # whatever PYTHONDONTWRITEBYTECODE says: the image's build
    failed = import_everything()
    compiled = code.compiled
    written = code.save()
    print(
        f"dataclass code: {code.path} "
        + (f"written ({compiled} new)" if written else "unchanged")
        + (f"; not importable: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
