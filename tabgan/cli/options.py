"""What the commands share: the ``tabgan`` group, the training options, the error
conversion, and the defaults, every one read from the Python API."""

from __future__ import annotations

import functools
import inspect
import os
import warnings

import click

from tabgan.callbacks import EarlyStopping
from tabgan.errors import TabGANError, TabGANWarning
from tabgan.synthesizer import TabGAN
from tabgan.table import sql
from tabgan.table.io import table_format, write_table

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
    "counted",
    "SOURCE",
    "source_options",
    "source_args",
    "sink_options",
    "sink_args",
    "where",
]

_PARAMS = inspect.signature(TabGAN).parameters


def _defaults(func) -> dict:
    return {name: p.default for name, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


SAMPLE_DEFAULTS = _defaults(TabGAN.iter_sample)
FIT_DEFAULTS = _defaults(TabGAN.fit)
_CHECK_EVERY = _defaults(EarlyStopping)["every"]
LOAD_DEFAULTS = _defaults(TabGAN.load)


def default(name: str):
    """The default of ``TabGAN``'s parameter ``name``."""
    return _PARAMS[name].default


def fail_nicely(func):
    """Turn tabgan's own errors, a user's mistakes, into one-line click errors (in the
    command line's terms, see ``TabGANError.cli``), and warnings into one-line notes.
    Anything else is a bug of ours and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning(warnings.showwarning)
            try:
                return func(*args, **kwargs)
            except TabGANError as exc:
                raise click.ClickException(exc.command_line_message()) from exc

    return wrapper


def _show_warning(show):
    """tabgan's own warnings as one line on stderr, like the errors (no source path or
    line); others as Python shows them."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def one_line(message, category, filename, lineno, file=None, line=None):
        ours = issubclass(category, TabGANWarning) or os.path.abspath(
            filename).startswith(package)
        if ours:
            click.echo(f"Warning: {message}", err=True)
        else:
            show(message, category, filename, lineno, file, line)

    return one_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tabgan")
def main() -> None:
    """tabgan: synthetic tables from a conditional tabular GAN.

    Example:

    \b
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
                 help="Rows per training step: a multiple of pac (10); another number is "
                      "rounded down to one, with a warning (under --epsilon the expected "
                      "Poisson batch, chosen from n when left at the default)."),
    click.option("--minutes", "max_minutes", type=click.FloatRange(min=0, min_open=True),
                 default=default("max_minutes"),
                 help="Stop training after this many minutes (checked after every step)."),
    click.option("--sample-pool", "sample_pool", type=click.IntRange(min=1),
                 default=default("sample_pool"),
                 help="Sampling draws this many times the rows asked for and keeps the ones "
                      "that bring the sample's one- and two-way marginals onto the table's "
                      "(1: keep every row drawn). Stored with the model. [default: 8; 1 "
                      "under --epsilon]"),
    click.option("--discrete", "discrete", multiple=True, metavar="COLUMN",
                 help="Treat COLUMN as categorical (repeatable)."),
    click.option("--metadata", type=click.Path(exists=True, dir_okay=False), default=None,
                 help="JSON file of column kinds, bounds, categories and constraints "
                      "(required for a CSV under --epsilon; `tabgan metadata` drafts one)."),
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
    click.option("--checkpoint-dir", type=click.Path(file_okay=False),
                 default=FIT_DEFAULTS["checkpoint_dir"],
                 help="Keep a checkpoint of the fit in this directory, to --resume it."),
    click.option("--checkpoint-every", "checkpoint_every", metavar="EVERY",
                 default=str(FIT_DEFAULTS["checkpoint_every"]), show_default=True,
                 help="With --checkpoint-dir: replace the checkpoint every EVERY epochs (10) "
                      "or every so long (30s, 5min, 1h)."),
    click.option("--resume", is_flag=True, default=FIT_DEFAULTS["resume"],
                 help="Continue the fit whose checkpoint --checkpoint-dir holds (a new fit "
                      "when it holds none)."),
    click.option("--early-stopping", "early_stopping", type=click.IntRange(min=1),
                 default=None, metavar="PATIENCE",
                 help="Stop when the fidelity of samples to the training table has not "
                      f"improved in PATIENCE checks (one every {_CHECK_EVERY} epochs). Not "
                      "under DP."),
    click.option("--quiet", is_flag=True, default=False, help="No progress bar."),
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
    fit_args = {"discrete_columns": list(discrete) or None, "metadata": metadata}
    for name in ("checkpoint_dir", "checkpoint_every", "resume"):
        fit_args[name] = opts.pop(name)
    patience = opts.pop("early_stopping")
    if patience is not None:
        fit_args["callback"] = EarlyStopping(patience=patience)
    return opts, fit_args


def build_model(params: dict) -> TabGAN:
    return TabGAN(**params)


def given(**options) -> dict:
    """The options the user gave (not None): the API's defaults stand for the others."""
    return {k: v for k, v in options.items() if v is not None}


