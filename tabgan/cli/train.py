"""Commands that train: ``fit``, ``synth``, ``demo`` and ``augment``."""

from __future__ import annotations

import click

from tabgan.cli.options import (
    SOURCE,
    build_model,
    counted,
    default,
    echo,
    fail_nicely,
    fit_options,
    main,
    sink_args,
    sink_options,
    source_args,
    source_options,
    training_options,
    where,
)
from tabgan.cli.reading import pop_reading, read_input, reading_options
from tabgan.gan import distributed
from tabgan.table.declared import read_declared
from tabgan.table.io import atomic_write_text, write_table

__all__ = ["fit", "synth", "demo", "augment"]


def _fit(frame, opts: dict):
    """Fit a model on ``frame`` with the training options; under torchrun every process
    trains and only rank 0 prints."""
    distributed.init_from_env()  # under torchrun: train on every process, write on rank 0
    params, fit_args = fit_options(opts)
    if not distributed.is_writer():
        params["verbose"] = False
    model = build_model(params).fit(frame, **fit_args)
    ledger = getattr(model, "privacy_ledger_", None)
    if ledger is not None and params["verbose"]:
        click.echo(ledger.describe(), err=True)
    return model


def _read(data, opts: dict, table=None, query=None):
    """The training table, a file or a database table or query. Under --epsilon a CSV's
    column types come from --metadata (required), never from its values."""
    reading = pop_reading(opts)
    source = source_args(data, table, query)
    if opts["epsilon"] is not None:
        return read_declared(data, opts["metadata"], **source, **reading)
    return read_input(data, reading, opts["quiet"], **source)


def _rows(model, frame) -> int:
    """Rows to write by default: as many as the input has, or under DP the released
    (noisy) row count, so that the output's size does not publish the exact one."""
    ledger = getattr(model, "privacy_ledger_", None)
    return len(frame) if ledger is None else int(ledger.n_rows)


def _trained(model) -> str:
    return f"trained {counted(len(model.history_), 'epoch')} in {model.fit_seconds_:.1f} s"


@main.command()
@click.argument("data", type=SOURCE)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the model (e.g. model.tabgan).")
@source_options()
@training_options
@reading_options
@fail_nicely
def fit(data, output, table, query, **opts):
    """Train a model on DATA (CSV, Parquet, or a database URL with --table or --query) and
    save it.

    Example:

    \b
        tabgan fit data.csv -o model.tabgan --epsilon 3 --metadata metadata.json
        tabgan fit postgresql+psycopg://me@db/clinic --table patients -o model.tabgan

    With --epsilon, every column's kind, dtype and date format come from --metadata
    (required for a CSV; `tabgan metadata` drafts one), and the settings left at their
    defaults are chosen for DP.
    """
    model = _fit(_read(data, opts, table, query), opts)
    if distributed.is_writer():
        model.save(output)
    echo(opts["quiet"], f"{_trained(model)}; saved {output}")


@main.command()
@click.argument("data", type=SOURCE)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet, or a database URL.")
@click.option("-n", "--rows", "n", type=click.IntRange(min=0), default=None,
              help="Rows to generate  [default: as many as DATA has; under --epsilon, the "
                   "noisy row count the privacy ledger released]")
@click.option("--save-model", type=click.Path(dir_okay=False), default=None,
              help="Also save the trained model here.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a privacy audit page (HTML) of this run; a holdout is split "
                   "off DATA before training for it.")
@click.option("--report-json", type=click.Path(dir_okay=False), default=None,
              help="With --report: also write the audit's figures as JSON here.")
@click.option("--holdout-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.2, show_default=True,
              help="With --report: share of DATA's rows held out of training for the audit.")
@click.option("--target", default=None,
              help="With --report: column to predict in the audit's utility section.")
@click.option("--canaries", type=click.IntRange(min=2), default=None,
              help="With --report: also run the canary audit with this many canaries (one "
                   "more training run).")
