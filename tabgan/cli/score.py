"""Commands that score a synthetic table: ``evaluate`` and ``audit``."""

from __future__ import annotations

import click

from tabgan.cli.options import fail_nicely, given, main
from tabgan.cli.reading import pop_reading, read_input, reading_options
from tabgan.cli.train import write_report

__all__ = ["evaluate", "audit_command"]


@main.command()
@click.argument("real", type=click.Path(exists=True, dir_okay=False))
@click.argument("synthetic", type=click.Path(exists=True, dir_okay=False))
@click.option("--holdout", type=click.Path(exists=True, dir_okay=False), default=None,
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
@reading_options
@fail_nicely
def evaluate(real, synthetic, holdout, target, positive_class, json_path, seed, quiet,
             **opts):
    """Score a SYNTHETIC table against the REAL one: fidelity, utility, privacy.

    Example:

        tabgan evaluate train.csv synthetic.csv --holdout test.csv --target income --json e.json
    """
    from tabgan.evaluate import evaluate as run_evaluation

    reading = pop_reading(opts)
    result = run_evaluation(
        read_input(real, reading, quiet),
        read_input(synthetic, reading, quiet),
        holdout=read_input(holdout, reading, quiet) if holdout else None,
        target=target,
        positive_class=positive_class,
        verbose=not quiet,
        **given(random_state=seed),
    )
    click.echo(result.summary())
    if json_path:
        result.to_json(json_path)


@main.command("audit")
@click.argument("real", type=click.Path(exists=True, dir_okay=False))
@click.argument("synthetic", type=click.Path(exists=True, dir_okay=False))
@click.option("--holdout", required=True, type=click.Path(exists=True, dir_okay=False),
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
@reading_options
@fail_nicely
def audit_command(real, synthetic, holdout, model_path, target, positive_class, metadata,
                  output, json_path, canaries, seed, quiet, **opts):
    """Write a privacy audit page of SYNTHETIC against REAL, the rows it was trained on.

    Example:

        tabgan audit train.csv syn.csv --holdout test.csv -o report.html
    """
    from tabgan.report import audit

    if canaries is not None and model_path is None:
        raise click.UsageError("--canaries needs --model: the canary audit repeats its training.")
    if json_path is not None and json_path == output:
        raise click.UsageError("-o and --json must name different files.")
    reading = pop_reading(opts)
    report = audit(
        read_input(real, reading, quiet),
        read_input(synthetic, reading, quiet),
        holdout=read_input(holdout, reading, quiet),
        model=model_path,
        target=target,
        positive_class=positive_class,
        metadata=metadata,
        canaries=canaries,
        verbose=not quiet,
        **given(random_state=seed),
    )
    write_report(report, output, json_path, quiet)
