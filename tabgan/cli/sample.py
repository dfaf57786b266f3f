"""Commands that read a saved model: ``sample`` and ``info``."""

from __future__ import annotations

import time

import click

from tabgan.cli.options import (
    LOAD_DEFAULTS,
    SAMPLE_DEFAULTS,
    counted,
    echo,
    fail_nicely,
    main,
    sink_args,
    sink_options,
    where,
)
from tabgan.synthesizer import TabGAN
from tabgan.table.conditions import parse_condition_strings
from tabgan.table.io import write_table_chunks

__all__ = ["sample", "info"]


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False))
@click.option("-n", "--rows", "n", type=click.IntRange(min=0), required=True,
              help="Number of rows to generate.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet, or a database URL.")
@click.option("--condition", "conditions", multiple=True, metavar="COLUMN=VALUE",
              help="Only rows with COLUMN equal to VALUE, or in LOW..HIGH for a numeric "
                   "column, or null for COLUMN= (repeatable; quote it in the shell: "
                   "\"income=>50K\").")
@click.option("--seed", type=int, default=None, help="Random seed for reproducible samples.")
@click.option("--batch-size", type=click.IntRange(min=1), default=SAMPLE_DEFAULTS["batch_size"],
              show_default=True,
              help="Rows generated and written at a time; memory grows with it, not with -n.")
@click.option("--max-tries", type=click.IntRange(min=1), default=SAMPLE_DEFAULTS["max_tries"],
              show_default=True,
              help="With --condition: batches drawn beyond what full acceptance needs before "
                   "giving up.")
@click.option("--sample-pool", "sample_pool", type=click.IntRange(min=1), default=None,
              help="Draw this many times the rows asked for and keep the ones that bring "
                   "the marginals onto the table's (1: keep every row drawn) [default: the "
                   "model's: 8, 1 for a DP model, unless it was fitted with another].")
@click.option("--device", default=LOAD_DEFAULTS["device"], show_default=True,
              help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="No progress bar or messages.")
@sink_options(default="'synthetic'")
@fail_nicely
def sample(model_path, n, output, conditions, seed, batch_size, max_tries, sample_pool,
           device, quiet, output_table, if_exists):
    """Generate rows from a saved MODEL.

    Example:

    \b
        tabgan sample model.tabgan -n 1000 -o rich.csv --condition "income=>50K"
        tabgan sample model.tabgan -n 10000000 -o sqlite:///synthetic.db --output-table people
    """
    sink = sink_args(output, output_table, if_exists, default_table="synthetic")
    model = TabGAN.load(model_path, device=device)
    if sample_pool is not None:
        model.set_params(sample_pool=sample_pool)
    started = time.perf_counter()
    chunks = model.iter_sample(n, parse_condition_strings(list(conditions)) or None,
                               random_state=seed, batch_size=batch_size, max_tries=max_tries)
    bar = None
    if not quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="sampling", unit="row", unit_scale=True)
    try:
        rows = write_table_chunks(chunks, output, progress=bar.update if bar else None, **sink,
                                  metadata=model.transformer_.output_metadata())
    finally:
        if bar:
            bar.close()
    seconds = time.perf_counter() - started
    echo(quiet, f"wrote {counted(rows, 'row')} to {where(output, sink)} in {seconds:.1f} s")


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False))
@fail_nicely
def info(model_path):
    """Describe a saved MODEL: columns, training, and its privacy guarantee.

    Example:

    \b
        tabgan info model.tabgan
    """
    model = TabGAN.load(model_path, device="cpu")
    click.echo(model.describe())
