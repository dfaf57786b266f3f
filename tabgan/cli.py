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
        click.option("--device", default=_default("device"), show_default=True,
                     help="auto, cpu, cuda or cuda:N."),
        click.option("--seed", type=int, default=None, help="Random seed for reproducible runs."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _fit_model(data_path, epochs, batch_size, minutes, discrete, metadata, device, seed, quiet):
    from tabgan.io import read_table
    from tabgan.synthesizer import TabGAN

    data = read_table(data_path) if not hasattr(data_path, "columns") else data_path
    model = TabGAN(
        epochs=epochs,
        batch_size=batch_size,
        max_minutes=minutes,
        device=device,
        random_state=seed,
        verbose=not quiet,
    )
    model.fit(data, discrete_columns=list(discrete) or None, metadata=metadata)
    return data, model


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
def fit(data, output, epochs, batch_size, minutes, discrete, metadata, device, seed, quiet):
    """Train a model on DATA (CSV or Parquet) and save it.

    Example:

        tabgan fit data.csv -o model.tabgan --epochs 300
    """
    _, model = _fit_model(data, epochs, batch_size, minutes, discrete, metadata, device, seed,
                          quiet)
    model.save(output)
    _echo(quiet, f"trained {len(model.history_)} epochs in {model.fit_seconds_:.1f} s; "
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
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--quiet", is_flag=True, help="No messages.")
@_fail_nicely
def sample(model_path, n, output, conditions, seed, device, quiet):
    """Generate rows from a saved MODEL.

    Example:

        tabgan sample model.tabgan -n 100000 -o synthetic.csv --condition income=>50K
    """
    from tabgan.conditions import parse_condition_strings
    from tabgan.io import write_table
    from tabgan.synthesizer import TabGAN

    _check_output(output)
    model = TabGAN.load(model_path, device=device)
    started = time.perf_counter()
    frame = model.sample(n, parse_condition_strings(list(conditions)) or None, random_state=seed)
    write_table(frame, output)
    _echo(quiet, f"wrote {len(frame)} rows to {output} in {time.perf_counter() - started:.1f} s")


@main.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file, .csv or .parquet.")
@click.option("-n", "--rows", "n", type=click.IntRange(min=0), default=None,
              help="Rows to generate  [default: as many as DATA has]")
@click.option("--save-model", type=click.Path(dir_okay=False), default=None,
              help="Also save the trained model here.")
@_training_options
@_fail_nicely
def synth(data, output, n, save_model, epochs, batch_size, minutes, discrete, metadata, device,
          seed, quiet):
    """Train on DATA and write a synthetic table of the same shape: the main job.

    Example:

        tabgan synth data.csv -o synthetic.csv --minutes 10
    """
    _check_output(output)
    frame, model = _fit_model(data, epochs, batch_size, minutes, discrete, metadata, device,
                              seed, quiet)
    _write_sample(model, len(frame) if n is None else n, output, seed, quiet)
    if save_model:
        model.save(save_model)


def _write_sample(model, n, output, seed, quiet):
    from tabgan.io import write_table

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
    _, model = _fit_model(data, _default("epochs"), _default("batch_size"), minutes, (), None,
                          device, seed, quiet)
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
def augment(data, target, balance, counts, output, epochs, batch_size, minutes, discrete,
            metadata, device, seed, quiet):
    """Write DATA's real rows plus synthetic rows of its minority classes.

    Example:

        tabgan augment data.csv --target income --balance -o augmented.csv
    """
    from tabgan.augment import augment as augment_table
    from tabgan.io import read_table, write_table
    from tabgan.synthesizer import TabGAN

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
    model = TabGAN(epochs=epochs, batch_size=batch_size, max_minutes=minutes, device=device,
                   random_state=seed, verbose=not quiet)
    out = augment_table(frame, target=target, counts=wanted, model=model,
                        discrete_columns=list(discrete) or None, metadata=metadata)
    write_table(out, output)
    _echo(quiet, f"wrote {len(out)} rows ({len(out) - len(frame)} synthetic) to {output}")


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

