"""The codec of a column, by its kind and the numeric encoding asked for."""

from __future__ import annotations

from tabgan.encoding.categorical import CategoricalCodec
from tabgan.encoding.identifier import IdentifierCodec
from tabgan.encoding.numeric import MixtureCodec
from tabgan.encoding.quantile import QuantileCodec
from tabgan.errors import MetadataError
from tabgan.table.columns import ColumnMetadata

__all__ = ["NUMERIC_ENCODINGS", "make_codec"]

NUMERIC_ENCODINGS = {"quantile": QuantileCodec, "mixture": MixtureCodec}


def make_codec(meta: ColumnMetadata, numeric_encoding: str, *, n_bins: int,
               max_categories: int | None):
    """A fresh codec for one column: categorical, identifier, or numeric encoded by
    ``numeric_encoding`` (``"quantile"`` or ``"mixture"``)."""
    if meta.kind == "categorical":
        return CategoricalCodec(meta, max_categories)
    if meta.kind == "id":
        return IdentifierCodec(meta)
    if numeric_encoding not in NUMERIC_ENCODINGS:
        raise MetadataError(
            f"numeric_encoding must be one of {', '.join(NUMERIC_ENCODINGS)}; got "
            f"{numeric_encoding!r}."
        )
    if numeric_encoding == "quantile":
        return QuantileCodec(meta, n_bins)
    return MixtureCodec(meta)
