"""Model files: tensors plus JSON, never pickles; damaged, newer and older files."""

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import TabGAN
from tabgan.errors import ModelFileError
from tabgan.serialize import checksums


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


# Files written by tabgan 0.1.0 in model format 1, before the layout by stage: a 120-row
# table of a float column with nulls ("amount"), an integer ("count"), a category ("group")
# and dates ("when"), trained 2 epochs with random_state=0 (tiny networks), once plainly and
# once under DP (epsilon 5, delta 1e-4, public categories for "group", bounds [0, 20] for
# "amount"). These are the rows each sampled then, with random_state=1.
DATA = __import__("pathlib").Path(__file__).parent / "data"
FORMAT_1_SAMPLES = {
    "model_v1.tabgan": {
        "amount": [9.575104221843088, 9.781188195068616, None],
        "count": [646, 833, 670],
        "group": ["green", "red", "green"],
        "when": ["2020-09-14", "2020-12-28", "2020-02-09"],
    },
    "model_v1_dp.tabgan": {
        "amount": [16.16447627544403, None, 12.352524995803833],
        "count": [846, 562, 1000],
        "group": ["red", None, "green"],
        "when": ["2009-07-21 19:29:17", "2014-09-19 06:45:47", "2022-01-03 13:42:56"],
    },
}


@pytest.mark.parametrize("name", sorted(FORMAT_1_SAMPLES))
def test_format_1_files_load_and_sample_what_they_sampled_then(name):
    model = TabGAN.load(DATA / name)
    got = model.sample(3, random_state=1)
    want = pd.DataFrame(FORMAT_1_SAMPLES[name])
    want["when"] = pd.to_datetime(want["when"])
    # The generator runs in float32, whose matrix products differ in their last bits from
    # one CPU to another (AVX2 against AVX-512 kernels): floats agree to 1e-6, datetimes
    # (decoded from a float32 over decades) to two minutes, the rest exactly.
    want = want.astype(got.dtypes.to_dict())
    drift = (got.pop("when") - want.pop("when")).abs()
    assert (drift <= pd.Timedelta(minutes=2)).all(), drift
    assert np.allclose(got.pop("amount"), want.pop("amount"), rtol=1e-6, atol=0,
                       equal_nan=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [c.kind for c in model.metadata_.columns] == ["continuous", "integer",
                                                         "categorical", "datetime"]
    if name == "model_v1_dp.tabgan":
        assert model.privacy_ledger_.epsilon == pytest.approx(4.997371714750337, rel=1e-12)
    else:
        assert not hasattr(model, "privacy_ledger_")


def test_a_stored_layout_must_match_the_transformer(tmp_path, mixed_frame, tiny_model_params):
    import json

    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    path = tmp_path / "m.tabgan"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    meta = json.loads(payload["meta"])
    assert meta["layout"] == model.layout_.to_dict() and payload["version"] == 4
    meta["layout"]["columns"][0]["spans"][0][0] += 1
    payload["meta"] = json.dumps(meta)
    payload["checksums"] = checksums(payload)  # consistent checksums of inconsistent parts
    torch.save(payload, tmp_path / "bad.tabgan")
    with pytest.raises(ModelFileError, match="inconsistent.*layout"):
        TabGAN.load(tmp_path / "bad.tabgan")
    generator = dict(payload["generator"])
    first = next(iter(generator))
    generator[first] = generator[first][:1]
    payload = torch.load(path, weights_only=True)
    payload["generator"] = generator
    payload["checksums"] = checksums(payload)
    torch.save(payload, tmp_path / "cut.tabgan")
    with pytest.raises(ModelFileError, match="inconsistent"):
        TabGAN.load(tmp_path / "cut.tabgan")


def _largest_record(path) -> tuple[int, int]:
    """(start, length) in the file of the largest stored member: a tensor's bytes."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
        assert info.compress_type == zipfile.ZIP_STORED
    raw = path.read_bytes()
    name_length = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30],
                                  "little")
    return info.header_offset + 30 + name_length + extra_length, info.file_size


def test_a_file_with_flipped_bytes_is_refused_not_sampled(tmp_path, mixed_frame,
                                                          tiny_model_params):
    import numpy as np

    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    path = tmp_path / "m.tabgan"
    model.save(path)
    start, length = _largest_record(path)
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    for offset in rng.choice(length, size=min(2000, length), replace=False):
        raw[start + int(offset)] ^= 0xFF
    flipped = tmp_path / "flipped.tabgan"
    flipped.write_bytes(bytes(raw))
    torch.load(flipped, weights_only=True)  # the archive itself still reads
    with pytest.raises(ModelFileError, match="damaged.*checksum of generator") as info:
        TabGAN.load(flipped)
    assert "intact copy" in str(info.value)
    # A changed digit in the JSON meta: the file still parses, the checksum does not match.
    text = path.read_bytes()
    assert b'"epochs": 2' in text
    edited = tmp_path / "edited.tabgan"
    edited.write_bytes(text.replace(b'"epochs": 2', b'"epochs": 3', 1))
    with pytest.raises(ModelFileError, match="checksum of meta"):
        TabGAN.load(edited)


def test_a_pickle_is_refused_with_our_advice_never_unsafe_loading(tmp_path):
    path = tmp_path / "evil.tabgan"
    torch.save({"format": "tabgan-model", "version": 1, "x": _Evil()}, path)
    with pytest.raises(ModelFileError) as info:
        TabGAN.load(path)
    message = str(info.value)
    assert "pickled Python objects" in message and "never loads" in message
    assert "weights_only" not in message and "False" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
