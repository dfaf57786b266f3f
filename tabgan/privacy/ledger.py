"""``PrivacyLedger``: every mechanism that touched the data, and what the guarantee covers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tabgan.privacy.accounting import Mechanism, compose_epsilon

__all__ = ["Mechanism", "PrivacyLedger"]

SCHEMA_VERSION = 1


@dataclass
class PrivacyLedger:
    """What was spent, on what, and what it covers."""

    target_epsilon: float
    delta: float  # the total delta of the guarantee
    accountant: str
    mechanisms: list[Mechanism] = field(default_factory=list)
    max_grad_norm: float = 1.0
    expected_batch_size: int = 0
    n_rows: int = 0
    secure_mode: bool = False
    public: list[str] = field(default_factory=list)  # what the metadata made public

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

    def describe(self) -> str:
        sgd = self.training()
        by_stage = self.epsilon_by_stage()
        lines = [
            f"privacy: ({self.epsilon:.3f}, {self.delta:.3g})-differential privacy for every "
            f"record of the {self.n_rows}-row training table (target epsilon "
            f"{self.target_epsilon:g}; {self.accountant.upper()} accountant).",
        ]
        for stage, eps in by_stage.items():
            lines.append(f"  {stage:<14} epsilon {eps:.3f} (on its own)")
        if sgd is not None:
            lines.append(
                f"  DP-SGD: noise multiplier {sgd.noise_multiplier:.4f}, sampling rate "
                f"{sgd.sample_rate:.5f} (Poisson), {sgd.steps} steps, clipping norm "
                f"{self.max_grad_norm:g}, expected batch {self.expected_batch_size}"
            )
        pre = [m for m in self.mechanisms if m.stage == "preprocessing"]
        if pre:
            lines.append(
                f"  preprocessing: {len(pre)} Gaussian mechanisms, noise multiplier "
                f"{pre[0].noise_multiplier:.3f}"
            )
        if self.public:
            lines.append(f"  public (from metadata, not charged): {', '.join(self.public)}")
        lines.append(
            "  covers: everything the released model and its samples reveal about any one "
            "record (add/remove adjacency). Not covered: the table's schema, its number of "
            "rows, and whatever the metadata declared public."
        )
        return "\n".join(lines)
