"""tabgan: privacy-preserving tabular data synthesis with a conditional tabular GAN."""

from tabgan.augment import augment
from tabgan.encoding.transformer import TableTransformer
from tabgan.synthesizer import TabGAN
from tabgan.table.columns import ColumnMetadata
from tabgan.table.constraints import Bounded, FixedCombinations, Formula, Inequality, Positive
from tabgan.table.metadata import Metadata
from tabgan.version import __version__


def __getattr__(name: str):
    # tabgan.evaluate is a callable module (tabgan.evaluate(real, synthetic, ...)), imported
    # on first use so that the command line starts fast.
    if name == "evaluate":
        import importlib

        return importlib.import_module("tabgan.evaluate")
    if name == "audit":  # the privacy audit report, imported on first use too
        from tabgan.report import audit

        return audit
    raise AttributeError(f"module 'tabgan' has no attribute {name!r}")


__all__ = [
    "TabGAN",
    "TableTransformer",
    "Metadata",
    "ColumnMetadata",
    "Inequality",
    "FixedCombinations",
    "Bounded",
    "Positive",
    "Formula",
    "augment",
    "evaluate",
    "audit",
    "__version__",
]
