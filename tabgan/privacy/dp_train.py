"""The DP trainer: DP-SGD on the critic, the generator as post-processing."""

from __future__ import annotations

import torch

from tabgan.encoding.layout import TableLayout
from tabgan.gan import distributed
from tabgan.gan.config import GANConfig
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.train import GANTrainer
from tabgan.privacy.clipping import clip_and_sum
from tabgan.privacy.randomness import secret_torch_generator

__all__ = ["DPGANTrainer"]


class DPGANTrainer(GANTrainer):
    """Training under differential privacy.

    The critic takes DP-SGD steps: rows are drawn by Poisson sampling at ``sample_rate``,
    each paired with a generated row under that row's own condition (record-anchored), and
    each record's whole WGAN-GP loss, its gradient penalty included, is clipped to
    ``max_grad_norm`` (pac is 1: one record per clipped sample). Opacus's optimizer adds the
    Gaussian noise and divides by the expected batch size, a public constant. The generator
    never sees real rows: it learns through the private critic, with conditions drawn from
    the private category counts, so it is post-processing.

    During the critic step the generator runs in eval mode: batch-norm statistics of the
    batch would otherwise let one record's condition change every other record's fake row.

    Randomness: the Poisson sampling, every draw of the critic step (conditions, fake rows,
    interpolation weights, dropout masks) and the DP-SGD noise come from ``secret``, a
    generator seeded from the system's secure source and never stored
    (:mod:`tabgan.privacy.randomness`); ``secure_mode`` adds Opacus's defence against
    floating-point attacks on the noise. ``generator`` (seeded by ``random_state``) drives
    only the generator steps, whose draws read no record. The history reports no critic
    loss: it is a mean over real rows, not noised.
    """

    reports_critic_loss = False

    def __init__(
        self,
        config: GANConfig,
        layout: TableLayout,
        sampler: ConditionalSampler,
        prior: ConditionalSampler,
        *,
        device: torch.device,
        generator: torch.Generator,
        noise_multiplier: float,
        max_grad_norm: float,
        sample_rate: float,
        expected_batch: int,
        secure_mode: bool = False,
        marginals: torch.Tensor | None = None,
        pairs: torch.Tensor | None = None,
    ):
        # Only private marginals, one- and two-way (never the real rows'), and no coverage
        # mask read from the real rows: every slot counts as present.
        super().__init__(config, layout, sampler, device=device, generator=generator,
                         marginals=marginals, present=None, pairs=pairs)
        from opacus.optimizers import (
            DistributedDPOptimizerFastGradientClipping,
            DPOptimizerFastGradientClipping,
        )

        self.prior = prior  # conditions from the private counts, for the generator step
        self.sample_rate = sample_rate
        self.max_grad_norm = max_grad_norm
        # A public constant (from the released row count), never the real number of rows.
        self.expected_batch = max(1, int(expected_batch))
        self.secret = secret_torch_generator(device)
        # Distributed: each rank divides its share by E / N, the ranks' results are summed
        # and divided by N: (sum of clipped gradients + noise) / E, as on one process.
        optimizer = (DistributedDPOptimizerFastGradientClipping if self.world > 1
                     else DPOptimizerFastGradientClipping)
        self.c_opt = optimizer(
            self.c_opt,
            noise_multiplier=noise_multiplier,
            max_grad_norm=max_grad_norm,
            expected_batch_size=self.expected_batch / self.world if self.world > 1
            else self.expected_batch,
            loss_reduction="mean",
            generator=self.secret,
            secure_mode=secure_mode,
        )
        self.steps_taken = 0

    def critic_step(self, batch: int) -> torch.Tensor:
        secret = self.secret
        rows, condition = self.sampler.anchored_batch(
            self.sample_rate, secret, shard=(distributed.rank(), self.world)
        )
        n = len(rows)
        self.c_opt.zero_grad(set_to_none=True)
        params = dict(self.critic.named_parameters())
        if n > 0:
            self.generator.eval()
            with torch.no_grad():
                z = self.noise(n, secret)
                if condition is not None:
                    z = torch.cat([z, condition.vector], dim=1)
                _, fake = self.activation.activate(self.generator(z), secret,
                                                   self.generator.chain)
            self.generator.train()
            real = self.sampler.data.dense(rows)
            if condition is not None:
                fake = torch.cat([fake, condition.vector], dim=1)
                real = torch.cat([real, condition.vector], dim=1)
            alpha = torch.rand(n, 1, generator=secret, device=self.device)
            clipped = clip_and_sum(
                self.critic, real, fake, alpha, self.config.gp_lambda, self.max_grad_norm,
                generator=secret,
            )
            for name, p in params.items():
                p.grad = clipped.grads[name].to(p.dtype)
        else:  # an empty Poisson batch still takes a (pure-noise) step
            for p in params.values():
                p.grad = torch.zeros_like(p)
        self.c_opt.step()
        self.steps_taken += 1
        # The loss over real rows is not noised, so it is not reported (see the history).
        return torch.zeros((), device=self.device)

    def _generator_batch(self, batch: int):
        condition = self.prior.train_condition(batch, self.rng)
        # The critic judged eval-mode fakes; train the generator on the same function.
        # A no-grad train-mode pass first keeps the batch-norm running statistics current
        # (on private-prior conditions only).
        with torch.no_grad():
            self._fake(batch, condition)
        self.generator.eval()
        raw, fake = self._fake(batch, condition, self._generator_ddp)
        self.generator.train()
        return condition, raw, fake

    def _conditions(self) -> ConditionalSampler:
        # The choice of epoch draws its probe's conditions by the private counts, as
        # sampling does: it reads released statistics only (post-processing).
        return self.prior

    def _wrap_critic(self, device: torch.device) -> torch.nn.Module:
        # No DDP: the distributed DP optimizer reduces the clipped, noised gradients. The
        # ranks only need to start from the same weights.
        distributed.broadcast_parameters(self.critic)
        return self.critic
