"""The training progress bar: the epoch, the losses and the mode coverage (under DP, the
generator's loss only: the critic's is a mean over real rows)."""

from __future__ import annotations

from tabgan.gan.train import EpochRecord

__all__ = ["ProgressBar"]


class ProgressBar:
    """A tqdm bar over epochs; ``update`` is the trainer's per-epoch ``progress`` hook."""

    def __init__(self, total: int | None, initial: int = 0):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=initial, desc="training", unit="epoch",
                        leave=True)

    def update(self, record: EpochRecord) -> None:
        shown = {"G": f"{record.generator_loss:.3f}"}
        if record.critic_loss is not None:  # None under DP: it reads real rows
            shown["C"] = f"{record.critic_loss:.3f}"
        self.bar.set_postfix(**shown, cover=f"{record.mode_coverage:.2f}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
