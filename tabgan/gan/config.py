"""``GANConfig``: the settings of the networks and their optimizers, one field each."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["GANConfig"]


@dataclass
class GANConfig:
    """Hyperparameters of the networks and their optimizers (CTGAN's defaults)."""

    embedding_dim: int = 128  # size of the noise vector fed to the generator
    generator_dims: tuple[int, ...] = (256, 256)  # widths of the residual blocks
    critic_dims: tuple[int, ...] = (256, 256)  # widths of the critic's hidden layers
    pac: int = 10  # rows the critic scores together (PacGAN), against mode collapse
    batch_size: int = 500  # rows per step; a multiple of pac
    generator_lr: float = 2e-4
    critic_lr: float = 2e-4
    generator_decay: float = 1e-6  # Adam weight decay
    critic_decay: float = 1e-6
    betas: tuple[float, float] = (0.5, 0.9)  # Adam betas, as WGAN-GP recommends
    critic_steps: int = 1  # critic updates per generator update
    generator_steps: int = 1  # generator updates per round (free under DP: post-processing)
    epochs: int | None = 300  # None: until the time budget runs out
    gumbel_tau: float = 0.2  # temperature of the Gumbel-softmax on discrete spans
    gp_lambda: float = 10.0  # weight of the gradient penalty
    dropout: float = 0.5  # critic dropout
    log_frequency: bool = True  # training-by-sampling draws categories by log-frequency
    marginal_weight: float = 1.0  # pull each softmax span's batch mean to its marginal
    pair_weight: float = 1.0  # pull every two spans' batch joint to their two-way marginal
    generator_ema: float = 0.999  # decay of the generator's weight average (0: off)
    lr_decay: float = 0.0  # share of training over whose end both learning rates decay
    output_chain: bool = True  # each span's draw sees the earlier spans' (tabgan.gan.chain)
    select_epoch: bool = True  # sample with the weights of the closest epoch (tabgan.gan.select)
    # GPU fast paths (the estimator turns them off on CPU)
    bf16_autocast: bool = False  # forward passes in bfloat16 autocast
    torch_compile: bool = False  # the generator through torch.compile
    cuda_graphs: bool = False  # torch.compile's "reduce-overhead" mode: CUDA graphs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GANConfig:
        data = dict(data)
        data.setdefault("output_chain", False)  # model files from before the chain
        data.setdefault("select_epoch", False)  # and from before the choice of epoch
        for key in ("generator_dims", "critic_dims", "betas"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)
