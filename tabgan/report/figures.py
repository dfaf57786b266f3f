"""The report's plots, one function each: matplotlib figures drawn off-screen (no pyplot,
no global backend) and embedded as PNG data URIs, so the page needs no other file.

Every plot draws numbers the evaluation, the canary audit or the model's training history
already holds: marginal shares, pair scores, ROC points, histogram counts, losses by epoch.
Nothing is computed from rows here.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

from tabgan.evaluate.result import Evaluation, Marginal

__all__ = ["Plot", "PLOTS", "figures", "available"]

REAL, SYNTHETIC, HOLDOUT = "#4d4d4d", "#1f6fb4", "#e08a1e"
DPI = 80
_GRID_COLUMNS = 3
_LABEL_CHARS = 14
_SECONDS_PER_YEAR = 365.2425 * 86400


# key -> (title, where the plotted numbers sit in the report's JSON)
PLOTS: dict[str, tuple[str, str]] = {
    "marginals": ("Every column, real against synthetic", "evaluation.fidelity.marginals"),
    "pair_trends": ("Pair trends: how far each pair's relationship is off",
                    "evaluation.fidelity.pairs"),
    "utility": ("Utility: trained on synthetic vs trained on real",
                "evaluation.utility.models"),
    "roc": ("Membership attacks: ROC on log-log axes", "evaluation.privacy.membership[].roc"),
    "distances": ("Distances from synthetic rows to real rows",
                  "evaluation.privacy.dcr.histogram, evaluation.privacy.nndr.histogram"),
    "canaries": ("Canary scores", "canaries.score_histogram"),
    "training": ("Training: losses and mode coverage by epoch", "training"),
}


@dataclass
class Plot:
    key: str
    title: str
    alt: str
    uri: str  # data:image/png;base64,...

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "alt": self.alt}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _uri(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\u2026"


# ---------------------------------------------------------------------- fidelity
def marginals(ev: Evaluation) -> Plot | None:
    """Real against synthetic shares of every column: histograms over the real range for
    numbers and dates, bars of the most frequent real categories otherwise."""
    items = [] if ev.fidelity is None else ev.fidelity.marginals
    if not items:
        return None
    rows = math.ceil(len(items) / _GRID_COLUMNS)
    fig = _figure(12.0, 2.7 * rows)
    axes = np.atleast_1d(fig.subplots(rows, _GRID_COLUMNS)).ravel()
    for ax, marginal in zip(axes, items, strict=False):
        if marginal.kind == "categorical":
            _bars(ax, marginal)
        else:
            _histogram(ax, marginal)
    for ax in axes[len(items):]:
        ax.set_visible(False)
    handles = [
        _patch(REAL, "real (train)"),
        _patch(SYNTHETIC, "synthetic"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncols=2, frameon=False)
    return Plot("marginals", PLOTS["marginals"][0],
                f"Small multiples: the share of rows per bin or category, real and synthetic, "
                f"for each of {len(items)} columns.", _uri(fig))


def _patch(color: str, label: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=color, alpha=0.6, label=label)


def _bars(ax, m: Marginal) -> None:
    keep = [i for i, label in enumerate(m.labels)
            if not (label.startswith("(") and m.real[i] == 0 and m.synthetic[i] == 0)]
    x = np.arange(len(keep))
    ax.bar(x - 0.2, [m.real[i] for i in keep], 0.4, color=REAL, alpha=0.6)
    ax.bar(x + 0.2, [m.synthetic[i] for i in keep], 0.4, color=SYNTHETIC, alpha=0.8)
    ax.set_xticks(x, [_short(m.labels[i]) for i in keep], rotation=90, fontsize=6)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(str(m.column), fontsize=9)


def _histogram(ax, m: Marginal) -> None:
    edges = np.asarray(m.edges, dtype=np.float64)
    n_bins = len(edges) - 1
    scale = 1.0 / _SECONDS_PER_YEAR if m.kind == "datetime" else 1.0
    offset = 1970.0 if m.kind == "datetime" else 0.0
    x = edges * scale + offset
    if n_bins >= 1 and x[-1] > x[0]:
        ax.stairs(m.real[:n_bins], x, fill=True, color=REAL, alpha=0.5)
        ax.stairs(m.synthetic[:n_bins], x, color=SYNTHETIC, linewidth=1.5)
    else:  # a constant real column: one bar each
        ax.bar([0, 1], [sum(m.real[:n_bins]), sum(m.synthetic[:n_bins])],
               color=[REAL, SYNTHETIC], alpha=0.6)
    ax.tick_params(labelsize=7)
    outside = sum(m.synthetic[n_bins:n_bins + 2])
    null_real, null_syn = m.real[-1], m.synthetic[-1]
    notes = []
    if outside > 0:
        notes.append(f"outside range {outside:.1%}")
    if null_real > 0 or null_syn > 0:
        notes.append(f"null {null_real:.1%} / {null_syn:.1%}")
    title = str(m.column) + (" (year)" if m.kind == "datetime" else "")
    ax.set_title(title + ("\n" + ", ".join(notes) if notes else ""), fontsize=9)


def pair_trends(ev: Evaluation) -> Plot | None:
    """Heatmaps of 1 - pair-trend score for every pair: synthetic, and the holdout reference
    on the same colour scale."""
    pairs = [] if ev.fidelity is None else ev.fidelity.pairs
    if not pairs:
        return None
    names = [str(c["name"]) for c in ev.info.columns]
    index = {name: i for i, name in enumerate(names)}
    k = len(names)
    synthetic = np.full((k, k), np.nan)
    reference = np.full((k, k), np.nan)
    for p in pairs:
        i, j = index[str(p.columns[0])], index[str(p.columns[1])]
        for matrix, value in ((synthetic, p.score.value), (reference, p.score.reference)):
            if value is not None:
                matrix[i, j] = matrix[j, i] = 1.0 - value
    panels = [("synthetic", synthetic)]
    if not np.isnan(reference).all():
        panels.append(("holdout reference", reference))
    top = max(0.05, float(np.nanmax([np.nanmax(m) for _, m in panels])))
    size = max(4.0, 0.32 * k + 2.0)
    fig = _figure(size * len(panels) + 0.8, size)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    image = None
    for ax, (title, matrix) in zip(axes, panels, strict=True):
        image = ax.imshow(matrix, vmin=0.0, vmax=top, cmap="viridis")
        ax.set_xticks(range(k), [_short(n) for n in names], rotation=90, fontsize=7)
        ax.set_yticks(range(k), [_short(n) for n in names], fontsize=7)
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="1 - pair-trend score (0 = same trend)")
    return Plot("pair_trends", PLOTS["pair_trends"][0],
                "Heatmaps of one minus the pair-trend score of every pair of columns, for the "
                "synthetic table and for the holdout reference.", _uri(fig))


# ---------------------------------------------------------------------- utility
def utility(ev: Evaluation) -> Plot | None:
    """TSTR against TRTR for every model and every bounded metric."""
    u = ev.utility
    if u is None:
        return None
    bars = [(f"{m.model}\n{metric}", s.value, s.reference)
            for m in u.models for metric, s in m.scores.items()
            if metric != "mae" and s.value is not None]
    if not bars:
        return None
    fig = _figure(max(5.0, 1.1 * len(bars) + 1.5), 3.2)
    ax = fig.subplots()
    x = np.arange(len(bars))
    ax.bar(x - 0.2, [b[2] if b[2] is not None else np.nan for b in bars], 0.4, color=REAL,
           alpha=0.6, label="TRTR: trained on real")
    ax.bar(x + 0.2, [b[1] for b in bars], 0.4, color=SYNTHETIC, alpha=0.8,
           label="TSTR: trained on synthetic")
    ax.set_xticks(x, [b[0] for b in bars], fontsize=8)
    ax.set_ylim(min(0.0, *(b[1] for b in bars)), 1.0)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"predicting {u.target} on real test rows", fontsize=10)
    return Plot("utility", PLOTS["utility"][0],
                "Bars of each model's score when trained on synthetic rows and when trained "
                "on real rows, both tested on the same real rows.", _uri(fig))


# ---------------------------------------------------------------------- privacy
def roc(ev: Evaluation) -> Plot | None:
    """Membership attacks' ROC curves on log-log axes, with the chance line."""
    attacks = [] if ev.privacy is None else ev.privacy.membership
    if not attacks:
        return None
    fig = _figure(5.2, 4.6)
    ax = fig.subplots()
    low = 1.0
    for attack, color in zip(attacks, (SYNTHETIC, HOLDOUT, REAL, "#2ca02c"), strict=False):
        fpr = np.asarray(attack.roc["fpr"], dtype=np.float64)
        tpr = np.asarray(attack.roc["tpr"], dtype=np.float64)
        keep = (fpr > 0) & (tpr > 0)
        if keep.any():
            ax.loglog(fpr[keep], tpr[keep], color=color, linewidth=1.5,
                      label=f"{attack.name.replace('_', ' ')} (AUC {attack.auc.value:.3f})")
            low = min(low, float(fpr[keep].min()))
        low = min(low, 1.0 / max(attack.n_non_members, 1))
    low = max(low, 1e-5)
    ax.loglog([low, 1.0], [low, 1.0], color="#999999", linestyle="--", label="chance")
    ax.set_xlim(low, 1.0)
    ax.set_ylim(low, 1.0)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="major", alpha=0.3)
    return Plot("roc", PLOTS["roc"][0],
                "ROC curves of the membership-inference attacks on log-log axes; the dashed "
                "diagonal is guessing.", _uri(fig))


