"""The GPU fast-path switches: off on CPU with a warning; when on, the training step runs
under bf16 autocast with a compiled generator and still learns."""

from __future__ import annotations

import pytest
import torch

from tabgan import TabGAN, TableTransformer
from tabgan.gan.config import GANConfig
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.train import GANTrainer


def test_fast_paths_are_off_on_cpu_with_a_warning(mixed_frame, tiny_model_params):
    with pytest.warns(UserWarning, match="CUDA only"):
        model = TabGAN(bf16_autocast=True, torch_compile=True, cuda_graphs=True,
                       **tiny_model_params).fit(mixed_frame)
    cfg = model.config_
    assert not (cfg.bf16_autocast or cfg.torch_compile or cfg.cuda_graphs)
    plain = TabGAN(**tiny_model_params).fit(mixed_frame)
    assert model.sample(20, random_state=1).equals(plain.sample(20, random_state=1))


def test_switched_on_the_step_autocasts_and_compiles_the_generator(monkeypatch, mixed_frame):
    compiled = []
    real_compile = torch.compile

    def record(module, mode=None, **kwargs):
        compiled.append(mode)
        return real_compile(module, backend="aot_eager")  # no C++ toolchain needed

    monkeypatch.setattr(torch, "compile", record)
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    layout = tt.layout_
    sampler = ConditionalSampler.from_data(tt.encode(mixed_frame), layout)
    config = GANConfig(batch_size=40, embedding_dim=16, generator_dims=(32,),
                       critic_dims=(32,), bf16_autocast=True, cuda_graphs=True)
    trainer = GANTrainer(config, layout, sampler, device=torch.device("cpu"),
                         generator=torch.Generator().manual_seed(0))
    assert compiled == ["reduce-overhead", "reduce-overhead"]
    seen = []
    original = trainer.critic.forward
    monkeypatch.setattr(trainer.critic, "forward",
                        lambda x: seen.append(torch.get_autocast_dtype("cpu")
                                              if torch.is_autocast_enabled("cpu") else None)
                        or original(x))
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    history = trainer.fit(epochs=1, steps_per_epoch=3)
    assert seen and all(d == torch.bfloat16 for d in seen)
    assert torch.isfinite(torch.tensor(history[0].generator_loss))
    moved = [not torch.equal(a, b) for a, b in zip(before, trainer.generator.parameters(),
                                                   strict=True)]
    assert any(moved)
