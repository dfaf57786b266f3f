"""The report's words: what a DP guarantee covers and what it does not, the statement for a
model without one, and the report's own limits. Kept apart from the numbers so that the
HTML and the JSON say the same thing."""

from __future__ import annotations

import math

__all__ = ["guarantee", "limits"]

NO_GUARANTEE = (
    "This model was trained without differential privacy: no formal guarantee holds. The "
    "attacks below show what these particular attackers achieve on this table; they cannot "
    "show that no other attack succeeds."
)
UNKNOWN_GUARANTEE = (
    "No model was given, so this report cannot tell how the synthetic table was made and "
    "states no formal guarantee. Give the model file (--model, or model= in Python) to "
    "include its privacy ledger."
)


def guarantee(ledger, *, model_given: bool) -> dict:
    """The guarantee section: its status, a headline in plain words, and the lists of what
    it covers and what it does not (empty without DP)."""
    if ledger is None:
        return {
            "status": "none" if model_given else "unknown",
            "statement": NO_GUARANTEE if model_given else UNKNOWN_GUARANTEE,
            "covers": [],
            "not_covered": [],
            "ledger": None,
        }
    eps, delta = float(ledger.epsilon), float(ledger.delta)
    odds = math.exp(eps) if eps < 700 else math.inf
    noisy = getattr(ledger, "row_count", "exact") == "noisy"
    table = (f"training table (about {ledger.n_rows:,} rows, a noisy count)" if noisy
             else f"{ledger.n_rows:,}-row training table")
    statement = (
        f"The released model and every table sampled from it satisfy ({eps:.3f}, "
        f"{delta:.3g})-differential privacy for every row of the {table}: whatever anyone "
        f"learns from them, their odds of telling whether a given row was in the table "
        f"change by a factor of at most e^epsilon = {odds:.3g}, except with probability "
        f"delta = {delta:.3g}."
    )
    covers = [
        "Every single row of the training table, whatever it holds: whether it was used, and "
        "the values in it (add/remove-one-row adjacency).",
        "Everything that read the real data: the preprocessing (ranges, category lists and "
        "frequencies) as well as the training of the networks.",
        "Everything computed from the model: the model file, every synthetic table sampled "
        "from it, and anything computed from those alone.",
    ]
    public = list(ledger.public)
    not_covered = [
        "People with several rows: the guarantee is per row, so a person with k rows is "
        "protected at about k times epsilon.",
        "The table's schema (column names, kinds, dtypes and date formats)"
        + ("; its number of rows is covered: it was released as a noisy count." if noisy
           else " and its number of rows."),
        "Facts the metadata declared public, which the model used without paying for them"
        + (f": {', '.join(public)}." if public else " (none were declared)."),
        "Settings tuned on the same real data: every trial run spends privacy that the "
        "ledger does not see.",
        "This report: it reads the real training and holdout rows, so its numbers are not "
        "covered by the guarantee. Share it only with people allowed to see aggregates of "
        "the real data.",
    ]
    if not ledger.secure_mode:
        not_covered.append(
            "Attacks on the floating-point representation of the noise: the model was "
            "trained without secure_mode."
        )
    return {
        "status": "dp",
        "statement": statement,
        "covers": covers,
        "not_covered": not_covered,
        "ledger": _ledger(ledger),
    }


def _ledger(ledger) -> dict:
    """The ledger's figures for the page: the composed epsilon, delta, accountant, and the
    DP-SGD and preprocessing mechanisms."""
    sgd = ledger.training()
    pre = [m for m in ledger.mechanisms if m.stage == "preprocessing"]
    return {
        "epsilon": float(ledger.epsilon),
        "target_epsilon": float(ledger.target_epsilon),
        "delta": float(ledger.delta),
        "accountant": ledger.accountant,
        "epsilon_by_stage": {k: float(v) for k, v in ledger.epsilon_by_stage().items()},
        "noise_multiplier": None if sgd is None else float(sgd.noise_multiplier),
        "sample_rate": None if sgd is None else float(sgd.sample_rate),
        "steps": None if sgd is None else int(sgd.steps),
        "max_grad_norm": float(ledger.max_grad_norm),
        "expected_batch_size": int(ledger.expected_batch_size),
        "n_rows": int(ledger.n_rows),
        "preprocessing_mechanisms": len(pre),
        "preprocessing_noise_multiplier": float(pre[0].noise_multiplier) if pre else None,
        "marginals_noise_multiplier": next((float(m.noise_multiplier) for m in
                                            ledger.mechanisms if m.stage == "marginals"), None),
        "public": list(ledger.public),
        "secure_mode": bool(ledger.secure_mode),
        "full": ledger.to_dict(),
    }


def limits(*, has_canaries: bool, min_category_count: int) -> list[str]:
    """What this report cannot tell, in plain words; it closes the page."""
    out = [
        "The attacks are particular attacks. A low success rate shows that these attackers "
        "fail on this table, not that every attacker would: only differential privacy "
        "bounds every attack.",
        "Every figure is measured on samples (at most 10,000 attacked rows of each kind by "
        "default) and carries sampling noise; about one 95% interval in twenty misses the "
        "true value.",
        "The holdout must be real rows that never trained the generator, drawn from the "
        "same population. If it overlaps the training rows, or comes from elsewhere, the "
        "privacy figures are wrong in ways the report cannot detect.",
        "The traffic-light thresholds are conventions of this report, chosen for the reasons "
        "given beside each; they are not legal or regulatory standards.",
        "The report reads the real data. It never prints a real row, but it names categories "
        f"that at least {min_category_count} real rows hold, draws histograms over the real "
        "range of every numeric column (whose ends are the real minimum and maximum), and "
        "gives aggregate rates.",
        "Fidelity and utility are judged against one holdout and one model family each; "
        "other analyses of the synthetic table may fare better or worse.",
    ]
    if has_canaries:
        out.append(
            "The canary audit trains a separate model with the same settings on the same "
            "table plus crafted canaries. Its figure is a lower bound: it can show that a "
            "privacy claim is false, never that it holds, and a bound of 0 is no evidence of "
            "privacy. Canaries are unusual records, so the bound speaks for unusual rows "
            "most of all."
        )
    else:
        out.append(
            "No canary audit was run (--canaries): the report has no empirical check of the "
            "privacy claim itself."
        )
    return out
