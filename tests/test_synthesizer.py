import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from tabgan import TabGAN, augment
from tabgan.errors import ColumnMismatchError, ConditionError, ModelFileError, NotFittedError
from tabgan.gan.train import GANTrainer


def test_fit_sample_keeps_names_order_and_dtypes(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(257)
    assert len(out) == 257
    assert list(out.columns) == list(mixed_frame.columns)
    assert out.dtypes.equals(mixed_frame.dtypes)
    assert set(out["group"].dropna()) <= {"red", "green", "blue"}
    assert out["amount"].between(mixed_frame["amount"].min(), mixed_frame["amount"].max()).all()
    assert (out["count"] == out["count"].round()).all()


def test_sample_zero_rows(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(0)
    assert len(out) == 0 and list(out.columns) == list(mixed_frame.columns)


def test_numeric_only_table(tiny_model_params):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.exponential(size=80)})
    out = TabGAN(**tiny_model_params).fit(frame).sample(30)
    assert out.shape == (30, 2) and out.notna().all().all()


def test_same_seed_same_samples(mixed_frame, tiny_model_params):
    a = TabGAN(**tiny_model_params).fit(mixed_frame)
    b = TabGAN(**tiny_model_params).fit(mixed_frame)
    pd.testing.assert_frame_equal(a.sample(100, random_state=5), b.sample(100, random_state=5))
    pd.testing.assert_frame_equal(a.sample(50), b.sample(50))
    assert not a.sample(50, random_state=1).equals(a.sample(50, random_state=2))


def test_fit_leaves_global_rngs_alone(mixed_frame, tiny_model_params):
    torch.manual_seed(123)
    np.random.seed(123)
    expected_torch = torch.rand(3)
    expected_np = np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(123)
    TabGAN(**tiny_model_params).fit(mixed_frame).sample(10)
    assert torch.equal(torch.rand(3), expected_torch)
    assert np.array_equal(np.random.rand(3), expected_np)


def test_params_clone_and_not_fitted(tiny_model_params):
    model = TabGAN(**tiny_model_params)
    assert model.get_params()["epochs"] == 2
    copy = clone(model).set_params(epochs=7)
    assert copy.epochs == 7 and model.epochs == 2
    with pytest.raises(NotFittedError, match="fit"):
        model.sample(3)


def test_history_and_callback_stop(mixed_frame, tiny_model_params):
    seen = []

    def stop_at_two(model, record):
        seen.append(record.epoch)
        return record.epoch == 2

    params = dict(tiny_model_params, epochs=10)
    model = TabGAN(**params).fit(mixed_frame, callback=stop_at_two)
    assert seen == [1, 2]
    assert list(model.history_.columns) == [
        "epoch", "generator_loss", "critic_loss", "mode_coverage", "seconds"
    ]
    assert len(model.history_) == 2
    assert model.history_["mode_coverage"].between(0, 1).all()


def test_max_minutes_stops_training(mixed_frame, tiny_model_params):
    params = dict(tiny_model_params, epochs=10_000, max_minutes=1e-6)
    model = TabGAN(**params).fit(mixed_frame)
    assert len(model.history_) == 1


def _fit_and_capture_trainer(monkeypatch, frame, **params):
    """Fit a TabGAN and return the GANTrainer it trained with."""
    captured = {}
    original = GANTrainer.fit

    def capture(self, **kwargs):
        captured["trainer"] = self
        return original(self, **kwargs)

    monkeypatch.setattr(GANTrainer, "fit", capture)
    TabGAN(**params).fit(frame)
    return captured["trainer"]


def test_critic_step_builds_no_generator_gradients(monkeypatch, mixed_frame, tiny_model_params):
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **tiny_model_params)
    for p in trainer.generator.parameters():
        p.grad = None
    trainer.critic_step(trainer.config.batch_size)
    assert all(p.grad is None for p in trainer.generator.parameters())
    assert any(p.grad is not None for p in trainer.critic.parameters())


