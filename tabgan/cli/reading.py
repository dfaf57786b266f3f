"""The options of every command that reads a table file, each an argument of
:func:`tabgan.table.io.read_table` with its default."""

from __future__ import annotations

import inspect

import click

from tabgan.table.io import read_table

__all__ = ["READING_OPTIONS", "reading_options", "pop_reading", "read_input"]

_READ = inspect.signature(read_table).parameters

READING_OPTIONS = ("sep", "decimal", "encoding", "na_values")

_OPTIONS = [
    click.option("--sep", default=_READ["sep"].default, metavar="CHAR",
                 help="CSV field separator: ',', ';', tab ('\\t') or '|'  "
                      "[default: detected from the file]"),
    click.option("--decimal", type=click.Choice([".", ","]), default=_READ["decimal"].default,
                 help="CSV decimal mark  [default: detected: ',' in files such as '3,5;7' "
                      "separated by ';', else '.']"),
    click.option("--encoding", default=_READ["encoding"].default,
                 help="Text encoding of CSV files, e.g. utf-8, latin-1, cp1252  [default: "
                      "detected: UTF-8, else cp1252]"),
    click.option("--na-values", "na_values", multiple=True, metavar="TOKEN",
                 help="A string read as null in every column (repeatable, or a comma-"
                      "separated list; '' for empty fields only)  [default: NA, N/A, null, "
                      "NaN, ... everywhere, and ?, -, unknown, ... in columns of numbers or "
                      "dates]"),
]


def reading_options(func):
    """The options of every command that reads a table file."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def pop_reading(opts: dict) -> dict:
    """Take the reading options out of a command's options, as ``read_table``'s
    arguments (``--na-values`` given as ``a,b`` or repeated)."""
    reading = {name: opts.pop(name) for name in READING_OPTIONS}
    tokens = reading["na_values"]
    if tokens:
        reading["na_values"] = [t for token in tokens for t in token.split(",")]
    else:
        reading["na_values"] = _READ["na_values"].default
    return reading


def read_input(path, reading: dict, quiet: bool, **source):
    """Read one input table, a file or (with ``source``'s ``table`` or ``query``) a
    database, saying on stderr what was detected in a file unless ``quiet``."""
    return read_table(path, **source, **reading, verbose=not quiet)
