"""A :class:`~._timeline.Timeline` drawn as one self-contained SVG file.

No plotting library: a few rectangles, paths and texts. Everything a viewer needs is in the
file (no external CSS, scripts or fonts; a generic font family), every name is XML-escaped
(a resource called ``<script>`` is text), tooltips are SVG ``<title>`` elements, and the same
record gives the same bytes (coordinates and times are formatted with fixed precision), so a
picture committed to the docs can be compared with a fresh one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, TypeVar
from xml.sax.saxutils import escape, quoteattr

from ._timeline import CRASHED, DELETED, LaneKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ._timeline import Lane, Mark, Timeline

    #: Cluster seconds to an x coordinate.
    _Scale = Callable[[float], float]

T = TypeVar("T")

__all__ = ("render_svg",)

WIDTH: Final = 1000
LABEL: Final = 170  # the column of row names
RIGHT: Final = 20
PLOT: Final = WIDTH - LABEL - RIGHT
ROW: Final = 22
BAND: Final = 14
HEADER: Final = 20
#: Names longer than this are cut in the label column (the tooltip has them whole).
LABEL_CHARS: Final = 24
#: Lines of one tooltip that gathers many events at one pixel.
TOOLTIP_LINES: Final = 12

#: Fill colour per state name (node, group and resource states share the greens and reds).
COLOURS: Final = {
    "UP": "#43a047",
    "ONLINE": "#43a047",
    "PARTIAL_ONLINE": "#9ccc65",
    "JOINING": "#4fc3f7",
    "PAUSED": "#81d4fa",
    "PENDING": "#ffb300",
    "ONLINE_PENDING": "#ffb300",
    "OFFLINE_PENDING": "#ffe082",
    "OFFLINE": "#cfd8dc",
    "FAILED": "#e53935",
    "CANNOT_COME_ONLINE_ON_ANY_NODE": "#e53935",
    "CANNOT_COME_ONLINE_ON_THIS_NODE": "#e53935",
    CRASHED: "#ff7043",
    "DOWN": "#616161",
}
_OTHER: Final = "#eceff1"  # Initializing, Unknown, Inherited

#: The legend's colours, in reading order.
LEGEND: Final = (
    ("Up / Online", "UP"),
    ("Partial online", "PARTIAL_ONLINE"),
    ("Pending (online)", "ONLINE_PENDING"),
    ("Pending (offline)", "OFFLINE_PENDING"),
    ("Offline", "OFFLINE"),
    ("Failed", "FAILED"),
    ("Crashed, not noticed yet", CRASHED),
    ("Down", "DOWN"),
    ("Joining", "JOINING"),
    ("Paused", "PAUSED"),
)

_SECTIONS: Final[tuple[tuple[LaneKind, str], ...]] = (
    ("node", "Nodes"),
    ("group", "Groups (the owner node in the band)"),
    ("resource", "Resources (the node running it in the band)"),
)


def render_svg(timeline: Timeline) -> str:
    """The SVG document of ``timeline``."""
    end = timeline.end if timeline.end > 0 else 1.0

    def x(t: float) -> float:
        return LABEL + PLOT * min(max(t, 0.0), end) / end

    body: list[str] = []
    y = 44
    rows_top = y
    for kind, title in _SECTIONS:
        lanes = timeline.lanes_of(kind)
        if not lanes:
            continue
        body.append(_text(8, y + 14, title, weight="bold"))
        y += HEADER
        for lane in lanes:
            body.extend(_lane(lane, y, end, x))
            y += ROW
    body.append(_text(8, y + 14, "Cluster log (warnings and errors)", weight="bold"))
    y += HEADER
    body.extend(_log_row(timeline.log_marks, y, x))
    y += ROW
    body.append(_text(8, y + 14, "Notifications (every change event)", weight="bold"))
    y += HEADER
    body.extend(_notification_row(timeline, y, x))
    y += ROW
    rows_bottom = y
    axis = _axis(end, rows_top, rows_bottom, x)
    y += 30
    legend, y = _legend(y)
    height = y + 10
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(
            8,
            22,
            f"Cluster {timeline.cluster_name!r}: 0 s to {_seconds(timeline.end)} of cluster time",
            size=14,
            weight="bold",
        ),
    ]
    return "\n".join([*head, *axis, *body, *legend, "</svg>", ""])


def _lane(lane: Lane, y: int, end: float, x: _Scale) -> list[str]:
    out = [_label(lane.name, y, f"{lane.kind} {lane.name}")]
    marked = [x(mark.time) for mark in lane.marks]
    changes = lane.changes
    for i, change in enumerate(changes):
        if change.state == DELETED:
            continue
        until = changes[i + 1].time if i + 1 < len(changes) else end
        if until <= change.time and i + 1 < len(changes):
            continue  # a state it left at the same moment (Joining, then Up)
        x1, x2 = x(change.time), x(until)
        width = max(x2 - x1, 1.0)
        where = f" on {change.where}" if change.where else ""
        tip = (
            f"{change.name}: {_state(change.state)}{where}, "
            f"{_seconds(change.time)} to {_seconds(until)}"
        )
        colour = COLOURS.get(change.state, _OTHER)
        out.append(
            f'<rect x="{x1:.1f}" y="{y + 4}" width="{width:.1f}" height="{BAND}" '
            f'fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        # The owner's name starts the band, after a marker drawn at its start.
        indent = 9 if any(abs(px - x1) < 6 for px in marked) else 3
        if change.where and width >= 7 * len(change.where) + indent + 3:
            out.append(
                _text(x1 + indent, y + 15, change.where, size=10, fill=_ink(colour), events=False)
            )
    out.extend(_mark(mark, y, x) for mark in lane.marks)
    return out


def _log_row(marks: Sequence[Mark], y: int, x: _Scale) -> list[str]:
    out = []
    for px, group in _by_pixel(marks, lambda m: x(m.time)):
        kind = "error" if any(m.kind == "error" for m in group) else "warning"
        out.append(_mark_at(kind, px, y, _tooltip([m.text for m in group])))
    return out


def _notification_row(timeline: Timeline, y: int, x: _Scale) -> list[str]:
    out = []
    for px, group in _by_pixel(timeline.notifications, lambda n: x(n.time)):
        lines = [f"{_seconds(n.time)} {n.change.name} {n.name}" for n in group]
        out.append(
            f'<rect x="{px - 0.5:.1f}" y="{y + 5}" width="1" height="12" fill="#546e7a">'
            f"<title>{escape(_tooltip(lines))}</title></rect>"
        )
    return out


def _mark(mark: Mark, y: int, x: _Scale) -> str:
    return _mark_at(mark.kind, x(mark.time), y, f"{_seconds(mark.time)}: {mark.text}")


def _mark_at(kind: str, px: float, y: int, tip: str) -> str:
    cy = y + 11
    shape = {
        "crash": f'<path d="M{px - 5:.1f} {cy - 5} L{px + 5:.1f} {cy + 5} M{px - 5:.1f} '
        f'{cy + 5} L{px + 5:.1f} {cy - 5}" stroke="#b71c1c" stroke-width="3"/>',
        "restart": f'<circle cx="{px:.1f}" cy="{cy}" r="5" fill="#ffffff" stroke="#1b5e20" '
        'stroke-width="2"/>',
        "failure": f'<circle cx="{px:.1f}" cy="{cy}" r="5" fill="#b71c1c" stroke="#ffffff"/>',
        "move": f'<path d="M{px - 5:.1f} {cy - 6} L{px + 6:.1f} {cy} L{px - 5:.1f} {cy + 6} Z" '
        'fill="#1e88e5" stroke="#ffffff"/>',
        "warning": _diamond(px, cy, "#fb8c00"),
        "error": _diamond(px, cy, "#c62828"),
    }[kind]
    return f"<g><title>{escape(tip)}</title>{shape}</g>"


def _diamond(px: float, cy: int, fill: str) -> str:
    return (
        f'<path d="M{px:.1f} {cy - 6} L{px + 5:.1f} {cy} L{px:.1f} {cy + 6} L{px - 5:.1f} {cy} Z" '
        f'fill="{fill}" stroke="#ffffff"/>'
    )


def _axis(end: float, top: int, bottom: int, x: _Scale) -> list[str]:
    step = _step(end)
    out = [
        f'<line x1="{LABEL}" y1="{bottom + 2}" x2="{LABEL + PLOT}" y2="{bottom + 2}" '
        'stroke="#37474f"/>',
        _text(LABEL - 8, bottom + 16, "cluster s", anchor="end", fill="#37474f"),
    ]
    for i in range(int(end / step + 1e-9) + 1):
        t = i * step
        px = x(t)
        out.append(
            f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{bottom + 6}" '
            'stroke="#b0bec5" stroke-width="0.5"/>'
        )
        out.append(_text(px, bottom + 16, f"{t:g}", anchor="middle", fill="#37474f"))
    return out


def _step(end: float) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten) giving at most ten ticks."""
    power = 10.0 ** math.floor(math.log10(end / 10))
    for factor in (1, 2, 5, 10):
        if end / (factor * power) <= 10:
            return factor * power
    return 10 * power


