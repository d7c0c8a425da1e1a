"""Charts as PNG images (matplotlib, without a display: the Agg canvas, no pyplot global state).

matplotlib is imported with the first chart: at start-up it cost the bot 1.1 s and ~40 MB for a
feature only staff use.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from functools import cache

# Bundled with matplotlib, so charts look the same on every machine. It has no complex-script
# shaping: text in scripts that need it (Thai, Devanagari, CJK, Arabic...) is drawn in English.
FONT = "DejaVu Sans"
BAR_COLOUR = "#2b6cb0"
HIGHLIGHT = "#c05621"
MAX_BARS = 10


@dataclass(frozen=True)
class Panel:
    title: str
    bars: list[tuple[str, int]]  # (label, value), drawn top to bottom
    highlight: frozenset[str] = frozenset()  # labels drawn in the second colour


@cache
def _drawable_characters() -> frozenset[int]:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=False)
    return frozenset(FT2Font(path).get_charmap())


def can_draw(texts: list[str]) -> bool:
    """True when the font has every character and none is written right to left."""
    drawable = _drawable_characters()
    return all(
        char.isspace() or (ord(char) in drawable and unicodedata.bidirectional(char) not in ("R", "AL"))
        for text in texts
        for char in text
    )


def panel_texts(title: str, panels: list[Panel]) -> list[str]:
    return [
        title,
        *(panel.title for panel in panels),
        *(label for panel in panels for label, _v in panel.bars),
    ]


def bar_charts_png(title: str, panels: list[Panel]) -> bytes:
    """Horizontal bar charts, two per row, sized to be read on a phone. CPU-bound: call it in a thread."""
    panels = [panel for panel in panels if panel.bars]
    rows = max(1, math.ceil(len(panels) / 2))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2 * rows + 0.6), dpi=110, layout="constrained")
    figure.set_facecolor("white")
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=15, fontweight="bold", fontfamily=FONT)
    axes = figure.subplots(rows, 2, squeeze=False).flatten()
    for ax, panel in zip(axes, panels, strict=False):
        bars = panel.bars[:MAX_BARS]
        labels = [_short(label) for label, _value in bars][::-1]
        values = [value for _label, value in bars][::-1]
        colours = [HIGHLIGHT if label in panel.highlight else BAR_COLOUR for label, _ in bars][::-1]
        drawn = ax.barh(labels, values, color=colours)
        ax.bar_label(drawn, padding=3, fontsize=9, fontfamily=FONT)
        ax.set_title(panel.title, fontsize=12, loc="left", fontfamily=FONT)
        ax.margins(x=0.18)
        ax.tick_params(axis="y", labelsize=9)
        for label in ax.get_yticklabels():
            label.set_fontfamily(FONT)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
