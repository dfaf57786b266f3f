"""What the commands share: the ``tabgan`` group, the training options, the error
conversion, and the defaults, every one read from the Python API."""

from __future__ import annotations

import functools
import inspect

import click

from tabgan.errors import TabGANError
from tabgan.synthesizer import TabGAN

__all__ = [
    "main",
    "default",
    "SAMPLE_DEFAULTS",
    "LOAD_DEFAULTS",
    "fail_nicely",
    "training_options",
    "build_model",
    "fit_options",
    "given",
    "echo",
]

_PARAMS = inspect.signature(TabGAN).parameters


def _defaults(func) -> dict:
    return {name: p.default for name, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


SAMPLE_DEFAULTS = _defaults(TabGAN.iter_sample)
LOAD_DEFAULTS = _defaults(TabGAN.load)


def default(name: str):
    """The default of ``TabGAN``'s parameter ``name``."""
    return _PARAMS[name].default


def fail_nicely(func):
    """Turn tabgan's own errors, a user's mistakes, into one-line click errors. Anything
    else is a bug of ours and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except TabGANError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tabgan")
def main() -> None:
    """tabgan: synthetic tables from a conditional tabular GAN.

    Example:

        tabgan synth data.csv -o synthetic.csv
    """


# Each training option is one argument of TabGAN (or of TabGAN.fit), with its default.
_TRAINING_OPTIONS = [
    click.option("--epochs", type=click.IntRange(min=1), default=default("epochs"),
                 show_default=True,
                 help="Passes over the table (under --epsilon, chosen from n when left at "
                      "the default)."),
    click.option("--batch-size", type=click.IntRange(min=1), default=default("batch_size"),
                 show_default=True,
                 help="Rows per training step (a multiple of pac; under --epsilon the "
                      "expected Poisson batch, chosen from n when left at the default)."),
    click.option("--minutes", "max_minutes", type=click.FloatRange(min=0, min_open=True),
                 default=default("max_minutes"),
                 help="Stop training after this many minutes (checked every epoch)."),
    click.option("--discrete", "discrete", multiple=True, metavar="COLUMN",
                 help="Treat COLUMN as categorical (repeatable)."),
    click.option("--metadata", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="JSON file of column kinds, bounds and categories (required for a "
                      "CSV under --epsilon; `tabgan metadata` drafts one)."),
    click.option("--epsilon", type=click.FloatRange(min=0, min_open=True),
                 default=default("epsilon"),
                 help="Train with differential privacy at this epsilon (covers "
                      "preprocessing and training). A CSV then needs --metadata; settings "
                      "left at their defaults are chosen for DP."),
    click.option("--delta", type=click.FloatRange(min=0, min_open=True), default=default("delta"),
                 help="DP delta  [default: min(1e-6, 1/(10 n)) for the noisy row count n]"),
    click.option("--max-categories", type=click.IntRange(min=2),
                 default=default("max_categories"),
                 help="Keep at most this many slots per categorical column: the most "
                      "frequent categories, the rest pooled in one (for ID-like columns)."),
    click.option("--device", default=default("device"), show_default=True,
                 help="auto, cpu, cuda or cuda:N."),
    click.option("--bf16", "bf16_autocast", is_flag=True, default=default("bf16_autocast"),
                 help="CUDA only: bfloat16 autocast in the training step."),
    click.option("--compile", "torch_compile", is_flag=True, default=default("torch_compile"),
                 help="CUDA only: torch.compile the generator."),
    click.option("--cuda-graphs", "cuda_graphs", is_flag=True, default=default("cuda_graphs"),
                 help="CUDA only: CUDA graphs for the generator (torch.compile's "
                      "reduce-overhead mode)."),
    click.option("--seed", "random_state", type=int, default=default("random_state"),
                 help="Random seed for reproducible runs."),
    click.option("--quiet", is_flag=True, help="No progress bar."),
]


def training_options(func):
    """The options of every command that trains a model."""
    for option in reversed(_TRAINING_OPTIONS):
        func = option(func)
    return func


def fit_options(opts: dict) -> tuple[dict, dict]:
    """Split the training options into ``TabGAN``'s parameters and ``fit``'s arguments."""
    opts = dict(opts)
    discrete, metadata, quiet = opts.pop("discrete"), opts.pop("metadata"), opts.pop("quiet")
    opts["verbose"] = not quiet
    return opts, {"discrete_columns": list(discrete) or None, "metadata": metadata}


def build_model(params: dict) -> TabGAN:
    return TabGAN(**params)


def given(**options) -> dict:
    """The options the user gave (not None): the API's defaults stand for the others."""
    return {k: v for k, v in options.items() if v is not None}


def echo(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)
