"""The dataclasses' methods compiled once and kept beside the bytecode
(infrastructure/dataclass_code.py): the classes are the same with or without the kept code,
whatever the file holds; what was compiled anew is written, atomically, readable by all."""

from __future__ import annotations

import dataclasses
import itertools
import marshal
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infrastructure import dataclass_code
from infrastructure.dataclass_code import (
    HEADER,
    ROW,
    SLOTS,
    DataclassCode,
    _key,
    _Mapped,
    _write,
    install,
    uninstall,
)

pytestmark = pytest.mark.unit

# Every kind of method dataclasses writes: __init__ with defaults, factories and an InitVar
# (and __post_init__), __repr__, __eq__, order, __hash__ (frozen and unsafe), a frozen
# class's __setattr__ and __delattr__, keyword-only fields, slots.
CLASSES = """
from __future__ import annotations
from dataclasses import InitVar, dataclass, field
from typing import ClassVar

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    kind: ClassVar[str] = "point"

@dataclass(order=True, unsafe_hash=True)
class Version:
    major: int
    minor: int = field(default=0, compare=True)
    note: str = field(default="", compare=False, repr=False)

@dataclass(kw_only=True, slots=True)
class Options:
    names: list[str] = field(default_factory=list)
    limit: int = 10

@dataclass
class Scaled:
    value: float
    factor: InitVar[float] = 1.0
    scaled: float = field(init=False, default=0.0)

    def __post_init__(self, factor: float) -> None:
        self.scaled = self.value * factor
"""


@pytest.fixture(autouse=True)
def builtin_exec_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Bytecode may be written (whatever PYTHONDONTWRITEBYTECODE says here), and dataclasses
    has the builtin exec again after each test."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield
    uninstall()


def make_classes() -> dict[str, Any]:
    """The classes, made in a module of their own (dataclasses looks it up by name)."""
    module = ModuleType(f"made_here_{next(MODULES)}")
    sys.modules[module.__name__] = module
    try:
        exec(CLASSES, vars(module))  # noqa: S102 - the test's own classes
    finally:
        del sys.modules[module.__name__]
    return vars(module)


MODULES = itertools.count()


def behaviour(made: dict[str, Any]) -> list[object]:
    """What each method of the made classes does."""
    point, version, options, scaled = (
        made["Point"],
        made["Version"],
        made["Options"],
        made["Scaled"],
    )
    p = point(1, tags=("a",))
    seen: list[object] = [repr(p), p == point(1, 0, ("a",)), hash(p) == hash(point(1, 0, ("a",)))]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.y
    v1, v2 = version(1, 2, note="x"), version(1, 3)
    seen += [repr(v1), v1 < v2, v1 == version(1, 2, note="y"), hash(v1) == hash(version(1, 2))]
    o = options(limit=3)
    seen += [repr(o), o.names is not options().names, not hasattr(o, "__dict__")]
    with pytest.raises(TypeError):
        options([], 3)  # keyword-only
    s = scaled(2.0, 3.0)
    seen += [repr(s), s.scaled, dataclasses.replace(s, value=1.0, factor=2.0).scaled]
    seen += [[f.name for f in dataclasses.fields(cls)] for cls in (point, version, options)]
    return seen


def method_codes(made: dict[str, Any]) -> list[bytes]:
    return [
        member.__code__.co_code
        for name in ("Point", "Version", "Options", "Scaled")
        for member in vars(made[name]).values()
        if callable(member) and hasattr(member, "__code__")
    ]


