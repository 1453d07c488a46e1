"""The scale curve of ``bench_scale.py``'s JSON: wall time and peak RSS per step against SKUs.

Drawn with Pillow (the environment has no matplotlib): two log-x panels, time on a log axis and
memory in GB with the 6 GB target, one line per step.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py --plot docs/scale.json docs/scale.png
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

STEPS = {  # key in the JSON: (label, colour)
    "demo": ("invdash demo", (31, 119, 180)),
    "ingest": ("invdash ingest", (44, 160, 44)),
    "forecast": ("forecast --db (chunked)", (214, 39, 40)),
    "whole": ("forecast, whole panel (baseline)", (148, 103, 189)),
    "ray": ("forecast --engine ray (2 nodes)", (255, 127, 14)),
    "reorder": ("invdash reorder", (140, 86, 75)),
}
TARGET_GB = 6.0
_W, _H, _PAD = 640, 440, 70


def _font(size: int):
    return ImageFont.load_default(size=size)


def _axis_map(lo: float, hi: float, a: float, b: float, log: bool):
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    span = (hi - lo) or 1.0
    return lambda v: a + (b - a) * (((math.log10(v) if log else v) - lo) / span)


def _panel(  # noqa: PLR0913 - one chart's options
    draw, left: int, series: dict, *, title: str, ylog: bool, unit: str,
    target: float | None, stopped: dict | None = None,
) -> None:
    """One panel; ``stopped``: per step, (SKUs, value so far) of runs stopped before the end,
    drawn as hollow circles (a lower bound)."""
    stopped = stopped or {}
    everything = {**series, **{f"{k} ": v for k, v in stopped.items()}}
    xs = sorted({x for points in everything.values() for x, _ in points})
    ys = [y for points in everything.values() for _, y in points] + ([target] if target else [])
    x_lo, x_hi = xs[0] / 1.5, xs[-1] * 1.5
    y_lo = min(ys) / 1.5 if ylog else 0.0
    y_hi = max(ys) * (1.5 if ylog else 1.15)
    fx = _axis_map(x_lo, x_hi, left + _PAD, left + _W - 20, True)
    fy = _axis_map(y_lo, y_hi, _H - _PAD, 40, ylog)
    draw.rectangle([left + _PAD, 40, left + _W - 20, _H - _PAD], outline=(0, 0, 0))
    draw.text((left + _PAD, 12), title, fill=(0, 0, 0), font=_font(16))
    for x in xs:
        draw.line([fx(x), _H - _PAD, fx(x), _H - _PAD + 5], fill=(0, 0, 0))
        draw.text((fx(x) - 18, _H - _PAD + 8), f"{x:,}", fill=(0, 0, 0), font=_font(12))
    draw.text((left + _W // 2 - 20, _H - 30), "SKUs (730 days each)", fill=(0, 0, 0),
              font=_font(13))
    ticks = [10 ** k for k in range(math.floor(math.log10(y_lo)), math.ceil(math.log10(y_hi)) + 1)
             ] if ylog else [2.0 * k for k in range(int(y_hi // 2) + 1)]
    for y in ticks:
        if y_lo <= y <= y_hi:
            draw.line([left + _PAD - 5, fy(y), left + _PAD, fy(y)], fill=(0, 0, 0))
            draw.text((left + 8, fy(y) - 7), f"{y:g} {unit}", fill=(0, 0, 0), font=_font(12))
    if target:
        _draw_target(draw, left, fy(target), target)
    for key, points in series.items():
        colour = STEPS[key][1]
        coords = [(fx(x), fy(y)) for x, y in sorted(points)]
        if len(coords) > 1:
            draw.line(coords, fill=colour, width=3)
        for cx, cy in coords:
            draw.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], fill=colour)
    _draw_stopped(draw, stopped, fx, fy)


def _draw_target(draw, left: int, y: float, target: float) -> None:
    for x0 in range(left + _PAD, left + _W - 20, 12):
        draw.line([x0, y, x0 + 6, y], fill=(120, 120, 120), width=2)
    draw.text((left + _PAD + 6, y - 16), f"target {target:g} GB", fill=(90, 90, 90),
              font=_font(12))


def _draw_stopped(draw, stopped: dict, fx, fy) -> None:
    for key, points in stopped.items():
        for x, y in points:
            cx, cy = fx(x), fy(y)
            draw.ellipse([cx - 7, cy - 7, cx + 7, cy + 7], outline=STEPS[key][1], width=3)
            draw.text((cx - 150, cy - 6), "stopped, so far >=", fill=STEPS[key][1],
                      font=_font(12))


def plot(results_json: Path, png: Path) -> None:
    """Draw ``results_json`` (``bench_scale.py --json``) into ``png``."""
    results = json.loads(Path(results_json).read_text())
    seconds: dict[str, list] = {}
    memory: dict[str, list] = {}
    stopped: dict[str, list] = {}
    for row in results:
        for key in STEPS:
            if key in row:
                seconds.setdefault(key, []).append((row["skus"], row[key]["wall_s"]))
                memory.setdefault(key, []).append((row["skus"], row[key]["peak_mb"] / 1024))
            part = row.get(f"{key}_stopped")
            if part:
                mb = part.get("peak_mb_so_far", part.get("peak_mb_at_least"))
                stopped.setdefault(key, []).append((row["skus"], mb / 1024))
    image = Image.new("RGB", (2 * _W, _H + 30 * len(seconds) // 2 + 40), "white")
    draw = ImageDraw.Draw(image)
    _panel(draw, 0, seconds, title="Wall time per step", ylog=True, unit="s", target=None)
    _panel(draw, _W, memory, title="Peak RSS per step (process, DuckDB included)", ylog=False,
           unit="GB", target=TARGET_GB, stopped=stopped)
    for k, key in enumerate(dict.fromkeys([*seconds, *stopped])):
        x, y = 30 + (k % 3) * 420, _H + 10 + (k // 3) * 26
        draw.rectangle([x, y + 4, x + 22, y + 14], fill=STEPS[key][1])
        draw.text((x + 30, y), STEPS[key][0], fill=(0, 0, 0), font=_font(14))
    png.parent.mkdir(parents=True, exist_ok=True)
    image.save(png)
