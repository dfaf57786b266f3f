"""The compact encoded table: alphas and hot positions, expanded only for a batch."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings

from tabgan import TableTransformer
from tabgan.encoding.encoded import DenseRows, EncodedTable
from tabgan.encoding.layout import TableLayout
from tabgan.gan.sampler import ConditionalSampler
from tests.strategies import tables

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------- EncodedTable
@PROPERTY
@given(table=tables(max_rows=30))
def test_encode_expands_to_exactly_the_dense_transform(table):
    tt = TableTransformer(random_state=0).fit(table.frame, table.metadata)
    encoded = tt.encode(table.frame)
    dense = TableTransformer(random_state=0).fit(table.frame, table.metadata).transform(
        table.frame)
    assert len(encoded) == len(table.frame)
    assert torch.equal(encoded.dense(), dense)
    # every softmax span has exactly one hot entry, at the stored position
    spans = tt.layout_.softmax_starts
    assert encoded.slots.shape[1] == len(spans)
    rows = torch.arange(len(encoded))
    for j in range(len(spans)):
        assert torch.all(dense[rows, encoded.slots[:, j].long()] == 1.0)
    assert torch.allclose(encoded.column_means()[encoded.slots.long().unique()],
                          dense.mean(0)[encoded.slots.long().unique()], atol=1e-6)


def test_encoded_rows_and_codes_match_the_dense_matrix(mixed_frame):
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    encoded = tt.encode(mixed_frame)
    dense = encoded.dense()
    rows = torch.tensor([5, 0, 5, 119])
    assert torch.equal(encoded.dense(rows), dense[rows])
    for column in tt.layout_.discrete:
        expect = dense[:, column.start : column.stop].argmax(1)
        assert torch.equal(encoded.codes(column), expect)
        assert torch.equal(DenseRows(dense).codes(column), expect)
    assert encoded.nbytes < DenseRows(dense).nbytes / 3


def test_sampler_reads_compact_and_dense_tables_alike(mixed_frame):
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    encoded = tt.encode(mixed_frame)
    compact = ConditionalSampler.from_data(encoded, tt.layout_)
    dense = ConditionalSampler.from_data(encoded.dense(), tt.layout_)
    assert torch.equal(compact.counts, dense.counts)
    assert torch.equal(compact.rows.codes.long(), dense.rows.codes.long())
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    cond = compact.train_condition(64, g1)
    cond2 = dense.train_condition(64, g2)
    assert torch.equal(compact.real_batch(cond, 64, g1), dense.real_batch(cond2, 64, g2))


def test_encoded_table_round_trips_devices_and_empty_tables():
    layout = TableLayout.build([("x", "numeric", [(1, "tanh"), (3, "softmax")])])
    table = EncodedTable.empty(0, layout)
    assert table.dense().shape == (0, 4)
    assert table.to("cpu").dim == 4
    assert table.column_means().shape == (4,)
