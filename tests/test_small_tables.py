"""A table too small to learn from is refused, with its size and the minimum, in Python
and on the command line; nothing is written."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tabgan import TabGAN
from tabgan.cli import main
from tabgan.errors import DataError, TooFewRowsError
from tabgan.table.checks import MIN_FIT_ROWS

FAST = dict(epochs=1, batch_size=20, embedding_dim=8, generator_dims=(16,), critic_dims=(16,),
            verbose=False, random_state=0)


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n) * 1.5, "c": (["a", "b", "c"] * n)[:n]})


@pytest.mark.parametrize("n", [1, 2, MIN_FIT_ROWS - 1])
@pytest.mark.parametrize("epsilon", [None, 1.0])
def test_a_table_below_the_minimum_is_refused_with_its_size(n, epsilon):
    with pytest.raises(TooFewRowsError) as caught:
        TabGAN(epsilon=epsilon, **FAST).fit(_frame(n))
    message = str(caught.value)
    assert f"has {n} row" in message and f"at least {MIN_FIT_ROWS}" in message
    assert isinstance(caught.value, DataError)  # a ValueError too


def test_a_table_of_the_minimum_size_fits():
    model = TabGAN(**FAST).fit(_frame(MIN_FIT_ROWS))
    assert len(model.sample(3)) == 3


@pytest.mark.parametrize("command", ["fit", "synth"])
def test_the_command_line_refuses_a_two_row_table_and_writes_nothing(tmp_path, command):
    data = tmp_path / "two.csv"
    _frame(2).to_csv(data, index=False)
    out = tmp_path / ("m.tabgan" if command == "fit" else "s.csv")
    result = CliRunner().invoke(main, [command, str(data), "-o", str(out), "--epochs", "1",
                                       "--quiet"])
    assert result.exit_code == 1
    assert "has 2 rows" in result.output and f"at least {MIN_FIT_ROWS}" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.csv"]