def _legend(y: int) -> tuple[list[str], int]:
    out = [_text(8, y + 4, "Legend", weight="bold")]
    y += 14
    px = 8
    for label, state in LEGEND:
        width = 22 + 13 * len(label) // 2 + 14  # about 6.5 px a character at 11 px
        if px + width > WIDTH:
            px, y = 8, y + 18
        out.append(f'<rect x="{px}" y="{y}" width="16" height="11" fill="{COLOURS[state]}"/>')
        out.append(_text(px + 21, y + 10, label))
        px += width
    px, y = 8, y + 22
    for kind, label in (
        ("crash", "node crashed"),
        ("restart", "node restarted"),
        ("failure", "resource failed"),
        ("move", "group moved"),
        ("warning", "log warning"),
        ("error", "log error"),
    ):
        out.append(_mark_at(kind, px + 6, y - 11, label))
        out.append(_text(px + 16, y + 4, label))
        px += 22 + 6 * len(label) + 14
    out.append(_text(8, y + 24, "Hover a band or a marker for the details (times in cluster s)."))
    return out, y + 28


def _by_pixel(items: Iterable[T], where: Callable[[T], float]) -> list[tuple[float, list[T]]]:
    """Items that fall on the same pixel, together (one marker, one tooltip for them)."""
    groups: dict[int, list[T]] = {}
    for item in items:
        groups.setdefault(round(where(item)), []).append(item)
    return [(float(px), group) for px, group in sorted(groups.items())]


