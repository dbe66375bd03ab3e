"""Small SVG charts written by hand, so the report needs no script, stylesheet or font from anywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#718096")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _text(x: float, y: float, body: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(body)}</text>'


def grouped_bars(element_id: str, groups: Mapping[str, Mapping[str, float | None]], series: Sequence[str],
                 title: str, width: int = 900, height: int = 320) -> str:
    """Bars of values in [0, 1]: one group per key of `groups`, one bar per series; None leaves a gap."""
    left, right, top, bottom = 40, 10, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    names = list(groups)
    parts = [f'<svg id="{element_id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(_text(left - 4, y + 4, f"{tick:g}", "end"))
    group_w = plot_w / max(len(names), 1)
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 40), 2)
    for g, name in enumerate(names):
        x0 = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for s, metric in enumerate(series):
            value = groups[name].get(metric)
            x = x0 + s * bar_w
            if value is None:
                parts.append(_text(x + bar_w / 2, top + plot_h - 3, "–", "middle", 'fill="#a0aec0"'))
                continue
            h = max(plot_h * max(0.0, min(1.0, float(value))), 1.5)  # a zero still shows as a stub
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                         f"<title>{escape(name)} · {escape(metric)}: {float(value):.3f}</title></rect>")
        parts.append(_text(left + g * group_w + group_w / 2, top + plot_h + 16, name, "middle"))
    parts.append(_legend(series, left, height - 18))
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(series: Sequence[str], x: float, y: float) -> str:
    parts = []
    for s, metric in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, y, metric))
        x += 30 + 7.5 * len(metric)
    return "\n".join(parts)


def histogram(element_id: str, values: Sequence[float], marks: Mapping[str, float | None], title: str,
              unit: str = "s", bins: int = 20, width: int = 900, height: int = 240) -> str:
    """Counts of `values` in equal bins, with labelled vertical lines at `marks` (e.g. p50, p95)."""
    left, right, top, bottom = 40, 50, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [f'<svg id="{element_id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    if not values:
        parts += [_text(width / 2, height / 2, "no data", "middle"), "</svg>"]
        return "\n".join(parts)
    lo, hi = 0.0, max(values) * 1.05 or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / (hi - lo) * bins), bins - 1)] += 1
    peak = max(counts)
    bw = plot_w / bins
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        span = f"{lo + i * (hi - lo) / bins:.2f}–{lo + (i + 1) * (hi - lo) / bins:.2f} {unit}"
        parts.append(f'<rect class="bar" x="{left + i * bw:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{bw - 1:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
                     f"<title>{span}: {c}</title></rect>")
    parts.append(_text(left - 4, top + 4, str(peak), "end"))
    parts.append(_text(left - 4, top + plot_h, "0", "end"))
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        label = f"{lo + (hi - lo) * frac:.2f} {unit}"
        parts.append(_text(left + plot_w * frac, top + plot_h + 16, label, "middle"))
    for n, (label, value) in enumerate(marks.items()):
        if value is None:
            continue
        x = left + plot_w * (value - lo) / (hi - lo)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + plot_h}" stroke="#c53030" '
                     f'stroke-dasharray="4 3"/>')
        parts.append(_text(x + 3, top - 8 + 12 * n, f"{label} {value:.2f} {unit}", extra='fill="#c53030"'))
    parts.append("</svg>")
    return "\n".join(parts)


def diverging_bars(element_id: str, changes: Mapping[str, float | None], title: str,
                   width: int = 900, row: int = 22) -> str:
    """One horizontal bar per metric: change after minus before, green right, red left (scale ±max)."""
    names = list(changes)
    label_w, pad = 170, 60  # pad keeps value labels clear of the metric names and the edge
    height = 30 + row * len(names) + 10
    half = (width - label_w - 2 * pad) / 2
    mid = label_w + pad + half
    scale = max([abs(v) for v in changes.values() if v is not None] + [0.01])
    parts = [f'<svg id="{element_id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{mid:.1f}" x2="{mid:.1f}" y1="20" y2="{height - 10}" stroke="#4a5568"/>',
             _text(mid - half, 14, f"−{scale:.3f}"), _text(mid + half, 14, f"+{scale:.3f}", "end")]
    for i, name in enumerate(names):
        y = 30 + i * row
        parts.append(_text(label_w - 8, y + 12, name, "end"))
        value = changes[name]
        if value is None:
            parts.append(_text(mid + 4, y + 12, "n/a", extra='fill="#a0aec0"'))
            continue
        w = half * abs(value) / scale
        x = mid if value >= 0 else mid - w
        color = "#38a169" if value >= 0 else "#c53030"
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{max(w, 0.5):.1f}" '
                     f'height="{row - 6}" fill="{color}"><title>{escape(name)}: {value:+.4f}</title></rect>')
        tx = x + w + 4 if value >= 0 else x - 4
        parts.append(_text(tx, y + 12, f"{value:+.3f}", "start" if value >= 0 else "end"))
    parts.append("</svg>")
    return "\n".join(parts)
