"""The training loop: critic steps, generator steps, per-epoch history and callbacks.

Everything inside an epoch stays on the device: batches come from the sampler's index
tensors, randomness from one ``torch.Generator``, and losses are accumulated as tensors
and read back once per epoch.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from tabgan.encoding.layout import TableLayout
from tabgan.gan import distributed
from tabgan.gan.activation import OutputActivation
from tabgan.gan.config import GANConfig
from tabgan.gan.marginals import between_spans, marginal_loss, pair_loss, span_draws
from tabgan.gan.model import Critic, Generator, conditional_loss, new_generator, wgan_gp_losses
from tabgan.gan.sampler import ConditionalSampler
from tabgan.gan.schedule import Plan, lr_factor
from tabgan.gan.select import EpochSelection

__all__ = ["GANTrainer", "EpochRecord"]

# One fused kernel per optimizer step instead of a dozen small ones per parameter.
_FAST_ADAM = {"fused": True}
# The wall-clock budget is checked inside an epoch too (an epoch of a large table can take
# minutes): after every step on one process; under torch.distributed every this many steps,
# since the ranks agree on it with a collective, so that all of them stop after one step.
BUDGET_CHECK_STEPS = 4


@dataclass
class EpochRecord:
    """One row of the training history."""

    epoch: int
    generator_loss: float
    critic_loss: float | None  # None where it is not reported (under DP: it reads real rows)
    mode_coverage: float  # share of the real data's categories and modes a batch covers
    seconds: float
    steps: int  # steps taken: steps_per_epoch, or fewer in an epoch cut short by the budget
    marginal_gap: float | None = None  # the sampling generator's, where probed (gan.select)


class GANTrainer:
    """Owns the generator, the critic and their optimizers for one fit."""

    # Whether the history reports the critic's loss: a mean over real rows, so a trainer
    # under differential privacy leaves it out.
    reports_critic_loss = True

    def __init__(
        self,
        config: GANConfig,
        layout: TableLayout,
        sampler: ConditionalSampler,
        *,
        device: torch.device,
        generator: torch.Generator,
        marginals: torch.Tensor | None = None,
        present: torch.Tensor | None = None,
        pairs: torch.Tensor | None = None,
    ):
        """``marginals`` is the target one-way marginal of every softmax position (share of
        rows hot at each category, mixture mode and null slot), that the generator's batch
        means are pulled towards (``config.marginal_weight``); ``present`` marks the
        positions that the mode-coverage figure counts (None: all); ``pairs`` the two-way
        marginals ``(P, P)`` of every two softmax spans, that the batch's are pulled towards
        (``config.pair_weight``). All are statistics of the fit: of the encoded rows without
        DP, private releases under DP."""
        self.config = config
        self.span_index = layout.index(device)
        self.sampler = sampler
        self.device = device
        self.rng = generator
        data_dim = layout.dim
        cond_dim = sampler.cond_dim
        self.generator = new_generator(config, layout, device).to(device)
        self.critic = Critic(
            data_dim + cond_dim, config.critic_dims, config.pac, config.dropout
        ).to(device)
        self.critic.rng = generator
        # Under a process group: the networks that carry gradients between ranks, and this
        # rank's share of every batch (see tabgan.gan.distributed).
        self.world = distributed.world_size()
        self.local_batch = config.batch_size // self.world
        self._generator_ddp = distributed.wrap(self.generator, device)
        self._critic_ddp = self._wrap_critic(device)
        self.activation = OutputActivation(self.span_index, config.gumbel_tau)
        self._setup_fast_paths()
        # An exponential moving average of the generator's weights: what sampling uses.
        self.ema_generator = None
        if config.generator_ema > 0:
            self.ema_generator = copy.deepcopy(self.generator).requires_grad_(False)
            self._ema_updates = 0
            self._ema_cap = 1.0
        self.g_opt = torch.optim.Adam(
            self.generator.parameters(),
            lr=config.generator_lr,
            betas=config.betas,
            weight_decay=config.generator_decay,
            **_FAST_ADAM,
        )
        self.c_opt = torch.optim.Adam(
            self.critic.parameters(),
            lr=config.critic_lr,
            betas=config.betas,
            weight_decay=config.critic_decay,
            **_FAST_ADAM,
        )
        n_soft = len(self.span_index.soft_index)
        self._target = None if marginals is None else marginals.to(device)
        self._marginals = self._target if config.marginal_weight > 0 else None
        self._present = (torch.ones(n_soft, dtype=torch.bool, device=device) if present is None
                         else present.to(device))
        self._pairs = None
        if config.pair_weight > 0 and pairs is not None:
            self._pairs = (pairs.to(device) * between_spans(self.span_index)).contiguous()

    def _wrap_critic(self, device: torch.device) -> torch.nn.Module:
        return distributed.wrap(self.critic, device)

    def _setup_fast_paths(self) -> None:
        """bf16 autocast for the forward passes; torch.compile (with CUDA graphs in its
        "reduce-overhead" mode) for the generator. The critic is not compiled: the gradient
        penalty differentiates it twice, which compiled graphs do not support."""
        cfg = self.config
        self._no_grad_generator = self.generator
        if cfg.torch_compile or cfg.cuda_graphs:
            mode = "reduce-overhead" if cfg.cuda_graphs else None
            self._generator_ddp = torch.compile(self._generator_ddp, mode=mode)
            self._no_grad_generator = torch.compile(self.generator, mode=mode)

    def _autocast(self):
        if not self.config.bf16_autocast:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    # ------------------------------------------------------------------ pieces
    def noise(self, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(batch, self.config.embedding_dim, device=self.device,
                           generator=self.rng if generator is None else generator)

    def _fake(self, batch: int, condition, network=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw and activated output of the generator (or of ``network``, its distributed
        wrapper) for ``condition``."""
        z = self.noise(batch)
        if condition is not None:
            z = torch.cat([z, condition.vector], dim=1)
        raw = (self._no_grad_generator if network is None else network)(z).float()
        return self.activation.activate(raw, self.rng, self.generator.chain)

    def critic_step(self, batch: int) -> torch.Tensor:
        with self._autocast():
            return self._critic_step(batch)

    def _critic_step(self, batch: int) -> torch.Tensor:
        condition = self.sampler.train_condition(batch, self.rng)
        with torch.no_grad():  # the critic step builds no generator gradients
            _, fake = self._fake(batch, condition)
        if condition is not None:
            perm = torch.randperm(batch, generator=self.rng, device=self.device)
            shuffled = type(condition)(*(t[perm] for t in
                                         (condition.vector, condition.column, condition.category)))
            real = self.sampler.real_batch(shuffled, batch, self.rng)
            fake = torch.cat([fake, condition.vector], dim=1)
            real = torch.cat([real, shuffled.vector], dim=1)
        else:
            real = self.sampler.real_batch(None, batch, self.rng)
        loss, penalty = wgan_gp_losses(self._critic_ddp, real, fake, self.rng,
                                       self.config.gp_lambda, pac=self.critic.pac)
        self.c_opt.zero_grad(set_to_none=True)
        (loss + penalty).backward()
        self.c_opt.step()
        return loss.detach()

    def _generator_batch(self, batch: int):
        """Conditions and generator output (raw, activated) for a generator step."""
        condition = self.sampler.train_condition(batch, self.rng)
        return (condition, *self._fake(batch, condition, self._generator_ddp))

    def generator_step(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        with self._autocast():
            condition, raw, fake = self._generator_batch(batch)
            loss = self._generator_loss(raw, fake, condition).float()
            weight = None if condition is None else condition.weight
            if self._marginals is not None:
                loss = loss + self.config.marginal_weight * self._marginal_loss(fake, weight)
            if self._pairs is not None:
                loss = loss + self.config.pair_weight * self._pair_loss(fake, weight)
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        self._update_ema()
        return loss.detach(), fake.detach()

    @torch.no_grad()
    def _update_ema(self) -> None:
        """Move the average towards the live weights. The decay ramps up from 0.1 as
        ``(1 + t) / (10 + t)`` to ``generator_ema``, and stays below ``1 - 10 / T`` for a
        fit of T planned generator steps (an average over about its last tenth), so that
        short fits are not dominated by early weights; batch-norm statistics are copied."""
        if self.ema_generator is None:
            return
        t = self._ema_updates
        decay = min(self.config.generator_ema, (1 + t) / (10 + t), self._ema_cap)
        self._ema_updates += 1
        live = list(self.generator.parameters())
        torch._foreach_lerp_(list(self.ema_generator.parameters()), live, 1.0 - decay)
        for mine, theirs in zip(self.ema_generator.buffers(), self.generator.buffers(),
                                strict=True):
            mine.copy_(theirs)

    @property
    def selection(self) -> EpochSelection | None:
        """The choice of the sampling weights among epochs (None: ``select_epoch`` off, or
        no target marginals)."""
        if not hasattr(self, "_selection"):
            on = self.config.select_epoch and self._target is not None
            self._selection = EpochSelection(
                self.span_index, self._conditions(), self._target, self._pairs,
                embedding_dim=self.config.embedding_dim) if on else None
        return self._selection

    def _conditions(self) -> ConditionalSampler:
        """The sampler of the conditions that sampling draws (by plain frequency)."""
        return self.sampler

    @property
    def sampling_generator(self) -> Generator:
        """The generator that samples: the weight average when there is one."""
        return self.generator if self.ema_generator is None else self.ema_generator

    def _generator_loss(self, raw, fake, condition) -> torch.Tensor:
        """``-mean D(fake) + conditional cross-entropy``, with the critic's parameters
        frozen so that no critic weight gradient is computed."""
        for p in self.critic.parameters():
            p.requires_grad_(False)
        try:
            if condition is not None:
                scores = self.critic(torch.cat([fake, condition.vector], dim=1))
                cross_entropy = conditional_loss(
                    raw, self.span_index, condition.column, condition.category
                )
            else:
                scores = self.critic(fake)
                cross_entropy = torch.zeros((), device=self.device)
            return -scores.mean() + cross_entropy
        finally:
            for p in self.critic.parameters():
                p.requires_grad_(True)

    def _marginal_loss(self, fake: torch.Tensor, weight: torch.Tensor | None = None
                       ) -> torch.Tensor:
        """The one-way marginal term (:func:`~tabgan.gan.marginals.marginal_loss`).
        ``weight`` is each row's importance weight (its condition's plain frequency over
        the log-frequency it was drawn by): weighted batch means estimate the table's,
        where plain means would over-hold the rare categories' rows."""
        soft = fake[:, self.span_index.soft_index]
        return marginal_loss(soft, self._marginals, self.span_index, weight)

    def _pair_loss(self, fake: torch.Tensor, weight: torch.Tensor | None = None
                   ) -> torch.Tensor:
        """The two-way term (:func:`~tabgan.gan.marginals.pair_loss`), weighted alike."""
        soft = fake[:, self.span_index.soft_index]
        return pair_loss(soft, self._pairs, self.span_index, weight)

    def coverage(self, fake: torch.Tensor) -> torch.Tensor:
        """Share of the present categories and modes that ``fake`` hits at least once."""
        hit = span_draws(fake[:, self.span_index.soft_index], self.span_index).any(dim=0)
        return (hit & self._present).sum() / self._present.sum().clamp_min(1)

    # ------------------------------------------------------------------ loop
    def fit(
        self,
        *,
        epochs: int | None,
        steps_per_epoch: int,
        deadline: float | None = None,
        callback: Callable[[EpochRecord], bool | None] | None = None,
        progress=None,
        start_epoch: int = 0,
    ) -> list[EpochRecord]:
        """Train for ``epochs`` (None: until ``deadline``) from ``start_epoch`` (the epochs a
        resumed fit has done already), stopping early at ``deadline`` (a ``time.perf_counter``
        value) or when ``callback`` returns True. The deadline is checked between steps as
        well as between epochs (see ``BUDGET_CHECK_STEPS``): a budget shorter than an epoch
        ends training within the epoch, whose record then has fewer ``steps``. Returns the
        history of the epochs trained."""
        if epochs is None and deadline is None:
            raise ValueError("training needs a number of epochs or a deadline")
        cfg = self.config
        batch = self.local_batch  # this rank's share of the batch
        history: list[EpochRecord] = []
        plan = Plan(epochs, steps_per_epoch, deadline,
                     every=BUDGET_CHECK_STEPS if distributed.active() else 1)
        self._set_ema_cap(plan.planned_steps())
        base_lr = [g["lr"] for g in self.g_opt.param_groups], [g["lr"] for g in
                                                                self.c_opt.param_groups]
        self.generator.train()
        self.critic.train()
        plan.resume(start_epoch * steps_per_epoch)
        epoch, done = start_epoch, False
        while not done and (epochs is None or epoch < epochs):
            start = time.perf_counter()
            g_sum = torch.zeros((), device=self.device)
            c_sum = torch.zeros((), device=self.device)
            fake = None
            steps = 0
            for _ in range(steps_per_epoch):
                self._set_lr(base_lr, plan.progress())
                for _ in range(cfg.critic_steps):
                    c_sum += self.critic_step(batch)
                for _ in range(cfg.generator_steps):
                    g_loss, fake = self.generator_step(batch)
                    g_sum += g_loss / cfg.generator_steps
                steps += 1
                plan.step()
                if steps < steps_per_epoch and plan.check_now() and distributed.agree(
                        plan.past_deadline()):
                    done = True  # every rank stops at the same step
                    break
            epoch += 1
            self._set_ema_cap(plan.planned_steps())
            cover = self.coverage(fake)
            values = torch.stack([g_sum / steps, c_sum / (steps * cfg.critic_steps), cover])
            values = distributed.mean_over_ranks(values).tolist()
            gap = None if self.selection is None else self.selection.consider(
                self.sampling_generator, self.activation, epoch=epoch,
                progress=plan.progress(), trained_rows=steps * cfg.batch_size,
                last=done or epoch == epochs or plan.past_deadline())
            record = EpochRecord(
                epoch=epoch,
                generator_loss=values[0],
                critic_loss=values[1] if self.reports_critic_loss else None,
                mode_coverage=values[2],
                seconds=time.perf_counter() - start,
                steps=steps,
                marginal_gap=gap,
            )
            history.append(record)
            if progress is not None:
                progress(record)
            stop = done or (callback is not None and bool(callback(record)))
            stop = stop or plan.past_deadline()
            if distributed.agree(stop):  # every rank stops after the same epoch
                break
        return history

    def state_dict(self) -> dict:
        """What the loop carries from one epoch to the next: the networks, the weight
        average, both optimizers, the batch generator (conditions, rows, noise, dropout,
        Gumbel draws) and the average's step count. Tensors stay references: save or copy
        them before training goes on."""
        state = {
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "generator_optimizer": self.g_opt.state_dict(),
            "critic_optimizer": self.c_opt.state_dict(),
            "rng": self.rng.get_state(),
        }
        if self.ema_generator is not None:
            state["ema_generator"] = self.ema_generator.state_dict()
            state["ema_updates"] = self._ema_updates
        if self.selection is not None:
            state["selection"] = self.selection.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` of a trainer built with the same settings."""
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.g_opt.load_state_dict(state["generator_optimizer"])
        self.c_opt.load_state_dict(state["critic_optimizer"])
        self.rng.set_state(state["rng"])
        if self.ema_generator is not None:
            self.ema_generator.load_state_dict(state["ema_generator"])
            self._ema_updates = int(state["ema_updates"])
        if self.selection is not None and "selection" in state:
            self.selection.load_state_dict(state["selection"])

    def _set_ema_cap(self, planned_steps: int) -> None:
        """The average spans at most about the last tenth of the planned generator steps."""
        self._ema_cap = 1.0 - 10.0 / max(planned_steps * self.config.generator_steps, 20)

    def _set_lr(self, base_lr, progress: float) -> None:
        """Both learning rates at ``progress`` (see :func:`lr_factor`)."""
        factor = lr_factor(progress, self.config.lr_decay)
        if factor == 1.0 and self.config.lr_decay <= 0:
            return
        for optimizer, lrs in zip((self.g_opt, self.c_opt), base_lr, strict=True):
            for group, lr in zip(optimizer.param_groups, lrs, strict=True):
                group["lr"] = lr * factor