def _tooltip(lines: Sequence[str]) -> str:
    if len(lines) <= TOOLTIP_LINES:
        return "\n".join(lines)
    more = len(lines) - TOOLTIP_LINES
    return "\n".join([*lines[:TOOLTIP_LINES], f"... and {more} more"])


def _label(name: str, y: int, tip: str) -> str:
    shown = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "\u2026"
    return (
        f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(shown)}'
        f"<title>{escape(tip)}</title></text>"
    )


def _text(
    px: float,
    py: float,
    text: str,
    *,
    anchor: str = "start",
    size: int | None = None,
    weight: str | None = None,
    fill: str | None = None,
    events: bool = True,
) -> str:
    attrs = [f'x="{px:.1f}"', f'y="{py:.1f}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if size is not None:
        attrs.append(f'font-size="{size}"')
    if weight is not None:
        attrs.append(f'font-weight="{weight}"')
    if fill is not None:
        attrs.append(f"fill={quoteattr(fill)}")
    if not events:
        attrs.append('pointer-events="none"')  # the band's tooltip shows through its text
    return f"<text {' '.join(attrs)}>{escape(text)}</text>"


def _ink(fill: str) -> str:
    """Black or white text, whichever reads on ``fill``."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _state(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _seconds(t: float) -> str:
    return f"{t:.3f} s"