def test_equality_conditions_hold_on_every_row(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    # "size" is not the first categorical column: its one-hot index must still be right.
    out = model.sample(60, conditions={"size": "L", "flag": True})
    assert len(out) == 60
    assert (out["size"] == "L").all() and out["flag"].all()
    nulls = model.sample(10, conditions={"group": None})
    assert nulls["group"].isna().all()


def test_condition_vector_alone_steers_the_generator(mixed_frame):
    model = TabGAN(
        epochs=150, batch_size=40, embedding_dim=16, generator_dims=(64,), critic_dims=(64,),
        generator_lr=1e-3, verbose=False, random_state=0,
    ).fit(mixed_frame)
    target = model.condition_set({"size": "S"}).condition_target()
    matrix = model.generate_matrix(2000, torch.Generator().manual_seed(0), fixed=target)
    decoded = model.transformer_.inverse_transform(matrix)
    share = (decoded["size"] == "S").mean()
    base = (mixed_frame["size"] == "S").mean()
    assert base < 0.4 and share > 0.8


def test_range_conditions(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    out = model.sample(40, conditions={"amount": (9.0, 60.0), "when": ("2020-03-01", None)})
    assert out["amount"].between(9.0, 60.0).all()
    assert (out["when"] >= pd.Timestamp("2020-03-01")).all()


def test_bad_conditions_list_the_valid_choices(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    with pytest.raises(ConditionError, match="amount"):
        model.sample(5, conditions={"nope": 1})
    with pytest.raises(ConditionError, match="'red'"):
        model.sample(5, conditions={"group": "purple"})
    with pytest.raises(ConditionError, match="only 0 of the 5"):
        model.sample(5, conditions={"amount": (1e6, 2e6)}, max_tries=3, batch_size=100)


def test_save_load_gives_same_samples(tmp_path, mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    path = tmp_path / "m.tabgan"
    model.save(path)
    loaded = TabGAN.load(path)
    pd.testing.assert_frame_equal(
        model.sample(80, random_state=3), loaded.sample(80, random_state=3)
    )
    pd.testing.assert_frame_equal(model.history_, loaded.history_, check_dtype=False)
    assert loaded.get_params()["epochs"] == model.epochs
    payload = torch.load(path, weights_only=True)
    assert not any("critic" in key for key in payload)


def test_model_file_errors(tmp_path, mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    path = tmp_path / "m.tabgan"
    model.save(path)
    raw = path.read_bytes()
    truncated = tmp_path / "truncated.tabgan"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupted"):
        TabGAN.load(truncated)
    garbage = tmp_path / "garbage.tabgan"
    garbage.write_bytes(b"not a model at all" * 10)
    with pytest.raises(ModelFileError):
        TabGAN.load(garbage)
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    newer = tmp_path / "newer.tabgan"
    torch.save(payload, newer)
    with pytest.raises(ModelFileError, match="newer"):
        TabGAN.load(newer)
    with pytest.raises(ModelFileError, match="no model file"):
        TabGAN.load(tmp_path / "missing.tabgan")


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_never_unpickles_objects(tmp_path):
    path = tmp_path / "evil.tabgan"
    torch.save({"format": "tabgan-model", "version": 1, "x": _Evil()}, path)
    with pytest.raises(ModelFileError):
        TabGAN.load(path)


def test_augment_balances_classes(mixed_frame, tiny_model_params):
    out = augment(mixed_frame, target="size", model=TabGAN(**tiny_model_params))
    counts = out["size"].value_counts()
    assert counts.nunique() == 1 and counts.iloc[0] == mixed_frame["size"].value_counts().max()
    pd.testing.assert_frame_equal(out.iloc[: len(mixed_frame)], mixed_frame)


def test_augment_to_given_counts_and_bad_target(mixed_frame, tiny_model_params):
    out = augment(mixed_frame, target="size", counts={"S": 100},
                  model=TabGAN(**tiny_model_params))
    assert (out["size"] == "S").sum() == 100
    assert len(out) == len(mixed_frame) + 100 - (mixed_frame["size"] == "S").sum()
    with pytest.raises(ColumnMismatchError):
        augment(mixed_frame, target="nope", model=TabGAN(**tiny_model_params))
    with pytest.raises(ConditionError, match="not a class"):
        augment(mixed_frame, target="size", counts={"XL": 5}, model=TabGAN(**tiny_model_params))


def test_invalid_settings_raise_at_fit(mixed_frame):
    with pytest.raises(ValueError, match="epochs"):
        TabGAN(epochs=0, verbose=False).fit(mixed_frame)
    with pytest.raises(ValueError, match="device"):
        TabGAN(device="tpu", verbose=False).fit(mixed_frame)


def test_describe_says_no_guarantee_without_dp(mixed_frame, tiny_model_params):
    text = TabGAN(**tiny_model_params).fit(mixed_frame).describe()
    assert "no formal guarantee" in text and "amount" in text


def test_chunks_concatenate_to_sample(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    whole = model.sample(250, random_state=4, batch_size=60)
    chunks = list(model.iter_sample(250, random_state=4, batch_size=60))
    assert [len(c) for c in chunks] == [60, 60, 60, 60, 10]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    conditioned = list(model.iter_sample(90, {"size": "M"}, random_state=1, batch_size=40))
    assert sum(map(len, conditioned)) == 90
    assert all((c["size"] == "M").all() for c in conditioned)


def test_several_equalities_steer_by_the_rarest(mixed_frame, tiny_model_params):
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    conds = model.condition_set({"group": "red", "size": "S"})
    rarest = min(conds.equal, key=lambda e: e.match.weight)
    assert conds.condition_target() == (rarest.match.position, rarest.match.slot)
    counts = {e.column: e.match.weight for e in conds.equal}
    assert counts["group"] == (mixed_frame["group"] == "red").sum()


def test_marginal_term_targets_the_real_span_means(monkeypatch, mixed_frame,
                                                   tiny_model_params):
    off = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                   **dict(tiny_model_params, marginal_weight=0.0))
    assert off._marginals is None  # marginal_weight=0 turns the term off
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **tiny_model_params)
    assert trainer._marginals is not None
    dense = trainer.sampler.data.dense()  # the one-hot rows the compact table stands for
    lay = trainer.span_index
    assert torch.allclose(trainer._marginals, dense[:, lay.soft_index].mean(0), atol=1e-6)
    # every span's target is a distribution
    per_span = torch.zeros(lay.n_segments).index_add(0, lay.soft_segment, trainer._marginals)
    assert torch.allclose(per_span, torch.ones(lay.n_segments), atol=1e-5)




def test_generator_weight_average_is_what_samples(monkeypatch, mixed_frame, tiny_model_params):
    import copy

    captured = {}
    original_step = GANTrainer.generator_step

    def first_step(self, batch):
        if "before" not in captured:
            captured["before"] = copy.deepcopy(list(self.generator.parameters()))
        out = original_step(self, batch)
        if "after" not in captured:
            captured["after"] = copy.deepcopy(list(self.generator.parameters()))
            captured["ema"] = copy.deepcopy(list(self.ema_generator.parameters()))
        return out

    monkeypatch.setattr(GANTrainer, "generator_step", first_step)
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                       **dict(tiny_model_params, generator_ema=0.99))
    # the first update uses the warm-up decay 0.1: 0.1 * start + 0.9 * live
    for b, a, e in zip(captured["before"], captured["after"], captured["ema"], strict=True):
        assert torch.allclose(e, 0.1 * b + 0.9 * a, atol=1e-6)
    # after training the average differs from the live weights, and it is the sampler
    live = torch.cat([p.flatten() for p in trainer.generator.parameters()])
    avg = torch.cat([p.flatten() for p in trainer.ema_generator.parameters()])
    assert not torch.allclose(live, avg)
    assert trainer.sampling_generator is trainer.ema_generator
    assert all(not p.requires_grad for p in trainer.ema_generator.parameters())

    off = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                   **dict(tiny_model_params, generator_ema=0.0))
    assert off.ema_generator is None and off.sampling_generator is off.generator
    with pytest.raises(ValueError, match="generator_ema"):
        TabGAN(**dict(tiny_model_params, generator_ema=1.0)).fit(mixed_frame)


def test_seed_records_the_drawn_seed_so_a_run_can_be_repeated(mixed_frame, tiny_model_params,
                                                              tmp_path):
    params = dict(tiny_model_params, random_state=None)
    first = TabGAN(**params).fit(mixed_frame)
    assert isinstance(first.seed_, int)
    again = TabGAN(**dict(params, random_state=first.seed_)).fit(mixed_frame)
    assert again.seed_ == first.seed_
    assert first.sample(30, random_state=2).equals(again.sample(30, random_state=2))
    first.save(tmp_path / "m.tabgan")
    assert TabGAN.load(tmp_path / "m.tabgan").seed_ == first.seed_


def test_weight_average_follows_its_ramp_and_spans_the_last_tenth(monkeypatch, mixed_frame,
                                                                   tiny_model_params):
    import copy

    seen = []
    original_step = GANTrainer.generator_step

    def record(self, batch):
        if not seen:
            seen.append([p.detach().clone() for p in self.generator.parameters()])
        out = original_step(self, batch)
        seen.append([p.detach().clone() for p in self.generator.parameters()])
        return out

    monkeypatch.setattr(GANTrainer, "generator_step", record)
    params = dict(tiny_model_params, epochs=10, generator_ema=0.999)
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **params)
    steps = len(seen) - 1
    assert steps == 10 * (len(mixed_frame) // trainer.config.batch_size)
    cap = 1 - 10 / max(steps, 20)  # about the last tenth of the planned steps
    average = copy.deepcopy(seen[0])
    for t, live in enumerate(seen[1:]):
        decay = min(0.999, (1 + t) / (10 + t), cap)
        average = [a * decay + w * (1 - decay) for a, w in zip(average, live, strict=True)]
    for a, e in zip(average, trainer.ema_generator.parameters(), strict=True):
        assert torch.allclose(a, e, atol=1e-5)
