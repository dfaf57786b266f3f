"""The ``tabgan`` command line: thin click commands over the Python API.

Each command builds the library objects, calls one method, and turns tabgan's typed errors
into a one-line message that names the fix. Defaults come from ``TabGAN``'s constructor.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time

import click

from tabgan.errors import TabGANError

_PARAMS = inspect.signature(__import__("tabgan.synthesizer", fromlist=["TabGAN"]).TabGAN).parameters


def _default(name: str):
    return _PARAMS[name].default


def _fail_nicely(func):
    """Turn tabgan's own errors (and bad values) into click errors: no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (TabGANError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _training_options(func):
    """Options shared by every command that trains a model."""
    options = [
        click.option("--epochs", type=click.IntRange(min=1), default=_default("epochs"),
                     show_default=True, help="Passes over the table."),
        click.option("--batch-size", type=click.IntRange(min=1), default=_default("batch_size"),
                     show_default=True, help="Rows per training step (a multiple of pac)."),
        click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Stop training after this many minutes (checked every epoch)."),
        click.option("--discrete", "discrete", multiple=True, metavar="COLUMN",
                     help="Treat COLUMN as categorical (repeatable)."),
        click.option("--metadata", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="JSON file of column kinds, bounds and categories."),
        click.option("--epsilon", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Train with differential privacy at this epsilon (covers "
                          "preprocessing and training)."),
        click.option("--delta", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="DP delta  [default: 1/n^1.1 for n rows]"),
        click.option("--max-categories", type=click.IntRange(min=2), default=None,
                     help="Keep at most this many slots per categorical column: the most "
                          "frequent categories, the rest pooled in one (for ID-like columns)."),
        click.option("--device", default=_default("device"), show_default=True,
                     help="auto, cpu, cuda or cuda:N."),
        click.option("--bf16", "bf16_autocast", is_flag=True,
                     help="CUDA only: bfloat16 autocast in the training step."),
        click.option("--compile", "torch_compile", is_flag=True,
                     help="CUDA only: torch.compile the generator."),
        click.option("--cuda-graphs", "cuda_graphs", is_flag=True,
                     help="CUDA only: CUDA graphs for the generator (torch.compile's "
                          "reduce-overhead mode)."),
        click.option("--seed", type=int, default=None, help="Random seed for reproducible runs."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _build_model(epochs, batch_size, minutes, epsilon, delta, max_categories, device, seed,
                 quiet, bf16_autocast=False, torch_compile=False, cuda_graphs=False):
    from tabgan.synthesizer import TabGAN

    return TabGAN(
        bf16_autocast=bf16_autocast,
        torch_compile=torch_compile,
        cuda_graphs=cuda_graphs,
        epochs=epochs,
        batch_size=batch_size,
        max_minutes=minutes,
        epsilon=epsilon,
        delta=delta,
        max_categories=max_categories,
        device=device,
        random_state=seed,
        verbose=not quiet,
    )


def _fit_model(data, opts: dict):
    """Read DATA (a path or a frame) and fit a model with the shared training options."""
    from tabgan import distributed
    from tabgan.io import read_table

    distributed.init_from_env()  # under torchrun: train on every process, write on rank 0
    frame = data if hasattr(data, "columns") else read_table(data)
    discrete, metadata = opts.pop("discrete"), opts.pop("metadata")
    if distributed.rank() != 0:
        opts["quiet"] = True
    model = _build_model(**opts)
    model.fit(frame, discrete_columns=list(discrete) or None, metadata=metadata)
    ledger = getattr(model, "privacy_ledger_", None)
    if ledger is not None and not opts["quiet"]:
        click.echo(ledger.describe(), err=True)
    return frame, model


def _check_output(path: str) -> None:
    """Fail before any work when the output's format cannot be told from its name."""
    from tabgan.io import table_format

    table_format(path)


def _echo(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tabgan")
def main() -> None:
    """tabgan: synthetic tables from a conditional tabular GAN.

    Example:

        tabgan synth data.csv -o synthetic.csv
    """


@main.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the model (e.g. model.tabgan).")
@_training_options
@_fail_nicely
def fit(data, output, **opts):
    """Train a model on DATA (CSV or Parquet) and save it.

    Example:

        tabgan fit data.csv -o model.tabgan --epochs 300 --epsilon 3
    """
    from tabgan import distributed

    _, model = _fit_model(data, opts)
    if distributed.rank() == 0:
        model.save(output)
    _echo(opts["quiet"], f"trained {len(model.history_)} epochs in {model.fit_seconds_:.1f} s; "
                         f"saved {output}")


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False))
@click.option("-n", "--rows", "n", type=click.IntRange(min=0), required=True,
              help="Number of rows to generate.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet.")
@click.option("--condition", "conditions", multiple=True, metavar="COLUMN=VALUE",
              help="Only rows with COLUMN equal to VALUE, or in LOW..HIGH for a numeric "
                   "column (repeatable).")
@click.option("--seed", type=int, default=None, help="Random seed for reproducible samples.")
@click.option("--batch-size", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="Rows generated and written at a time; memory grows with it, not with -n.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="No progress bar or messages.")
@_fail_nicely
def sample(model_path, n, output, conditions, seed, batch_size, device, quiet):
    """Generate rows from a saved MODEL.

    Example:

        tabgan sample model.tabgan -n 100000 -o synthetic.csv --condition income=>50K
    """
    from tabgan.conditions import parse_condition_strings
    from tabgan.io import write_table_chunks
    from tabgan.synthesizer import TabGAN

    _check_output(output)
    model = TabGAN.load(model_path, device=device)
    started = time.perf_counter()
    chunks = model.iter_sample(n, parse_condition_strings(list(conditions)) or None,
                               random_state=seed, batch_size=batch_size)
    bar = None
    if not quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="sampling", unit="row", unit_scale=True)
    try:
        rows = write_table_chunks(chunks, output, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    _echo(quiet, f"wrote {rows} rows to {output} in {time.perf_counter() - started:.1f} s")


@main.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet.")
@click.option("-n", "--rows", "n", type=click.IntRange(min=0), default=None,
              help="Rows to generate  [default: as many as DATA has]")
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
@_training_options
@_fail_nicely
def synth(data, output, n, save_model, report_path, report_json, holdout_fraction, target,
          canaries, **opts):
    """Train on DATA and write a synthetic table of the same shape: the main job.

    Example:

        tabgan synth data.csv -o synthetic.csv --minutes 10 --report report.html
    """
    _check_output(output)
    if report_path is not None:
        _synth_with_report(data, output, n, save_model, opts, report_path=report_path,
                           report_json=report_json, holdout_fraction=holdout_fraction,
                           target=target, canaries=canaries)
        return
    if report_json or target is not None or canaries is not None:
        raise click.UsageError("--report-json, --target and --canaries go with --report PATH.")
    frame, model = _fit_model(data, opts)
    _write_sample(model, len(frame) if n is None else n, output, opts["seed"], opts["quiet"])
    if save_model and _is_writer():
        model.save(save_model)


def _synth_with_report(data, output, n, save_model, opts, *, report_path, report_json,
                       holdout_fraction, target, canaries):
    """``synth`` that splits a holdout off first, trains on the rest, and audits the run."""
    import numpy as np

    from tabgan.io import read_table, write_table
    from tabgan.report import audit

    frame = read_table(data)
    n_holdout = int(round(holdout_fraction * len(frame)))
    if not 1 <= n_holdout < len(frame):
        raise click.UsageError(
            f"--holdout-fraction {holdout_fraction:g} of {len(frame)} rows leaves no holdout or "
            "no training rows; give a table with more rows or another fraction."
        )
    seed = opts["seed"]
    split_seed = seed if seed is not None else int(np.random.default_rng().integers(2**31))
    order = np.random.default_rng(split_seed).permutation(len(frame))
    holdout = frame.iloc[np.sort(order[:n_holdout])].reset_index(drop=True)
    train = frame.iloc[np.sort(order[n_holdout:])].reset_index(drop=True)
    metadata, quiet = opts["metadata"], opts["quiet"]
    _, model = _fit_model(train, opts)
    if not _is_writer():
        return
    synthetic = model.sample(len(frame) if n is None else n, random_state=seed)
    write_table(synthetic, output)
    _echo(quiet, f"trained {len(model.history_)} epochs on {len(train)} rows in "
                 f"{model.fit_seconds_:.1f} s; wrote {len(synthetic)} rows to {output}")
    if save_model:
        model.save(save_model)
    report = audit(
        train, synthetic, holdout=holdout, model=model, target=target, metadata=metadata,
        canaries=canaries, random_state=seed if seed is not None else 0, verbose=not quiet,
        notes=[f"The holdout, {n_holdout} rows ({holdout_fraction:.0%} of the input), was "
               f"split off at random (seed {split_seed}) before training; the model never "
               "saw it."],
    )
    _write_report(report, report_path, report_json, quiet)


def _write_report(report, html_path, json_path, quiet) -> None:
    """Render both texts before writing either, each file atomically."""
    from tabgan.io import atomic_write_text

    html = report.to_html()
    text = report.to_json() + "\n" if json_path else None
    atomic_write_text(html_path, html)
    if json_path:
        atomic_write_text(json_path, text)
    _echo(quiet, f"wrote the audit report to {html_path}" + (f" and {json_path}" if json_path
                                                             else ""))


def _is_writer() -> bool:
    """Whether this process writes files: always, except on ranks other than 0 of a
    distributed run."""
    from tabgan import distributed

    return distributed.rank() == 0


def _write_sample(model, n, output, seed, quiet):
    from tabgan import distributed
    from tabgan.io import write_table

    if distributed.rank() != 0:
        return
    synthetic = model.sample(n, random_state=seed)
    write_table(synthetic, output)
    _echo(quiet, f"trained {len(model.history_)} epochs in {model.fit_seconds_:.1f} s; "
                 f"wrote {len(synthetic)} rows to {output}")


@main.command()
@click.option("-o", "--output", default="adult_synthetic.csv", show_default=True,
              type=click.Path(dir_okay=False), help="Output file, .csv or .parquet.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=2.0,
              show_default=True, help="Training budget in minutes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--device", default=_default("device"), show_default=True,
              help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_fail_nicely
def demo(output, minutes, seed, device, quiet):
    """Synthesize the bundled UCI Adult census table (32,561 rows, 15 columns).

    Example:

        tabgan demo -o adult_synthetic.csv --minutes 10
    """
    from tabgan.datasets import load_adult

    _check_output(output)
    data = load_adult()
    _echo(quiet, f"training on the Adult table ({len(data)} rows) for up to {minutes:g} min")
    opts = dict(epochs=_default("epochs"), batch_size=_default("batch_size"), minutes=minutes,
                discrete=(), metadata=None, epsilon=None, delta=None, max_categories=None,
                device=device, seed=seed, quiet=quiet)
    _, model = _fit_model(data, opts)
    _write_sample(model, len(data), output, seed, quiet)


@main.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", required=True, help="The class column to balance.")
@click.option("--balance", is_flag=True,
              help="Add synthetic rows to every class until all match the largest.")
@click.option("--count", "counts", multiple=True, metavar="CLASS=N",
              help="Add synthetic rows until CLASS has N rows in all (repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet.")
@_training_options
@_fail_nicely
def augment(data, target, balance, counts, output, **opts):
    """Write DATA's real rows plus synthetic rows of its minority classes.

    Example:

        tabgan augment data.csv --target income --balance -o augmented.csv
    """
    from tabgan.augment import augment as augment_table
    from tabgan.io import read_table, write_table

    _check_output(output)
    if balance == bool(counts):
        raise click.UsageError("give either --balance or at least one --count CLASS=N.")
    wanted = None
    if counts:
        wanted = {}
        for item in counts:
            cls, sep, number = item.rpartition("=")
            if not sep or not number.isdigit():
                raise click.UsageError(f"--count {item!r} is not CLASS=N.")
            wanted[cls] = int(number)
    frame = read_table(data)
    discrete, metadata = opts.pop("discrete"), opts.pop("metadata")
    model = _build_model(**opts)
    out = augment_table(frame, target=target, counts=wanted, model=model,
                        discrete_columns=list(discrete) or None, metadata=metadata)
    write_table(out, output)
    _echo(opts["quiet"], f"wrote {len(out)} rows ({len(out) - len(frame)} synthetic) to {output}")


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
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@_fail_nicely
def evaluate(real, synthetic, holdout, target, positive_class, json_path, seed, quiet):
    """Score a SYNTHETIC table against the REAL one: fidelity, utility, privacy.

    Example:

        tabgan evaluate train.csv synthetic.csv --holdout test.csv --target income --json e.json
    """
    from tabgan.evaluate import evaluate as run_evaluation
    from tabgan.io import read_table

    result = run_evaluation(
        read_table(real),
        read_table(synthetic),
        holdout=read_table(holdout) if holdout else None,
        target=target,
        positive_class=positive_class,
        random_state=seed,
        verbose=not quiet,
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
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@_fail_nicely
def audit_command(real, synthetic, holdout, model_path, target, positive_class, metadata,
                  output, json_path, canaries, seed, quiet):
    """Write a privacy audit page of SYNTHETIC against REAL, the rows it was trained on.

    Example:

        tabgan audit train.csv syn.csv --holdout test.csv -o report.html
    """
    from tabgan.io import read_table
    from tabgan.report import audit

    if canaries is not None and model_path is None:
        raise click.UsageError("--canaries needs --model: the canary audit repeats its training.")
    if json_path is not None and json_path == output:
        raise click.UsageError("-o and --json must name different files.")
    report = audit(
        read_table(real),
        read_table(synthetic),
        holdout=read_table(holdout),
        model=model_path,
        target=target,
        positive_class=positive_class,
        metadata=metadata,
        canaries=canaries,
        random_state=seed,
        verbose=not quiet,
    )
    _write_report(report, output, json_path, quiet)


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False))
@_fail_nicely
def info(model_path):
    """Describe a saved MODEL: columns, training, and its privacy guarantee.

    Example:

        tabgan info model.tabgan
    """
    from tabgan.synthesizer import TabGAN

    model = TabGAN.load(model_path, device="cpu")
    click.echo(model.describe())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

