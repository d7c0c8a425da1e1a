"""Charts as PNG images (matplotlib, without a display: the Agg canvas, no pyplot global state).

matplotlib is imported with the first chart: at start-up it cost the bot 1.1 s and ~40 MB for a
feature only staff use.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


def panel_texts(title: str, panels: list[Panel], subtitle: str = "") -> list[str]:
    return [
        title,
        subtitle,
        *(panel.title for panel in panels),
        *(label for panel in panels for label, _v in panel.bars),
    ]


# The layout, in inches. Every bar has the same thickness whatever the count: the figure grows
# with the bars, instead of a lone bar filling a whole panel.
WIDTH = 9.0
DPI = 110
BAR_SLOT = 0.34  # the height each bar takes
BAR_THICKNESS = 0.62  # of its slot
_MARGIN = 0.15
_TITLE_HEIGHT = 0.45
_SUBTITLE_HEIGHT = 0.3
_PANEL_TITLE_HEIGHT = 0.42
_ROW_GAP = 0.3
_LABEL_GAP = 0.12
_TITLE_SIZE, _SUBTITLE_SIZE, _PANEL_TITLE_SIZE, _LABEL_SIZE = 15, 11, 12, 9


def bar_charts_png(title: str, panels: list[Panel], subtitle: str = "") -> bytes:
    """Horizontal bar charts, two per row, sized to be read on a phone. CPU-bound: call it in a thread."""
    figure = bar_charts_figure(title, panels, subtitle)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def bar_charts_figure(title: str, panels: list[Panel], subtitle: str = "") -> Figure:
    """The matplotlib figure of `bar_charts_png`, laid out by hand: each row of panels as tall as
    its longest panel's bars, each panel's labels measured to place its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    panels = [panel for panel in panels if panel.bars]
    rows = [panels[index : index + 2] for index in range(0, len(panels), 2)]
    slots = [max(min(len(panel.bars), MAX_BARS) for panel in row) for row in rows]
    header = _TITLE_HEIGHT + (_SUBTITLE_HEIGHT if subtitle else 0) + _MARGIN
    height = header + sum(_PANEL_TITLE_HEIGHT + count * BAR_SLOT + _ROW_GAP for count in slots)
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    figure.set_facecolor("white")
    renderer = FigureCanvasAgg(figure).get_renderer()

    def text_width(text: str, size: float, weight: str = "normal") -> float:
        """In inches."""
        font = FontProperties(family=FONT, size=size, weight=weight)
        return renderer.get_text_width_height_descent(text, font, ismath=False)[0] / DPI

    def at(x: float, y_from_top: float) -> tuple[float, float]:
        return x / WIDTH, 1 - y_from_top / height

    # A long event name is made smaller to fit the width rather than cut.
    room = WIDTH - 2 * _MARGIN
    title_size = max(
        9.0, min(_TITLE_SIZE, _TITLE_SIZE * room / max(text_width(title, _TITLE_SIZE, "bold"), 0.01))
    )
    figure.text(
        *at(_MARGIN, _MARGIN), title, fontsize=title_size, fontweight="bold", fontfamily=FONT, va="top"
    )
    if subtitle:
        figure.text(
            *at(_MARGIN, _MARGIN + _TITLE_HEIGHT),
            subtitle,
            fontsize=_SUBTITLE_SIZE,
            fontfamily=FONT,
            va="top",
        )
    top = header
    column_width = WIDTH / 2
    for row, count in zip(rows, slots, strict=True):
        for column, panel in enumerate(row):
            bars = panel.bars[:MAX_BARS]
            labels = [_short(label) for label, _value in bars]
            values = [value for _label, value in bars]
            left = column * column_width + _MARGIN + max(text_width(label, _LABEL_SIZE) for label in labels)
            left += _LABEL_GAP
            right = (column + 1) * column_width - _MARGIN
            bottom = top + _PANEL_TITLE_HEIGHT + count * BAR_SLOT
            ax = figure.add_axes(
                (left / WIDTH, 1 - bottom / height, (right - left) / WIDTH, count * BAR_SLOT / height)
            )
            colours = [HIGHLIGHT if label in panel.highlight else BAR_COLOUR for label, _value in bars]
            drawn = ax.barh(range(len(bars)), values, height=BAR_THICKNESS, color=colours)
            ax.bar_label(drawn, padding=3, fontsize=_LABEL_SIZE, fontfamily=FONT)
            # One slot per bar from the top, the row's shorter panels leaving their slots below empty.
            ax.set_ylim(count - 0.5, -0.5)
            ax.spines["left"].set_bounds(len(bars) - 0.5, -0.5)
            ax.set_xlim(0, max(max(values), 1) * 1.18)
            ax.set_yticks(range(len(bars)), labels, fontsize=_LABEL_SIZE, fontfamily=FONT)
            ax.tick_params(axis="y", length=0)
            # Aligned with the labels' left edge, not the axes'.
            start = (column * column_width + _MARGIN - left) / (right - left)
            ax.set_title(panel.title, fontsize=_PANEL_TITLE_SIZE, loc="left", x=start, fontfamily=FONT)
            ax.xaxis.set_visible(False)
            for side in ("top", "right", "bottom"):
                ax.spines[side].set_visible(False)
        top += _PANEL_TITLE_HEIGHT + count * BAR_SLOT + _ROW_GAP
    return figure


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
