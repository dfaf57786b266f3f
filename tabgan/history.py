"""The training history as a reader sees it: epochs picked evenly from a long fit, a small
text table of the losses and the mode coverage, and the summary of a fitted model that
holds it (``describe()``, ``tabgan info``)."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["even_rows", "history_table", "model_summary", "TABLE_ROWS"]

TABLE_ROWS = 10  # epochs a text table shows at most
# (history column, heading, format)
_COLUMNS = [
    ("epoch", "epoch", "{:d}"),
    ("generator_loss", "generator loss", "{:.3f}"),
    ("critic_loss", "critic loss", "{:.3f}"),
    ("mode_coverage", "mode coverage", "{:.2f}"),
    ("seconds", "seconds", "{:.2f}"),
]


def even_rows(n: int, k: int) -> list[int]:
    """At most ``k`` positions of ``range(n)``, spread evenly, the first and last included."""
    if n <= k:
        return list(range(n))
    if k == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def history_table(history: pd.DataFrame, rows: int = TABLE_ROWS) -> str:
    """The history as a text table of at most ``rows`` epochs, evenly spread over the fit
    (the first and the last always among them); empty for an empty history."""
    if len(history) == 0:
        return ""
    columns = [c for c in _COLUMNS if c[0] in history.columns]
    picked = history.iloc[even_rows(len(history), rows)]
    cells = [[_cell(fmt, row[key]) for key, _, fmt in columns]
             for _, row in picked.iterrows()]
    widths = [max(len(title), *(len(r[i]) for r in cells))
              for i, (_, title, _) in enumerate(columns)]
    lines = ["  " + "  ".join(t.rjust(w) for (_, t, _), w in zip(columns, widths, strict=True))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    if len(picked) < len(history):
        lines.append(f"  ({len(picked)} of {len(history)} epochs, evenly spaced)")
    return "\n".join(lines)


def _cell(fmt: str, value) -> str:
    if fmt == "{:d}":
        return fmt.format(int(value))
    value = float(value)
    return fmt.format(value) if math.isfinite(value) else str(value)


def model_summary(*, metadata, constraints, history: pd.DataFrame, config, seconds: float,
                  sampled_epoch: int | None, ledger) -> str:
    """A fitted model in plain text: its columns (``metadata``) and ``constraints``, its
    training (``config``, ``history``, ``seconds``, the epoch whose weights sample), and the
    privacy guarantee of its ``ledger`` (None: no DP)."""
    lines = ["tabgan model", "", "columns:"]
    for column in metadata.columns:
        lines.append(f"  {column.name!s:<28} {column.kind}")
    if constraints:
        lines += ["", "constraints:", *(f"  {line}" for line in constraints.describe())]
    lines += [
        "",
        f"training: {len(history)} epoch{'' if len(history) == 1 else 's'}, "
        f"batch {config.batch_size}, pac {config.pac}"
        + (f", {seconds:.1f} s" if math.isfinite(seconds) else ""),
    ]
    if sampled_epoch is not None:
        lines.append(f"sampling with the weights of epoch {sampled_epoch}")
    lines += history_table(history).splitlines()
    lines += ["", "privacy: trained without differential privacy; no formal guarantee "
                  "holds." if ledger is None else ledger.describe()]
    return "\n".join(lines)