def distances(ev: Evaluation) -> Plot | None:
    """Distance to the closest real row from each synthetic row, train against holdout; and
    the nearest-neighbour distance ratio, synthetic against holdout."""
    p = ev.privacy
    if p is None or p.dcr is None:
        return None
    panels = [("distance to closest record", p.dcr.histogram,
               {"synthetic_to_train": ("to the closest train row", SYNTHETIC),
                "synthetic_to_holdout": ("to the closest holdout row", HOLDOUT)})]
    if p.nndr is not None:
        panels.append(("nearest-neighbour distance ratio", p.nndr.histogram,
                       {"synthetic": ("synthetic rows", SYNTHETIC),
                        "holdout": ("holdout rows", HOLDOUT)}))
    fig = _figure(5.0 * len(panels), 3.4)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (title, hist, series) in zip(axes, panels, strict=True):
        edges = np.asarray(hist.edges, dtype=np.float64)
        for key, (label, color) in series.items():
            counts = np.asarray(hist.counts.get(key, []), dtype=np.float64)
            if counts.size and counts.sum() > 0:
                ax.stairs(counts / counts.sum(), edges, color=color, linewidth=1.5, label=label)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("share of rows", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=8)
    return Plot("distances", PLOTS["distances"][0],
                "Histograms of the distance from each synthetic row to its closest train row "
                "and to its closest holdout row, and of the nearest-neighbour distance ratio.",
                _uri(fig))


