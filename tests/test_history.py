"""The history as people read it: epochs picked evenly, and the text table of tabgan info."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from tabgan.history import even_rows, history_table


@given(st.integers(0, 5000), st.integers(1, 50))
def test_even_rows_spread_at_most_k_epochs_over_the_whole_fit(n, k):
    rows = even_rows(n, k)
    assert rows == sorted(set(rows)) and all(0 <= r < n for r in rows)
    assert len(rows) == min(n, k)
    if n and k >= 2:
        assert rows[0] == 0 and rows[-1] == n - 1
    if len(rows) >= 3:  # even: no gap is more than one epoch longer than another
        gaps = np.diff(rows)
        assert gaps.max() - gaps.min() <= 1


def _history(n: int) -> pd.DataFrame:
    epochs = np.arange(1, n + 1)
    return pd.DataFrame({"epoch": epochs, "generator_loss": 1.0 / epochs,
                         "critic_loss": -0.5 + 0.001 * epochs, "mode_coverage": 0.9,
                         "seconds": 0.25})


def test_the_table_shows_every_epoch_of_a_short_fit():
    lines = history_table(_history(4)).splitlines()
    assert lines[0].split() == ["epoch", "generator", "loss", "critic", "loss", "mode",
                                "coverage", "seconds"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4"]
    assert lines[2].split()[1:] == ["0.500", "-0.498", "0.90", "0.25"]


def test_the_table_samples_a_long_fit_evenly():
    lines = history_table(_history(300), rows=10).splitlines()
    epochs = [int(line.split()[0]) for line in lines[1:-1]]
    assert epochs[0] == 1 and epochs[-1] == 300 and len(epochs) == 10
    assert lines[-1].strip() == "(10 of 300 epochs, evenly spaced)"
    assert history_table(_history(0)) == ""


def test_a_diverged_loss_prints_as_nan():
    history = _history(2)
    history.loc[1, "generator_loss"] = np.nan
    assert "nan" in history_table(history).splitlines()[2]
