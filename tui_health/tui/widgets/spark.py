"""A one-line sparkline that can show gaps: a poll that got no answer is a gap, never a zero."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"


def spark_text(values: Sequence[float | None], width: int, height: int = 1, style: str = "") -> Text:
    """The last ``width`` values as bars ``height`` rows tall, scaled to their maximum; ``None`` is a dim gap."""
    shown = list(values)[-width:] if width > 0 else []
    top = max((v for v in shown if v is not None), default=0.0)
    height = max(1, height)
    steps = len(BARS) * height
    levels = [
        None if v is None else (1 if top <= 0 else max(1, min(steps, round(v / top * steps)))) for v in shown
    ]
    text = Text(no_wrap=True)
    for row in range(height - 1, -1, -1):  # top row first
        for level in levels:
            if level is None:
                text.append(GAP if row == 0 else " ", style="dim")
                continue
            fill = level - row * len(BARS)
            text.append(" " if fill <= 0 else BARS[min(fill, len(BARS)) - 1], style=style)
        if row:
            text.append("\n")
    return text


class GapSparkline(Static):
    """Set :attr:`values` (``None`` for a gap); redrawn to the widget's width."""

    def __init__(self, *, style: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._values: tuple[float | None, ...] = ()
        self._style = style

    @property
    def values(self) -> tuple[float | None, ...]:
        return self._values

    @values.setter
    def values(self, values: Sequence[float | None]) -> None:
        self._values = tuple(values)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(spark_text(self._values, self.size.width, self.size.height, self._style))