def echo(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 row", "2 rows"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------- databases
class TableSource(click.ParamType):
    """A table to read: a file that exists, or a database URL."""

    name = "file_or_url"

    def convert(self, value, param, ctx):
        if sql.is_url(value):
            return value
        return click.Path(exists=True, dir_okay=False).convert(value, param, ctx)


SOURCE = TableSource()
_IF_EXISTS = inspect.signature(write_table).parameters["if_exists"].default


_SHOWN = {"synthetic": "SYNTHETIC", "holdout": "--holdout"}


def source_options(first: str = "DATA", others: tuple[str, ...] = ()):
    """``--table`` and ``--query`` for the command's source ``first``, and
    ``--ROLE-table`` / ``--ROLE-query`` for each of ``others`` ("synthetic", "holdout"):
    ``read_table``'s arguments for a source that is a database URL."""
    default = f" (and of {' and '.join(_SHOWN[o] for o in others)}, unless given)" if others \
        else ""
    options = [
        click.option("--table", default=None, metavar="NAME",
                     help=f"Where {first} is a database URL: the table to read{default}."),
        click.option("--query", default=None, metavar="SQL",
                     help=f"Where {first} is a database URL: read the result of this SELECT "
                          "instead of a table."),
    ]
    for role in others:
        options += [
            click.option(f"--{role}-table", default=None, metavar="NAME",
                         help=f"Where {_SHOWN[role]} is a database URL: its table  "
                              "[default: --table]"),
            click.option(f"--{role}-query", default=None, metavar="SQL",
                         help=f"Where {_SHOWN[role]} is a database URL: read the result of "
                              "this SELECT instead."),
        ]

    def decorate(func):
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def source_args(path: str, table: str | None, query: str | None, *,
                flags: str = "--table and --query") -> dict:
    """``read_table``'s database arguments for a source given on the command line."""
    if sql.is_url(path):
        return {"table": table, "query": query}
    if table is not None or query is not None:
        raise click.UsageError(f"{flags} go with a database URL, and {path!r} is a file.")
    return {}


def sink_options(default: str = "the input's --table, else 'synthetic'"):
    """``--output-table`` and ``--if-exists`` for an output that is a database URL:
    ``write_table``'s ``table`` and ``if_exists``; ``default`` says the table's default."""
    def decorate(func):
        func = click.option(
            "--if-exists", type=click.Choice(sql.IF_EXISTS), default=_IF_EXISTS,
            show_default=True,
            help="Where -o is a database URL: what to do with a table of that name that "
                 "exists (refuse, drop and write it anew, add the rows).")(func)
        return click.option(
            "--output-table", default=None, metavar="NAME",
            help=f"Where -o is a database URL: the table to write  [default: {default}]")(func)

    return decorate


def sink_args(output: str, output_table: str | None, if_exists: str, *,
              default_table: str | None) -> dict:
    """``write_table``'s database arguments for ``-o``, checked before any work: a file
    name of a known format, or a URL whose table may be written."""
    table_format(output)
    if not sql.is_url(output):
        if output_table is not None or if_exists != _IF_EXISTS:
            raise click.UsageError("--output-table and --if-exists go with a database URL "
                                   f"for -o, and {output!r} is a file.")
        return {}
    args = {"table": output_table or default_table or "synthetic", "if_exists": if_exists}
    sql.check_target(output, **args)
    return args


def where(output: str, args: dict) -> str:
    """``-o`` as a message shows it: a URL without its password, and the table."""
    if not args:
        return output
    return f"table {args['table']!r} of {sql.shown(output)}"