def canaries(audit) -> Plot | None:
    """Canary scores, included against excluded canaries."""
    if audit is None:
        return None
    hist = audit.score_histogram
    edges = np.asarray(hist["edges"], dtype=np.float64)
    fig = _figure(5.2, 3.2)
    ax = fig.subplots()
    ax.stairs(hist["counts"]["included"], edges, color=SYNTHETIC, linewidth=1.5,
              label=f"included ({audit.n_included})")
    ax.stairs(hist["counts"]["excluded"], edges, color=REAL, linewidth=1.5, linestyle="--",
              label=f"excluded ({audit.n_canaries - audit.n_included})")
    ax.set_xlabel("score: synthetic density at the canary (higher: guessed included)",
                  fontsize=8)
    ax.set_ylabel("canaries", fontsize=8)
    ax.legend(fontsize=8)
    return Plot("canaries", PLOTS["canaries"][0], "Histograms of the canary scores of the included "
                "and of the excluded canaries.", _uri(fig))


# ---------------------------------------------------------------------- training
def training(section: dict | None) -> Plot | None:
    """The generator's and the critic's losses, and the mode coverage, by epoch (the
    report's ``training`` section)."""
    if section is None:
        return None
    epochs = np.asarray(section["epoch"], dtype=np.float64)

    def series(key: str) -> np.ndarray:
        return np.asarray([np.nan if v is None else v for v in section.get(key, [])],
                          dtype=np.float64)

    fig = _figure(10.0, 3.2)
    losses, coverage = fig.subplots(1, 2)
    marker = "o" if len(epochs) <= 30 else None
    losses.plot(epochs, series("generator_loss"), color=SYNTHETIC, marker=marker,
                markersize=3, label="generator")
    if section.get("critic_loss"):  # not under DP: a mean over real rows, not noised
        losses.plot(epochs, series("critic_loss"), color=REAL, marker=marker, markersize=3,
                    label="critic")
    losses.set_title("losses", fontsize=10)
    losses.legend(fontsize=8)
    coverage.plot(epochs, series("mode_coverage"), color=HOLDOUT, marker=marker, markersize=3)
    coverage.set_ylim(0.0, 1.02)
    coverage.set_title("mode coverage: share of the categories and modes a batch hits",
                       fontsize=10)
    for ax in (losses, coverage):
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
    shown = section["epochs_shown"]
    every = "" if shown == section["epochs_trained"] else f" ({shown} epochs, evenly spaced)"
    return Plot("training", PLOTS["training"][0],
                f"Line plots of the generator and critic losses and of the mode coverage over "
                f"{section['epochs_trained']} epochs of training{every}.", _uri(fig))


def available(evaluation: Evaluation, canary_audit=None, training=None) -> list[str]:
    """The keys of the plots :func:`figures` draws for these results, without drawing."""
    ev = evaluation
    has = {
        "marginals": ev.fidelity is not None and bool(ev.fidelity.marginals),
        "pair_trends": ev.fidelity is not None and bool(ev.fidelity.pairs),
        "utility": ev.utility is not None,
        "roc": ev.privacy is not None and bool(ev.privacy.membership),
        "distances": ev.privacy is not None and ev.privacy.dcr is not None,
        "canaries": canary_audit is not None,
        "training": training is not None,
    }
    return [key for key in PLOTS if has[key]]


def figures(evaluation: Evaluation, canary_audit=None, training_history=None
            ) -> dict[str, Plot]:
    """Every plot the data allows, by key (``training_history``: the report's training
    section)."""
    out: dict[str, Plot] = {}
    for make in (marginals, pair_trends, utility, roc, distances):
        plot = make(evaluation)
        if plot is not None:
            out[plot.key] = plot
    for plot in (canaries(canary_audit), training(training_history)):
        if plot is not None:
            out[plot.key] = plot
    return out
