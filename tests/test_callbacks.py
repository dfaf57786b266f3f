"""Early stopping: it stops a fit whose score stops improving, scores against the training
table, survives a resume, and is refused under differential privacy."""

import pandas as pd
import pytest

from tabgan import TabGAN
from tabgan.callbacks import EarlyStopping
from tabgan.errors import ParameterError, PrivacyError
from tests.test_checkpoint import _interrupted, _params


class Scripted:
    """A score that follows a script, one value per check, and records what it was given."""

    def __init__(self, values):
        self.values = list(values)
        self.seen = []

    def __call__(self, real, synthetic):
        self.seen.append((real, synthetic))
        return self.values[len(self.seen) - 1]


def test_it_stops_a_fit_whose_score_stops_improving(mixed_frame):
    score = Scripted([0.1, 0.2, 0.5, 0.5004, 0.4, 0.9, 0.9, 0.9])
    stop = EarlyStopping(score, patience=2, every=2, rows=50, min_delta=0.001)
    model = TabGAN(**_params(epochs=40)).fit(mixed_frame, callback=stop)
    # checks at epochs 2, 4, 6 (best), 8 (a gain under min_delta), 10: stop
    assert len(model.history_) == 10 and stop.stopped_epoch_ == 10
    assert stop.best_epoch_ == 6 and stop.best_score_ == 0.5
    assert [e for e, _ in stop.scores_] == [2, 4, 6, 8, 10]
    real, synthetic = score.seen[0]
    assert real.shape == mixed_frame.shape and len(synthetic) == 50


def test_an_improving_score_never_stops_the_fit(mixed_frame):
    stop = EarlyStopping(Scripted([i / 10 for i in range(10)]), patience=1, every=1)
    model = TabGAN(**_params(epochs=6)).fit(mixed_frame, callback=stop)
    assert len(model.history_) == 6 and stop.stopped_epoch_ is None


def test_the_fidelity_score_of_samples_against_the_training_table(mixed_frame):
    stop = EarlyStopping(patience=2, every=1, rows=100, min_delta=1.0)  # no gain is enough
    model = TabGAN(**_params(epochs=30)).fit(mixed_frame, callback=stop)
    assert len(model.history_) == 3 == stop.stopped_epoch_
    assert all(0.0 <= s <= 1.0 for _, s in stop.scores_)
    assert stop.measure(model) == stop.measure(model)  # one seed: a check depends on weights only
    small = EarlyStopping(real_rows=50)
    small.on_fit_start(model, mixed_frame)
    assert len(small.real) == 50 and set(small.real.columns) == set(mixed_frame.columns)
    for name in ("column_shapes", "pair_trends"):
        one = EarlyStopping(name)
        one.on_fit_start(model, mixed_frame)
        assert 0.0 <= one.measure(model) <= 1.0


def test_its_state_survives_a_resume(monkeypatch, mixed_frame, tmp_path):
    values = [0.1, 0.3, 0.3, 0.3, 0.3, 0.3]
    whole = EarlyStopping(Scripted(values), patience=3, every=1)
    TabGAN(**_params(epochs=10)).fit(mixed_frame, callback=whole)
    steps = len(mixed_frame) // 40
    first = EarlyStopping(Scripted(values), patience=3, every=1)
    _interrupted(monkeypatch, 3 * steps + 1, lambda: TabGAN(**_params(epochs=10)).fit(
        mixed_frame, callback=first, checkpoint_dir=tmp_path, checkpoint_every=1))
    then = EarlyStopping(Scripted(values[3:]), patience=3, every=1)
    model = TabGAN(**_params(epochs=10)).fit(mixed_frame, callback=then,
                                            checkpoint_dir=tmp_path, resume=True)
    assert len(model.history_) == 5 == then.stopped_epoch_ == whole.stopped_epoch_
    assert then.scores_ == whole.scores_ and then.best_epoch_ == 2


def test_it_is_refused_under_differential_privacy(mixed_frame):
    stop = EarlyStopping(patience=2)
    stop.on_fit_start = lambda model, data: pytest.fail("the data reached the callback")
    with pytest.raises(PrivacyError, match="early stopping"):
        TabGAN(**_params(epsilon=3.0)).fit(mixed_frame, callback=stop)


@pytest.mark.parametrize("bad", [dict(score="loss"), dict(patience=0), dict(every=-1),
                                 dict(rows=1.5), dict(min_delta=-0.1), dict(patience=True)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ParameterError):
        EarlyStopping(**bad)


def test_scores_of_a_callable_can_be_any_number(mixed_frame):
    stop = EarlyStopping(lambda real, synthetic: -float(len(synthetic)), patience=1, every=1,
                         rows=10)
    model = TabGAN(**_params(epochs=4)).fit(mixed_frame, callback=stop)
    assert len(model.history_) == 2 and stop.scores_ == [(1, -10.0), (2, -10.0)]
    assert isinstance(model.sample(3), pd.DataFrame)
