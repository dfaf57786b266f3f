"""Small shared fixtures. Hypothesis strategies live in tests/strategies.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """120 rows with one column of every kind, nulls in several of them."""
    rng = np.random.default_rng(0)
    n = 120
    group = rng.choice(["red", "green", "blue"], size=n, p=[0.6, 0.3, 0.1])
    frame = pd.DataFrame(
        {
            "amount": np.where(group == "red", rng.normal(10, 1, n), rng.normal(50, 5, n)),
            "count": rng.integers(0, 1000, n),
            "group": group,
            "flag": rng.random(n) < 0.3,
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
            "when": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "score": rng.normal(0, 1, n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "score"] = np.nan
    frame.loc[rng.random(n) < 0.1, "group"] = None
    return frame


@pytest.fixture
def tiny_model_params() -> dict:
    """Settings that train in well under a second on small frames."""
    return {
        "epochs": 2,
        "batch_size": 40,
        "embedding_dim": 16,
        "generator_dims": (32, 32),
        "critic_dims": (32, 32),
        "verbose": False,
        "random_state": 0,
    }


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (tests/postgres.py) for the whole run. Skipped where
    none can be started, unless TABGAN_REQUIRE_POSTGRES=1 (as in CI), which makes that a
    failure."""
    import os

    from tests.postgres import PostgresServer, Unavailable

    required = os.environ.get("TABGAN_REQUIRE_POSTGRES") == "1"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        reason = "the PostgreSQL driver is not installed (pip install 'tabgan[postgresql]')"
        if required:
            pytest.fail(f"{reason}; TABGAN_REQUIRE_POSTGRES=1 needs it")
        pytest.skip(reason)
    try:
        server = PostgresServer().start()
    except Unavailable as exc:
        if required:
            pytest.fail(f"no PostgreSQL server could be started ({exc}); "
                        "TABGAN_REQUIRE_POSTGRES=1 needs one")
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a new, empty database on the test server."""
    return postgres_server.create_database()