@source_options()
@sink_options()
@training_options
@reading_options
@fail_nicely
def synth(data, output, n, save_model, report_path, report_json, holdout_fraction, target,
          canaries, table, query, output_table, if_exists, **opts):
    """Train on DATA and write a synthetic table of the same shape: the main job.

    Example:

    \b
        tabgan synth data.csv -o synthetic.csv --minutes 10 --report report.html
        tabgan synth sqlite:///clinic.db --table patients -o sqlite:///synthetic.db
    """
    if report_path is None and (report_json or target is not None or canaries is not None):
        raise click.UsageError("--report-json, --target and --canaries go with --report PATH.")
    sink = sink_args(output, output_table, if_exists, default_table=table)  # fail before work
    frame = _read(data, opts, table, query)
    seed, quiet = opts["random_state"], opts["quiet"]
    if report_path is not None:
        from tabgan.table.split import holdout_split

        train, holdout, split_seed = holdout_split(frame, holdout_fraction, random_state=seed)
    else:
        train = frame
    model = _fit(train, opts)
    if not distributed.is_writer():
        return
    synthetic = model.sample(_rows(model, frame) if n is None else n, random_state=seed)
    write_table(synthetic, output, **sink, metadata=model.transformer_.output_metadata())
    echo(quiet, f"{_trained(model)} on {counted(len(train), 'row')}; wrote "
                f"{counted(len(synthetic), 'row')} to {where(output, sink)}")
    if save_model:
        model.save(save_model)
    if report_path is None:
        return
    from tabgan.report import audit

    report = audit(
        train, synthetic, holdout=holdout, model=model, target=target,
        metadata=opts["metadata"], canaries=canaries,
        random_state=seed if seed is not None else 0, verbose=not quiet,
        notes=[f"The holdout, {len(holdout)} rows ({holdout_fraction:.0%} of the input), was "
               f"split off at random (seed {split_seed}) before training; the model never "
               "saw it."],
    )
    write_report(report, report_path, report_json, quiet)


def write_report(report, html_path, json_path, quiet) -> None:
    """Render both texts before writing either, each file atomically."""
    html = report.to_html()
    text = report.to_json() + "\n" if json_path else None
    atomic_write_text(html_path, html)
    if json_path:
        atomic_write_text(json_path, text)
    echo(quiet, f"wrote the audit report to {html_path}" + (f" and {json_path}" if json_path
                                                            else ""))


@main.command()
@click.option("-o", "--output", default="adult_synthetic.csv", show_default=True,
              type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet, or a database URL.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Training budget in minutes  [default: 2]")
@click.option("--seed", type=int, default=None, help="Random seed  [default: 0]")
@click.option("--device", default=default("device"), show_default=True,
              help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@sink_options(default="'adult'")
@fail_nicely
def demo(output, minutes, seed, device, quiet, output_table, if_exists):
    """Synthesize the bundled UCI Adult census table (32,561 rows, 15 columns).

    Example:

    \b
        tabgan demo -o adult_synthetic.csv --minutes 10
    """
    from tabgan.datasets import DEMO_MINUTES, DEMO_SEED, load_adult

    sink = sink_args(output, output_table, if_exists, default_table="adult")
    minutes = DEMO_MINUTES if minutes is None else minutes
    seed = DEMO_SEED if seed is None else seed
    data = load_adult()
    echo(quiet, f"training on the Adult table ({len(data)} rows) for up to {minutes:g} min")
    model = build_model({"max_minutes": minutes, "random_state": seed, "device": device,
                         "verbose": not quiet}).fit(data)
    synthetic = model.sample(len(data), random_state=seed)
    write_table(synthetic, output, **sink, metadata=model.transformer_.output_metadata())
    echo(quiet, f"{_trained(model)}; wrote {counted(len(synthetic), 'row')} to "
                f"{where(output, sink)}")


@main.command()
@click.argument("data", type=SOURCE)
@click.option("--target", required=True, help="The class column to balance.")
@click.option("--balance", is_flag=True,
              help="Add synthetic rows to every class until all match the largest.")
@click.option("--count", "counts", multiple=True, metavar="CLASS=N",
              help="Add synthetic rows until CLASS has N rows in all (repeatable; =N alone "
                   "is the null class, with --null-class).")
@click.option("--null-class", is_flag=True, default=False,
              help="Count rows whose target is empty as a class of their own (by default "
                   "they are kept, but none are added).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet, or a database URL.")
@source_options()
@sink_options()
@training_options
@reading_options
@fail_nicely
def augment(data, target, balance, counts, null_class, output, table, query, output_table,
            if_exists, **opts):
    """Write DATA's real rows plus synthetic rows of its minority classes.

    Example:

    \b
        tabgan augment data.csv --target income --balance -o augmented.csv
    """
    from tabgan.augment import augment as augment_table
    from tabgan.augment import parse_class_counts

    if balance == bool(counts):
        raise click.UsageError("give either --balance or at least one --count CLASS=N.")
    sink = sink_args(output, output_table, if_exists, default_table=table)
    wanted = parse_class_counts(counts) if counts else None
    frame = _read(data, opts, table, query)
    params, fit_args = fit_options(opts)
    model = build_model(params)
    out = augment_table(frame, target=target, counts=wanted, model=model,
                        discrete_columns=fit_args.pop("discrete_columns"),
                        metadata=fit_args.pop("metadata"), null_class=null_class,
                        fit_args=fit_args)
    write_table(out, output, **sink, metadata=model.transformer_.output_metadata())
    echo(opts["quiet"], f"wrote {counted(len(out), 'row')} ({len(out) - len(frame)} "
                        f"synthetic) to {where(output, sink)}")
