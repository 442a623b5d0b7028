"""Charts drawn at build time as inline SVG, each with a text alternative: a sentence and a table.

Geometry comes from numbers only; the few words inside an SVG (axis labels)
are ours or dates, and are escaped all the same. Colours come from CSS classes
(light and dark), never from inline styles, so the pages' CSP holds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass(frozen=True)
class Chart:
    """`svg` is markup made here; `summary` and `rows` are the same facts in words and numbers."""

    svg: str
    summary: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    css_class: str = ""


@dataclass(frozen=True)
class Line:
    points: Sequence[tuple[dt.date, float]]
    css: str  # data | road | forecast | target | average | t-score
    dots: bool = False
    label: str = ""


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    css: str
    label: str


@dataclass
class _Frame:
    start: dt.date
    end: dt.date
    low: float
    high: float
    width: int = WIDTH
    height: int = HEIGHT
    parts: list[str] = field(default_factory=list)

    def x(self, day: dt.date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (day - self.start).days / span * (self.width - LEFT - RIGHT)

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return self.height - BOTTOM - (value - self.low) / span * (self.height - TOP - BOTTOM)


def _n(value: float) -> str:
    """Coordinates with one decimal: small files, identical bytes on every build."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def number_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step / 1000:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _date_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    days = (end - start).days
    if days <= 0:
        return [start]
    if days <= 45:
        step = max(1, days // 5)
        return [start + dt.timedelta(days=n) for n in range(0, days + 1, step)]
    months = []
    current = dt.date(start.year, start.month, 1)
    while current <= end:
        if current >= start:
            months.append(current)
        current = dt.date(current.year + current.month // 12, current.month % 12 + 1, 1)
    stride = max(1, math.ceil(len(months) / 6))
    return months[::stride] or [start]


def _label(day: dt.date, span_days: int) -> str:
    return f"{day:%b %Y}" if span_days > 400 else (f"{day.day} {day:%b}" if span_days <= 45 else f"{day:%b}")


def _axes(frame: _Frame, unit: str = "") -> None:
    parts = frame.parts
    for tick in nice_ticks(frame.low, frame.high):
        y = _n(frame.y(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{frame.width - RIGHT}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">'
                     f"{escape(number_text(tick))}</text>")
    span = (frame.end - frame.start).days
    for day in _date_ticks(frame.start, frame.end):
        x = _n(frame.x(day))
        parts.append(f'<text class="tick" x="{x}" y="{frame.height - BOTTOM + 18}" text-anchor="middle">'
                     f"{escape(_label(day, span))}</text>")
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{frame.width - RIGHT}" y1="{_n(frame.y(frame.low))}" '
                 f'y2="{_n(frame.y(frame.low))}"/>')
    if unit:
        parts.append(f'<text class="unit" x="{LEFT}" y="{TOP - 4}">{escape(unit)}</text>')


def _svg(frame: _Frame, title: str, css_class: str) -> str:
    return (f'<svg class="chart-svg {escape(css_class)}" viewBox="0 0 {frame.width} {frame.height}" '
            f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>{''.join(frame.parts)}</svg>")


def line_chart(lines: Sequence[Line], title: str, summary: str, columns: tuple[str, ...],
               rows: Sequence[tuple[str, ...]], unit: str = "", bands: Sequence[Band] = (),
               low: float | None = None, high: float | None = None, start: dt.date | None = None,
               end: dt.date | None = None, today: dt.date | None = None, css_class: str = "") -> Chart:
    days = [day for line in lines for day, _value in line.points] + ([today] if today else [])
    values = [value for line in lines for _day, value in line.points]
    if not days:
        return Chart("", summary, columns, tuple(rows), css_class)
    start = start or min(days)
    end = end or max(days)
    if end <= start:
        end = start + dt.timedelta(days=1)
    # With nothing measured yet (a goal with no start, no plan line and no numbers), 0 to 1.
    low = min([*values, *(b.low for b in bands)], default=0.0) if low is None else low
    high = max([*values, *(b.high for b in bands)], default=1.0) if high is None else high
    if high == low:
        low, high = low - 1, high + 1
    padding = (high - low) * 0.05 if not bands else 0
    frame = _Frame(start, end, low - padding if low != 0 else low, high + padding)
    labels = []
    for band in bands:
        top, bottom = frame.y(min(band.high, frame.high)), frame.y(max(band.low, frame.low))
        frame.parts.append(f'<rect class="band {escape(band.css)}" x="{LEFT}" y="{_n(top)}" '
                           f'width="{_n(frame.width - LEFT - RIGHT)}" height="{_n(bottom - top)}"/>')
        labels.append(f'<text class="band-label" x="{frame.width - RIGHT - 4}" y="{_n(top + 12)}" '
                      f'text-anchor="end">{escape(band.label)}</text>')
    _axes(frame, unit)
    frame.parts += labels  # over the grid, which would otherwise cross the words out
    if today and start <= today <= end:
        x = _n(frame.x(today))
        frame.parts.append(f'<line class="today" x1="{x}" x2="{x}" y1="{TOP}" y2="{frame.height - BOTTOM}"/>')
    for line in lines:
        inside = [(day, value) for day, value in line.points if start <= day <= end]
        if len(inside) > 1:
            path = " ".join(f"{_n(frame.x(day))},{_n(frame.y(value))}" for day, value in inside)
            frame.parts.append(f'<polyline class="line {escape(line.css)}" points="{path}"/>')
        if line.dots or len(inside) == 1:
            for day, value in inside:
                frame.parts.append(f'<circle class="dot {escape(line.css)}" cx="{_n(frame.x(day))}" '
                                   f'cy="{_n(frame.y(value))}" r="3.5"/>')
    return Chart(_svg(frame, title, css_class), summary, columns, tuple(rows), css_class)


def timeline_chart(start: dt.date, end: dt.date, marks: Sequence[tuple[dt.date, str, str]], today: dt.date,
                   title: str, summary: str, rows: Sequence[tuple[str, ...]]) -> Chart:
    """Milestones on a line from start to due: (date, number label, css: done | late | upcoming)."""
    if end <= start:
        end = start + dt.timedelta(days=1)
    frame = _Frame(start, end, 0, 1, height=90)
    y = 40
    frame.parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
    for day, text, anchor in ((start, "start", "start"), (end, "due", "end")):
        frame.parts.append(f'<text class="tick" x="{_n(frame.x(day))}" y="{y + 34}" text-anchor="{anchor}">'
                           f"{escape(text)} {escape(f'{day.day} {day:%b}')}</text>")
    if start <= today <= end:
        x = _n(frame.x(today))
        frame.parts.append(f'<line class="today" x1="{x}" x2="{x}" y1="{y - 22}" y2="{y + 12}"/>')
    for day, label, css in marks:
        clamped = min(max(day, start), end)
        x = _n(frame.x(clamped))
        frame.parts.append(f'<circle class="milestone {escape(css)}" cx="{x}" cy="{y}" r="7"/>')
        frame.parts.append(f'<text class="milestone-label" x="{x}" y="{y - 12}" text-anchor="middle">'
                           f"{escape(label)}</text>")
    return Chart(_svg(frame, title, "timeline"), summary, ("#", "Milestone", "Due", "Done"), tuple(rows), "timeline")


def year_pixels(year: int, moods: dict[dt.date, float | None], low: float, high: float, title: str,
                summary: str, rows: Sequence[tuple[str, ...]], week_start: int) -> Chart:
    """A square per day, a column per week: empty without an entry, shaded by mood with one."""
    first = dt.date(year, 1, 1)
    offset = (first.weekday() - week_start) % 7
    size, gap, left, top = 11, 2, 30, 18
    parts = []
    for month in range(1, 13):
        day = dt.date(year, month, 1)
        column = (day - first).days + offset
        parts.append(f'<text class="tick" x="{left + column // 7 * (size + gap)}" y="{top - 6}">'
                     f"{escape(f'{day:%b}')}</text>")
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        weekday = (week_start + row) % 7
        label = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[weekday] if name else name
        parts.append(f'<text class="tick" x="0" y="{top + row * (size + gap) + size - 2}">{label}</text>')
    day = first
    while day.year == year:
        index = (day - first).days + offset
        x, y = left + index // 7 * (size + gap), top + index % 7 * (size + gap)
        if day in moods:
            mood = moods[day]
            level = "entry" if mood is None else f"mood-{_mood_level(mood, low, high)}"
        else:
            level = "none"
        parts.append(f'<rect class="pixel {level}" x="{x}" y="{y}" width="{size}" height="{size}" rx="2">'
                     f"<title>{day.isoformat()}{'' if level == 'none' else ' · entry'}"
                     f"{'' if day not in moods or moods[day] is None else f' · mood {number_text(moods[day])}'}"  # type: ignore[arg-type]
                     f"</title></rect>")
        day += dt.timedelta(days=1)
    width = left + 54 * (size + gap)
    height = top + 7 * (size + gap)
    svg = (f'<svg class="chart-svg pixels" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts)}</svg>')
    return Chart(svg, summary, ("Month", "Days with an entry", "Average mood"), tuple(rows), "pixels")


def _mood_level(mood: float, low: float, high: float) -> int:
    """1 (low) to 5 (high), for shading."""
    if high <= low:
        return 3
    return min(5, max(1, 1 + int((mood - low) / (high - low) * 5)))
