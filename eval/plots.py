"""PNG plots of an evaluation run: answer quality by question type (with 95 % intervals and
counts), abstention curve, latency histogram (warm questions), reliability diagram and
confidence histogram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from eval.answer_metrics import AnswerOutcome
from eval.calibration import CalibrationBin, calibration_summary
from eval.report import fmt_number
from eval.tables import by_attribute, rate


def write_plots(outcomes: list[AnswerOutcome], curve: list[tuple[float, float, float]],
                out: Path) -> list[str]:
    """PNG plots: metrics by question type, abstention curve, latency histogram, reliability
    diagram and confidence histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    groups = by_attribute(outcomes, "type")
    types = [t for t in groups if t != "all"]
    metrics = ["fact_coverage", "citation_precision", "abstention_unanswerable"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(metrics)
    for i, m in enumerate(metrics):
        rates = [rate(groups[t], m) for t in types]
        vals = np.array([v if v is not None else np.nan for v, _, _ in rates])
        lo = np.array([ci[0] if ci else np.nan for _, ci, _ in rates])
        hi = np.array([ci[1] if ci else np.nan for _, ci, _ in rates])
        x = np.arange(len(types)) + i * width
        ax.bar(x, vals, width, yerr=np.nan_to_num([vals - lo, hi - vals]), capsize=2,
               label=m.replace("_", " "))
        for xi, (_, _, count) in zip(x, rates, strict=True):
            if count:
                ax.annotate(f"n={count}", (xi, 0.02), ha="center", fontsize=6, rotation=90)
    ax.set_xticks(np.arange(len(types)) + width,
                  [f"{t}\n(n={len(groups[t])})" for t in types])
    ax.set_ylim(0, 1.08)
    ax.set_title("Answer quality by question type (bars: 95 % bootstrap interval)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "metrics_by_type.png", dpi=110)
    names.append("metrics_by_type.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    t, un, an = zip(*curve, strict=True)
    ax.plot(t, un, label="abstention on unanswerable (want high)")
    ax.plot(t, an, label="false abstention on answerable (want low)")
    ax.set_xlabel("confidence threshold")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Abstention threshold")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "abstention_curve.png", dpi=110)
    names.append("abstention_curve.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    warm = [o.latency_ms for o in outcomes if not o.warmup]
    ax.hist(warm, bins=20)
    ax.set_xlabel("rag ask latency (ms, warm)")
    ax.set_ylabel("questions")
    ax.set_title(f"Latency (n={len(warm)}, warm-up questions excluded)")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    names.append("latency.png")
    plt.close("all")
    names += write_calibration_plots(outcomes, calibration_summary(outcomes), out)
    return names


def write_calibration_plots(outcomes: list[AnswerOutcome], cal: dict[str, Any], out: Path
                            ) -> list[str]:
    """``reliability.png`` (answered questions: share right vs mean confidence per bin, with
    the diagonal and bin counts) and ``confidence_hist.png`` (right, wrong, abstained)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins: list[CalibrationBin] = cal["bins"]
    full = [b for b in bins if b.count]
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    if full:
        width = bins[0].hi - bins[0].lo
        ax.bar([b.lo for b in full], [b.share_right for b in full], width=width, align="edge",
               alpha=0.35, edgecolor="tab:blue", label="share right (bin)")
        ax.plot([b.mean_confidence for b in full], [b.share_right for b in full], "o-",
                color="tab:blue", label="share right at mean confidence")
        for b in full:
            ax.annotate(f"n={b.count}", ((b.lo + b.hi) / 2, min(b.share_right + 0.03, 1.04)),
                        ha="center", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no answered question", ha="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence")
    ax.set_ylabel("observed share right")
    ax.set_title(f"Reliability ({cal['n_answered']} answered): ECE {fmt_number(cal['ece'])}, "
                 f"Brier {fmt_number(cal['brier'])}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=110)

    answered = [o for o in outcomes if not o.abstained]
    series = {"right answers": [o.confidence for o in answered if o.right],
              "wrong answers": [o.confidence for o in answered if not o.right],
              "abstentions": [o.confidence for o in outcomes if o.abstained]}
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([np.clip(v, 0, 1) for v in series.values()], bins=np.linspace(0, 1, 21),
            label=[f"{k} (n={len(v)})" for k, v in series.items()],
            color=["tab:green", "tab:red", "tab:grey"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("questions")
    ax.set_title("Confidence of right vs wrong answers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "confidence_hist.png", dpi=110)
    plt.close("all")
    return ["reliability.png", "confidence_hist.png"]
