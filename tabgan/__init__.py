"""tabgan: privacy-preserving tabular data synthesis with a conditional tabular GAN."""

from tabgan.metadata import ColumnMetadata, Metadata
from tabgan.transform import TableTransformer

__version__ = "0.1.0"

__all__ = ["ColumnMetadata", "Metadata", "TableTransformer", "__version__"]
