"""tabgan: privacy-preserving tabular data synthesis with a conditional tabular GAN."""

from tabgan import evaluate  # a callable module: tabgan.evaluate(real, synthetic, ...)
from tabgan.augment import augment
from tabgan.metadata import ColumnMetadata, Metadata
from tabgan.synthesizer import TabGAN
from tabgan.transform import TableTransformer

__version__ = "0.1.0"

__all__ = [
    "TabGAN",
    "TableTransformer",
    "Metadata",
    "ColumnMetadata",
    "augment",
    "evaluate",
    "__version__",
]
