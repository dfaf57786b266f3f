"""The private release through JSON: read back, it fits the same encoder and gives the same
marginals, so a resumed private fit needs no second release."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings

from tabgan.encoding.transformer import TableTransformer
from tabgan.errors import TabGANError
from tabgan.privacy.preprocessing import private_statistics
from tabgan.privacy.release import release_from_dict, release_to_dict
from tabgan.table.metadata import Metadata
from tests.strategies import tables


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(max_rows=20, max_columns=4))
def test_a_release_through_json_fits_the_same_encoder(table):
    try:
        meta = Metadata.infer(table.frame, metadata=table.metadata, schema_only=True)
        released = private_statistics(table.frame, meta, epsilon=50.0, delta=1e-3,
                                      accountant="rdp", rng=np.random.default_rng(0),
                                      n_rows=len(table.frame))
    except TabGANError:  # a table no private fit takes (no category frequent enough)
        return
    text = json.dumps(release_to_dict(n_rows=len(table.frame), delta=1e-3, delta_rule="given",
                                      recipe={"critic_dims": (64, 64)}, released=released,
                                      mechanisms=released.mechanisms), allow_nan=False)
    back = release_from_dict(json.loads(text))
    again_released = back["released"]
    assert back["mechanisms"] == released.mechanisms and back["n_rows"] == len(table.frame)
    assert again_released.public == released.public and back["recipe"] == {
        "critic_dims": (64, 64)}
    statistics = again_released.statistics
    first = TableTransformer(random_state=2).fit_statistics(meta, released.statistics)
    again = TableTransformer(random_state=2).fit_statistics(meta, statistics)
    assert json.dumps(first.state_dict()) == json.dumps(again.state_dict())
    for a, b in zip(first.slot_marginals(released.statistics), again.slot_marginals(statistics),
                    strict=True):
        assert (a is None and b is None) or np.array_equal(a, b)
