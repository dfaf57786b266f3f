"""The memory estimate of a fit, made from the layout before training starts."""

from __future__ import annotations

import warnings

import pytest

from tabgan import TabGAN, TableTransformer
from tabgan.gan.config import GANConfig
from tabgan.gan.memory import MemoryWarning, estimate_training_memory
from tests.zipf import zipf_frame as _zipf_frame


def test_memory_estimate_counts_the_real_parameters_and_data(monkeypatch, mixed_frame,
                                                              tiny_model_params):
    import tabgan.gan.train as train

    captured = {}
    original = train.GANTrainer.__init__

    def capture(self, *args, **kwargs):
        original(self, *args, **kwargs)
        captured["trainer"] = self

    monkeypatch.setattr(train.GANTrainer, "__init__", capture)
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    est = model.memory_estimate_
    trainer = captured["trainer"]
    params = sum(p.numel() for m in (trainer.generator, trainer.critic)
                 for p in m.parameters())
    buffers = sum(b.numel() for b in trainer.generator.buffers() if b.dtype.is_floating_point)
    average = sum(t.numel() for t in [*trainer.ema_generator.parameters(),
                                      *trainer.ema_generator.buffers()]
                  if t.dtype.is_floating_point)
    # weights, grads and two Adam moments, float32; batch-norm statistics once; the
    # generator's weight average
    assert est.networks == 16 * params + 4 * buffers + 4 * average
    rows = trainer.sampler.rows
    index = rows.codes.nbytes + rows.rows.nbytes
    assert est.data == rows.data.nbytes + index
    assert est.total == est.data + est.networks + est.step
    assert est.data_dim == model.layout_.dim


def test_memory_estimate_grows_with_categories_and_warns_past_free_memory(monkeypatch):
    df = _zipf_frame(2000)
    # numeric columns encoded alike (few modes), so that the categories make the difference
    wide = estimate_training_memory(TableTransformer(numeric_encoding="mixture").fit(df).layout_,
                                    10**6, GANConfig())
    narrow = estimate_training_memory(
        TableTransformer(numeric_encoding="mixture", max_categories=20).fit(df).layout_,
        10**6, GANConfig())
    assert wide.networks > 3 * narrow.networks
    assert wide.widest_column[0] == "city"

    monkeypatch.setattr("tabgan.gan.memory.available_memory", lambda device: 1024)
    with pytest.warns(MemoryWarning, match="max_categories"):
        TabGAN(epochs=1, batch_size=200, verbose=False, random_state=0).fit(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)
        monkeypatch.setattr("tabgan.gan.memory.available_memory", lambda device: None)
        TabGAN(epochs=1, batch_size=200, verbose=False, random_state=0).fit(df)
