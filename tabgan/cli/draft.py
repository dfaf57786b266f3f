"""``tabgan metadata``: a first metadata JSON drafted from a table's values, to review."""

from __future__ import annotations

import click

from tabgan.cli.options import fail_nicely, main
from tabgan.table.declared import DRAFT_WARNING, draft_metadata
from tabgan.table.io import read_table

__all__ = ["metadata"]


@main.command("metadata")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the metadata JSON (e.g. metadata.json).")
@fail_nicely
def metadata(data, output):
    """Draft a metadata JSON (column kinds, dtypes, date formats) from DATA's values.

    The draft reads the data: review every column before using it with --epsilon, and
    add public bounds and category lists by hand.

    Example:

        tabgan metadata data.csv -o metadata.json
    """
    draft = draft_metadata(read_table(data))
    draft.to_json(output)
    click.echo(f"wrote a draft of {len(draft)} columns to {output}", err=True)
    click.echo(DRAFT_WARNING.format(data=data), err=True)