def test_the_classes_are_the_same_with_the_kept_code_as_without(tmp_path: Path) -> None:
    plain = make_classes()
    path = tmp_path / "code.marshal"
    fresh = install(path)
    compiled = make_classes()
    assert fresh.compiled >= 10  # it did stand in for exec
    assert fresh.save()
    uninstall()
    kept = install(path)
    from_file = make_classes()
    assert kept.compiled == 0  # every method came from the file
    assert behaviour(plain) == behaviour(compiled) == behaviour(from_file)
    assert method_codes(plain) == method_codes(compiled) == method_codes(from_file)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a marshal file",
        HEADER,
        HEADER + b"\x00garbage",
        HEADER + SLOTS.pack(3),  # a table longer than the file
        HEADER + SLOTS.pack(1) + ROW.pack(b"k" * 16, 10**6, 10),  # code past the end
    ],
    ids=["empty", "text", "header-only", "cut", "cut-table", "row-past-the-end"],
)
def test_a_file_it_cannot_use_is_not_used(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "code.marshal"
    path.write_bytes(content)
    code = install(path)
    made = make_classes()
    assert code.compiled >= 10
    assert behaviour(made) == behaviour(make_classes())


def test_another_pythons_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "code.marshal"
    install(path)
    make_classes()
    install(path).save()
    uninstall()
    # Every text's code made to define methods that answer None: were it run, no class
    # would work.
    wrong = compile("def __create_fn__(**_):\n return lambda *a, **k: None", "<s>", "exec")
    texts = written(path)
    _write(path, dict.fromkeys(texts, marshal.dumps(wrong)))
    other = b"\x00\x00\r\n" + HEADER[4:]  # another bytecode version
    path.write_bytes(other + path.read_bytes()[len(other) :])
    code = install(path)
    assert behaviour(make_classes()) == behaviour(make_classes())
    assert code.compiled >= 10
    uninstall()
    _write(path, dict.fromkeys(texts, marshal.dumps(wrong)))
    install(path)
    with pytest.raises(Exception):  # noqa: B017, PT011 - this Python's file is read
        behaviour(make_classes())


@pytest.mark.parametrize("kept", [b"garbage", marshal.dumps(42), b""], ids=repr)
def test_an_entry_that_is_no_code_is_compiled_again(tmp_path: Path, kept: bytes) -> None:
    path = tmp_path / "code.marshal"
    install(path)
    make_classes()
    install(path).save()
    uninstall()
    texts = written(path)
    _write(path, dict.fromkeys(texts, kept))
    code = install(path)
    assert behaviour(make_classes()) == behaviour(make_classes())
    assert code.compiled == len(texts)


def test_a_save_writes_what_was_compiled_anew_readable_by_all(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "code.marshal"
    code = install(path)
    assert not code.save()  # nothing compiled yet: nothing written
    assert not path.exists()
    make_classes()
    assert code.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_bytes().startswith(HEADER)
    assert [p.name for p in path.parent.iterdir()] == ["code.marshal"]  # no temporary left
    assert not code.save()  # nothing new since


def test_nothing_is_written_where_bytecode_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "code.marshal"
    code = install(path)
    made = make_classes()
    assert not code.save() and not path.exists()
    assert code.compiled == 0  # with no file to read, the builtin exec's own work
    assert behaviour(made) == behaviour(make_classes())
    uninstall()
    code = install(path, writes=True)  # the image's build step
    make_classes()
    assert code.save() and path.exists()


def test_a_directory_it_cannot_write_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = install(blocker / "code.marshal")  # its directory is a file
    make_classes()
    assert not code.save()
    assert code.compiled >= 10  # kept, for a later save


def test_install_is_once_per_process_and_close_gives_exec_back(tmp_path: Path) -> None:
    path = tmp_path / "code.marshal"
    code = install(path)
    assert install(tmp_path / "other.marshal") is code
    make_classes()
    code.close()
    assert path.exists()  # close saved first
    assert "exec" not in vars(dataclasses)
    compiled = code.compiled
    made = make_classes()  # the builtin exec again
    assert code.compiled == compiled
    assert behaviour(made) == behaviour(make_classes())


def test_past_its_bound_a_save_keeps_only_what_the_process_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "code.marshal"
    stale = {bytes([n]) * 16: marshal.dumps(compile(str(n), "<s>", "eval")) for n in range(40)}
    _write(path, stale)
    monkeypatch.setattr(dataclass_code, "MAX_ENTRIES", 30)
    code = install(path)
    make_classes()
    assert code.save()
    kept = written(path)
    assert not set(kept) & set(stale) and len(kept) == code_count(tmp_path)


def written(path: Path) -> dict[bytes, bytes]:
    """What a save wrote: each text's digest and its code, marshalled."""
    mapped = _Mapped(path)
    try:
        return dict(mapped.items())
    finally:
        mapped.close()


def code_count(tmp_path: Path) -> int:
    """How many texts the test's classes make dataclasses compile."""
    uninstall()
    counting = install(tmp_path / "count.marshal")
    make_classes()
    return counting.compiled


def test_classes_made_on_many_threads_at_once_are_all_right(tmp_path: Path) -> None:
    code: DataclassCode = install(tmp_path / "code.marshal")
    expected = behaviour(make_classes())
    results: list[object] = []
    start = threading.Barrier(30)

    def make() -> None:
        start.wait()
        results.append(behaviour(make_classes()))

    threads = [threading.Thread(target=make) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [expected] * 30
    assert code.save()


def test_the_mapped_table_finds_every_entry_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "code.marshal"
    entries = {_key(str(n)): f"code {n}".encode() for n in range(1_000)}
    entries[bytes(8) + b"collides"] = b"a first row shared"  # these two share their first row
    entries[bytes(8) + b"collide2"] = b"the row after it"
    _write(path, entries)
    mapped = _Mapped(path)
    assert all(mapped.get(key) == code for key, code in entries.items())
    assert mapped.get(b"\xff" * 16) is None and mapped.get(b"\x00" * 15 + b"\x01") is None
    assert dict(mapped.items()) == entries
    mapped.close()
    assert mapped.get(next(iter(entries))) is None and mapped.items() == []
