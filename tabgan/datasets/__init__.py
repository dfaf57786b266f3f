"""Demo tables that ship with tabgan."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_adult", "ADULT_TARGET", "DEMO_MINUTES", "DEMO_SEED"]

ADULT_TARGET = "income"
# The demo (``tabgan demo``): the Adult table, trained for this many minutes, this seed.
DEMO_MINUTES = 2.0
DEMO_SEED = 0


def load_adult() -> pd.DataFrame:
    """The UCI Adult census table: 32,561 rows and 15 columns (CC BY 4.0).

    Read from the compressed copy inside the package. Leading spaces after the commas are
    skipped and the ``?`` marks of the original file are read as nulls.

    Examples
    --------
    >>> df = load_adult()
    >>> df.shape
    (32561, 15)
    >>> sorted(df["income"].unique())
    ['<=50K', '>50K']
    """
    source = resources.files("tabgan.datasets").joinpath("data/adult.csv.gz")
    with resources.as_file(source) as path:
        return pd.read_csv(path, skipinitialspace=True, na_values=["?"], compression="gzip")
