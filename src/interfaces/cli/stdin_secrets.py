"""Secrets given to the command line without putting them on it: ``-`` as an option's value
reads it from standard input, so that it stays out of the shell's history, ``ps`` and
``make``'s output (docs/configuration.md, "Secrets on the command line")."""

from __future__ import annotations

import sys

import click

STDIN = "-"


def one_reader_of_stdin(readers: list[str]) -> None:
    """UsageError when more than one of the command's options reads standard input."""
    if len(readers) > 1:
        raise click.UsageError(
            f"Only one option can read standard input ('-'); {' and '.join(readers)} both "
            "ask for it. Give the others their values (or the file) another way."
        )


def secret_from_stdin(name: str, *, keep_spaces: bool = False) -> str:
    """A secret read from standard input: at a terminal asked for without echo (one line);
    else everything piped in, without its final line break (``keep_spaces``: a password,
    whose other spaces are its own) or without the spaces around it (a key, which a PEM
    file's lines may make)."""
    if sys.stdin.isatty():
        text: str = click.prompt(name, hide_input=True, err=True)
    else:
        text = sys.stdin.read()
    text = text.removesuffix("\n").removesuffix("\r") if keep_spaces else text.strip()
    if not text:
        raise click.UsageError(f"{name}: standard input gave nothing.")
    return text
