"""Charts as PNG bytes, drawn with matplotlib's object API (no pyplot: no global state, safe on
the Slack bot's worker threads)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from engine.proposals import TierRow

_ACCOUNTS_COLOUR = "#7f8c8d"
_ARR_COLOUR = "#2c7fb8"


def segment_chart(table: Sequence[TierRow], curve: Sequence[tuple[float, float]], *, title: str) -> bytes:
    """Tier mix (share of accounts and of ARR per tier) beside the ARR concentration curve."""
    # Imported here: matplotlib takes half a second to import, and only charts need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    mix, concentration = figure.subplots(1, 2, width_ratios=(1.2, 1))
    figure.suptitle(title, fontsize=12)

    tiers = [row.tier for row in table]
    positions = range(len(tiers))
    width = 0.38
    mix.bar(
        [p - width / 2 for p in positions],
        [r.account_share * 100 for r in table],
        width,
        label="% of accounts",
        color=_ACCOUNTS_COLOUR,
    )
    mix.bar(
        [p + width / 2 for p in positions],
        [r.arr_share * 100 for r in table],
        width,
        label="% of ARR",
        color=_ARR_COLOUR,
    )
    mix.set_xticks(list(positions), tiers, rotation=20 if len(tiers) > 4 else 0)
    mix.set_ylabel("% of total")
    mix.set_title("Tier mix", fontsize=10)
    mix.legend(frameon=False)
    mix.spines[["top", "right"]].set_visible(False)

    xs = [x * 100 for x, _ in curve]
    ys = [y * 100 for _, y in curve]
    concentration.plot(xs, ys, color=_ARR_COLOUR, linewidth=2, label="accounts, largest first")
    concentration.plot([0, 100], [0, 100], color=_ACCOUNTS_COLOUR, linestyle="--", linewidth=1, label="all equal")
    for mark in (10, 20):
        held = _at(curve, mark / 100) * 100
        concentration.annotate(
            f"top {mark}%: {held:.0f}% of ARR",
            (mark, held),
            xytext=(mark + 8, held - 12),
            arrowprops={"arrowstyle": "-", "color": "#555555"},
            fontsize=8,
        )
    concentration.set_xlabel("% of accounts")
    concentration.set_ylabel("% of ARR")
    concentration.set_xlim(0, 100)
    concentration.set_ylim(0, 102)
    concentration.set_title("ARR concentration", fontsize=10)
    concentration.legend(frameon=False, loc="lower right", fontsize=8)
    concentration.spines[["top", "right"]].set_visible(False)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _at(curve: Sequence[tuple[float, float]], share: float) -> float:
    """The curve's ARR share at an account share (the nearest point)."""
    return min(curve, key=lambda point: abs(point[0] - share))[1]
