"""Commands that score a synthetic table: ``evaluate`` and ``audit``."""

from __future__ import annotations

import click

from tabgan.cli.options import SOURCE, fail_nicely, given, main, source_args, source_options
from tabgan.cli.reading import pop_reading, read_input, reading_options
from tabgan.cli.train import write_report
from tabgan.table import sql

__all__ = ["evaluate", "audit_command"]


def _sources(real, synthetic, holdout, options: dict, reading: dict, quiet: bool) -> tuple:
    """REAL, SYNTHETIC and --holdout as frames, each a file (read with the reading options)
    or a database table or query; in a database, SYNTHETIC's and --holdout's table default
    to --table."""
    def read(path, role):
        table, query = options[f"{role}table"], options[f"{role}query"]
        if role and sql.is_url(path) and table is None and query is None:
            table = options["table"]
        flags = f"--{role}table and --{role}query".replace("_", "-")
        return read_input(path, reading, quiet, **source_args(path, table, query, flags=flags))

    if holdout is None and (options["holdout_table"] or options["holdout_query"]):
        raise click.UsageError("--holdout-table and --holdout-query go with --holdout.")
    frames = read(real, ""), read(synthetic, "synthetic_")
    return (*frames, read(holdout, "holdout_") if holdout is not None else None)


@main.command()
@click.argument("real", type=SOURCE)
@click.argument("synthetic", type=SOURCE)
@click.option("--holdout", type=SOURCE, default=None,
              help="Real rows the generator never saw: enables the privacy attacks and the "
                   "holdout reference of every score.")
@click.option("--target", default=None, help="Column to predict in the utility section.")
@click.option("--positive", "positive_class", default=None,
              help="Positive class of a categorical target  [default: its rarest class]")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write every figure as JSON here.")
@click.option("--seed", type=int, default=None,
              help="Random seed  [default: the API's fixed seed, so that scores repeat]")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@source_options("REAL", ("synthetic", "holdout"))
@reading_options
@fail_nicely
def evaluate(real, synthetic, holdout, target, positive_class, json_path, seed, quiet,
             **opts):
    """Score a SYNTHETIC table against the REAL one: fidelity, utility, privacy.

    Example:

    \b
        tabgan evaluate train.csv syn.csv --holdout test.csv --target income
        tabgan evaluate sqlite:///clinic.db sqlite:///synthetic.db --table patients
    """
    from tabgan.evaluate import evaluate as run_evaluation

    real_frame, synthetic_frame, holdout_frame = _sources(real, synthetic, holdout, opts,
                                                          pop_reading(opts), quiet)
    result = run_evaluation(
        real_frame,
        synthetic_frame,
        holdout=holdout_frame,
        target=target,
        positive_class=positive_class,
        verbose=not quiet,
        **given(random_state=seed),
    )
    click.echo(result.summary())
    if json_path:
        result.to_json(json_path)


@main.command("audit")
@click.argument("real", type=SOURCE)
@click.argument("synthetic", type=SOURCE)
@click.option("--holdout", required=True, type=SOURCE,
              help="Real rows the generator never saw (split off before training).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              default=None,
              help="The model file that made SYNTHETIC: adds its privacy ledger, settings and "
                   "training time.")
@click.option("--target", default=None, help="Column to predict in the utility section.")
@click.option("--positive", "positive_class", default=None,
              help="Positive class of a categorical target  [default: its rarest class]")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON metadata: column kinds (and the public facts the model was fitted "
                   "with).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the HTML page (e.g. report.html).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the report's figures as JSON here.")
@click.option("--canaries", type=click.IntRange(min=2), default=None,
              help="Run the canary audit with this many canaries: retrains the --model's "
                   "settings on REAL plus canaries, and bounds epsilon from below.")
@click.option("--seed", type=int, default=None,
              help="Random seed  [default: the API's fixed seed, so that scores repeat]")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@source_options("REAL", ("synthetic", "holdout"))
@reading_options
@fail_nicely
def audit_command(real, synthetic, holdout, model_path, target, positive_class, metadata,
                  output, json_path, canaries, seed, quiet, **opts):
    """Write a privacy audit page of SYNTHETIC against REAL, the rows it was trained on.

    Example:

    \b
        tabgan audit train.csv syn.csv --holdout test.csv -o report.html
        tabgan audit sqlite:///clinic.db sqlite:///synthetic.db --table patients \\
            --holdout sqlite:///clinic.db --holdout-table patients_test -o report.html
    """
    from tabgan.report import audit

    if canaries is not None and model_path is None:
        raise click.UsageError("--canaries needs --model: the canary audit repeats its training.")
    if json_path is not None and json_path == output:
        raise click.UsageError("-o and --json must name different files.")
    real_frame, synthetic_frame, holdout_frame = _sources(real, synthetic, holdout, opts,
                                                          pop_reading(opts), quiet)
    report = audit(
        real_frame,
        synthetic_frame,
        holdout=holdout_frame,
        model=model_path,
        target=target,
        positive_class=positive_class,
        metadata=metadata,
        canaries=canaries,
        verbose=not quiet,
        **given(random_state=seed),
    )
    write_report(report, output, json_path, quiet)
