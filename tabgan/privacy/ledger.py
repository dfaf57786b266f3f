"""``PrivacyLedger``: every mechanism that touched the data, and what the guarantee covers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tabgan.privacy.accounting import Mechanism, compose_epsilon

__all__ = ["Mechanism", "PrivacyLedger", "ADJACENCY", "advise_bounds"]

SCHEMA_VERSION = 2
# The neighbouring relation every mechanism is accounted under (Opacus's accountants').
ADJACENCY = "add/remove one record"


@dataclass
class PrivacyLedger:
    """What was spent, on what, and what it covers."""

    target_epsilon: float
    delta: float  # the total delta of the guarantee
    accountant: str
    mechanisms: list[Mechanism] = field(default_factory=list)
    max_grad_norm: float = 1.0
    expected_batch_size: int = 0
    n_rows: int = 0  # the released (noisy) row count; the exact one in files of schema 1
    secure_mode: bool = False
    public: list[str] = field(default_factory=list)  # what the metadata made public
    adjacency: str = ADJACENCY
    row_count: str = "exact"  # "noisy": n_rows is the release of the 'row count' mechanism
    delta_rule: str = ""  # how delta was chosen: "given", the default's formula, "" unknown
    recipe: dict[str, Any] = field(default_factory=dict)  # settings the DP recipe chose
    # Numeric columns whose range was estimated privately (no public bounds): name, kind,
    # the released [low, high] and the metadata line that would declare it.
    estimated_ranges: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rules applied to released statistics

    @property
    def accountant_delta(self) -> float:
        return self.delta - sum(m.extra_delta for m in self.mechanisms)

    @property
    def epsilon(self) -> float:
        """Epsilon spent by everything in the ledger, composed."""
        return compose_epsilon(self.mechanisms, self.accountant_delta, self.accountant)

    def epsilon_by_stage(self) -> dict[str, float]:
        stages: dict[str, list[Mechanism]] = {}
        for m in self.mechanisms:
            stages.setdefault(m.stage, []).append(m)
        return {
            stage: compose_epsilon(ms, self.accountant_delta, self.accountant)
            for stage, ms in stages.items()
        }

    def training(self) -> Mechanism | None:
        return next((m for m in self.mechanisms if m.stage == "training"), None)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["schema_version"] = SCHEMA_VERSION
        out["epsilon"] = self.epsilon
        out["epsilon_by_stage"] = self.epsilon_by_stage()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PrivacyLedger:
        data = dict(data)
        for key in ("schema_version", "epsilon", "epsilon_by_stage"):
            data.pop(key, None)
        data["mechanisms"] = [Mechanism(**m) for m in data.get("mechanisms", [])]
        return cls(**data)

    def bounds_advice(self) -> str | None:
        """See :func:`advise_bounds`."""
        return advise_bounds(self.estimated_ranges)

    def describe(self) -> str:
        sgd = self.training()
        by_stage = self.epsilon_by_stage()
        rows = (f"about {self.n_rows} rows (a noisy count)" if self.row_count == "noisy"
                else f"{self.n_rows} rows")
        lines = [
            f"privacy: ({self.epsilon:.3f}, {self.delta:.3g})-differential privacy for every "
            f"record of the training table, {rows} (target epsilon {self.target_epsilon:g}; "
            f"{self.accountant.upper()} accountant; {self.adjacency} adjacency).",
        ]
        for stage, eps in by_stage.items():
            lines.append(f"  {stage:<14} epsilon {eps:.3f} (on its own)")
        if self.delta_rule:
            rule = ("given" if self.delta_rule == "given"
                    else f"the default {self.delta_rule}, with n the noisy row count")
            lines.append(f"  delta {self.delta:.3g}: {rule}")
        if sgd is not None:
            lines.append(
                f"  DP-SGD: noise multiplier {sgd.noise_multiplier:.4f}, sampling rate "
                f"{sgd.sample_rate:.5f} (Poisson), {sgd.steps} steps, clipping norm "
                f"{self.max_grad_norm:g}, expected batch {self.expected_batch_size}"
            )
        count = next((m for m in self.mechanisms if m.name == "row count"), None)
        pre = [m for m in self.mechanisms if m.stage == "preprocessing"]
        if count is not None:
            lines.append(
                f"  row count: one Gaussian mechanism, noise multiplier "
                f"{count.noise_multiplier:.3f}; the sampling rate, the steps, delta and the "
                "recipe are computed from the noisy count, never from the exact one"
            )
        if pre:
            lines.append(
                f"  preprocessing: {len(pre)} Gaussian mechanisms, noise multiplier "
                f"{pre[0].noise_multiplier:.3f}"
            )
        pairs = next((m for m in self.mechanisms if m.stage == "marginals"), None)
        if pairs is not None:
            lines.append(
                f"  {pairs.name}: one Gaussian mechanism over all their joint tables, noise "
                f"multiplier {pairs.noise_multiplier:.3f}; the generator's pair term reads "
                "these, never the rows"
            )
        if self.recipe:
            chosen = ", ".join(f"{k} {_shown(v)}" for k, v in self.recipe.items())
            lines.append(f"  recipe (settings left at their defaults, chosen for DP): {chosen}")
        if self.public:
            lines.append(f"  public (from metadata, not charged): {', '.join(self.public)}")
        lines += [f"  note: {note}" for note in self.notes]
        advice = self.bounds_advice()
        if advice:
            lines.append("  " + advice.replace("\n", "\n  "))
        lines.append(
            f"  covers: everything the released model and its samples reveal about any one "
            f"record ({self.adjacency} adjacency)"
            + (", the number of rows included (released as a noisy count)."
               if self.row_count == "noisy" else ".")
            + " Not covered: the table's schema (column names, kinds, dtypes, formats), "
            + ("" if self.row_count == "noisy" else "its number of rows, ")
            + "and whatever the metadata declared public."
        )
        return "\n".join(lines)


def advise_bounds(estimated_ranges: list[dict[str, Any]]) -> str | None:
    """Which columns got a privately estimated (coarse) range, why, and the metadata lines
    that declare public bounds instead; None when every range was public."""
    if not estimated_ranges:
        return None
    names = ", ".join(repr(r["name"]) for r in estimated_ranges)
    lines = [
        f"coarse ranges: {names} had no public bounds in the metadata, so each range was "
        "estimated from noisy histograms (their noise hides every single record, so the "
        "estimate is coarse, and values beyond it are clipped to it). Declare each column's "
        "public range (from its definition, a form's validation or a standard, never from "
        "the data) in the metadata's \"columns\", e.g. starting from these released "
        "estimates:",
    ]
    lines += [f"    {r['metadata']}" for r in estimated_ranges]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)
