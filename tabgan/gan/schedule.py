"""How far training has come, by steps and by the clock, and the schedules that follow it:
the learning rates' decay and the span of the generator's weight average."""

from __future__ import annotations

import time

__all__ = ["Plan", "lr_factor"]


def lr_factor(progress: float, decay: float) -> float:
    """The learning rates' multiplier at ``progress`` (0 to 1): 1, then down linearly to a
    tenth over the last ``decay`` share of training (always 1 when ``decay`` is 0)."""
    if decay <= 0 or progress <= 1.0 - decay:
        return 1.0
    return max(0.1, 1.0 - 0.9 * (progress - (1.0 - decay)) / decay)


class Plan:
    """How far training has come, by steps (a number of epochs) and by the clock (a
    deadline): the larger share of the two, so that schedules end with the run."""

    def __init__(self, epochs: int | None, steps_per_epoch: int, deadline: float | None,
                 every: int = 1):
        self.total = None if epochs is None else epochs * steps_per_epoch
        self.deadline = deadline
        self.every = every  # steps between two looks at the clock
        self.start = time.perf_counter()
        self.done = self.base = 0

    def resume(self, done: int) -> None:
        """Start counting from ``done`` steps (a resumed fit); the pace is this run's."""
        self.done = self.base = done

    def step(self) -> None:
        self.done += 1

    def check_now(self) -> bool:
        return self.deadline is not None and self.done % self.every == 0

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def progress(self) -> float:
        by_steps = 0.0 if self.total is None else self.done / max(self.total, 1)
        if self.deadline is None:
            return by_steps
        span = max(self.deadline - self.start, 1e-9)
        return min(1.0, max(by_steps, (time.perf_counter() - self.start) / span))

    def planned_steps(self) -> int:
        """The steps the run will take: its epochs', or as many as the clock allows at the
        pace so far, whichever is fewer."""
        if self.deadline is None or self.done == self.base:
            return self.total if self.total is not None else 1000
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        by_clock = self.base + int((self.done - self.base) * (self.deadline - self.start)
                                   / elapsed)
        return by_clock if self.total is None else min(self.total, by_clock)
