"""What every command of the command line shares: who it acts as, how a refusal is told, and
secrets given without putting them on the command line: ``-`` as an option's value reads it
from standard input, so that it stays out of the shell's history, ``ps`` and ``make``'s
output (docs/configuration.md, "Secrets on the command line")."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from domain.errors import DomainError


@dataclass(frozen=True)
class Operator:
    """Who the command line acts as: the service's own credentials, as an administrator
    would; a use case's caller (the accounts' ``Caller``). Sign-in's ``Actor`` of it is
    ``interfaces/cli/signin.py``'s ``OPERATOR_ACTOR``."""

    user_id: str = ""
    username: str = "cli"
    role: str = "admin"
    session_id: str = ""
    user: None = None  # no account read
    acting_admin_id: None = None  # the operator acts as no one else


OPERATOR = Operator()


def fail(exc: DomainError) -> None:
    raise click.ClickException(exc.detail)


def fail_with_fields(exc: DomainError) -> None:
    """A refusal, each bad field named (``field: message``; ...)."""
    fields = getattr(exc, "errors", ())
    detail = "; ".join(f"{e.field}: {e.message}" for e in fields) if fields else exc.detail
    raise click.ClickException(detail)


# -- secrets from standard input

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
