"""Privacy accounting: the accountant registry, composition, and noise calibration.

Every mechanism that touches the data is one ``(noise_multiplier, sample_rate, steps)``
entry of one Opacus accountant (RDP or PRV); a full-table Gaussian mechanism is
``(sigma, 1.0, 1)``. Calibration searches the smallest noise that keeps the composed epsilon
at or under a target, and checks it never overshoots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tabgan.errors import PrivacyError

__all__ = [
    "ACCOUNTANTS",
    "Mechanism",
    "RDP_ALPHAS",
    "compose_epsilon",
    "calibrate_noise",
    "preprocessing_noise",
    "default_delta",
    "DEFAULT_DELTA_RULE",
    "check_delta",
]


@dataclass
class Mechanism:
    """One line of the ledger: a mechanism as the accountant sees it."""

    stage: str  # "preprocessing", "marginals" or "training"
    name: str  # e.g. "histogram of 'age'", "critic DP-SGD"
    noise_multiplier: float  # noise standard deviation / sensitivity
    sample_rate: float = 1.0  # q: 1 for a query over the whole table
    steps: int = 1
    extra_delta: float = 0.0  # delta outside the accountant (thresholded category release)

    def entry(self) -> tuple[float, float, int]:
        return (float(self.noise_multiplier), float(self.sample_rate), int(self.steps))


# The accountants by name: classes of opacus.accountants, imported on first use.
_ACCOUNTANT_CLASSES = {"rdp": "RDPAccountant", "prv": "PRVAccountant"}
ACCOUNTANTS = tuple(_ACCOUNTANT_CLASSES)


def _accountant(name: str):
    if name not in _ACCOUNTANT_CLASSES:
        raise PrivacyError(f"unknown accountant {name!r}; use one of {sorted(ACCOUNTANTS)}.")
    import opacus.accountants

    return getattr(opacus.accountants, _ACCOUNTANT_CLASSES[name])()


# Opacus's RDP orders, extended upwards: small epsilons (a preprocessing share of 0.1, say)
# need orders above its default maximum of 63 to be certified at all.
RDP_ALPHAS = (
    [1 + x / 10.0 for x in range(1, 100)]
    + list(range(12, 64))
    + [80, 100, 128, 160, 200, 256, 320, 400, 512, 640, 800, 1024, 1600, 2048, 4096]
)


def compose_epsilon(
    mechanisms: Sequence[Mechanism], delta: float, accountant: str = "rdp"
) -> float:
    """Epsilon of all ``mechanisms`` composed, at the accountant's share of ``delta``."""
    entries = [m.entry() for m in mechanisms if m.steps > 0]
    if not entries:
        return 0.0
    acc = _accountant(accountant)
    acc.history = entries
    if accountant == "rdp":
        return float(acc.get_epsilon(delta=delta, alphas=RDP_ALPHAS))
    return float(acc.get_epsilon(delta=delta))


def calibrate_noise(
    *,
    target_epsilon: float,
    delta: float,
    sample_rate: float,
    steps: int,
    fixed: Sequence[Mechanism] = (),
    accountant: str = "rdp",
    tolerance: float = 1e-3,
) -> float:
    """The smallest noise multiplier (to ``tolerance`` relative) for DP-SGD with
    ``steps`` steps at rate ``sample_rate`` such that, composed with ``fixed``, epsilon
    stays at or below ``target_epsilon``. Never overshoots: the returned sigma is checked."""
    if compose_epsilon(list(fixed), delta, accountant) >= target_epsilon:
        problem = f"the preprocessing alone spends epsilon >= {target_epsilon}"
        raise PrivacyError(
            f"{problem}; lower preprocessing_share, or give public bounds and categories in "
            "the metadata.",
            cli=f"{problem}; give public bounds and categories in the --metadata file, or "
                "raise --epsilon.",
        )

    def eps(sigma: float) -> float:
        sgd = Mechanism("training", "critic DP-SGD", sigma, sample_rate, steps)
        return compose_epsilon([*fixed, sgd], delta, accountant)

    sigma = _smallest_sigma(eps, target_epsilon, tolerance)
    if sigma is None:
        raise PrivacyError(
            f"no noise level reaches epsilon {target_epsilon} with {steps} steps; train "
            "fewer epochs or raise epsilon."
        )
    return sigma


def _smallest_sigma(eps, target: float, tolerance: float) -> float | None:
    """Bisection (in log space) for the smallest sigma with eps(sigma) <= target; eps is
    decreasing in sigma. Numerical overflow counts as overshooting."""

    def over(sigma: float) -> bool:
        try:
            return not eps(sigma) <= target
        except (OverflowError, FloatingPointError, ValueError):
            return True

    low, high = 0.5, 1.0
    while over(high):
        low, high = high, high * 2
        if high > 1e7:
            return None
    while not over(low) and low > 1e-3:
        low, high = low / 2, low
    while high / low > 1 + tolerance:
        mid = math.sqrt(low * high)
        if over(mid):
            low = mid
        else:
            high = mid
    if over(high):  # pragma: no cover - guarded by the loop invariant
        raise AssertionError("calibration overshot")
    return high


def preprocessing_noise(
    count: int, epsilon: float, delta: float, accountant: str, tolerance: float = 1e-3,
    *, fixed: Sequence[Mechanism] = (),
) -> float:
    """Noise multiplier for ``count`` full-table Gaussian mechanisms that, composed with
    ``fixed``, cost ``epsilon``."""
    if count == 0:
        return math.inf

    def eps(sigma: float) -> float:
        return compose_epsilon(
            [*fixed, Mechanism("preprocessing", "", sigma, 1.0, count)], delta, accountant
        )

    sigma = _smallest_sigma(eps, epsilon, tolerance)
    if sigma is None:
        problem = f"epsilon {epsilon:g} is too small for {count} preprocessing queries"
        raise PrivacyError(
            f"{problem}; raise epsilon or preprocessing_share, or give public bounds and "
            "categories.",
            cli=f"{problem}; raise --epsilon, or give public bounds and categories in the "
                "--metadata file.",
        )
    return sigma


DEFAULT_DELTA_RULE = "min(1e-6, 1/(10 n))"


def default_delta(n_rows: int) -> float:
    """``min(1e-6, 1 / (10 n))``: small by any reading, and at least ten times below one
    over the number of records (``n`` is the released, noisy row count under DP)."""
    return min(1e-6, 1.0 / (10.0 * max(float(n_rows), 1.0)))


def check_delta(delta: float, n_rows: int) -> None:
    """Refuse a delta that is not below ``1 / n`` (``n``: the released row count)."""
    if not 0 < delta < 1.0 / n_rows:
        raise PrivacyError(
            f"delta={delta:g} is not below 1/n = {1.0 / n_rows:.3g} for about {n_rows} "
            "records. With delta >= 1/n a mechanism may publish a whole record and still "
            f"satisfy the definition; use a smaller delta, e.g. the default "
            f"{DEFAULT_DELTA_RULE} = {default_delta(n_rows):.3g}."
        )
