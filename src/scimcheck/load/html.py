"""``reports/load.html``: a load run as a page, with charts drawn by pygal (inline SVG).

Three charts over the run's windows: the rate achieved against Entra's 25 requests per second
per tenant (docs/entra.md §2, D31), latency percentiles (p50, p95, p99), and failures and 429
answers; then the verdict, the settings and the steps. One self-contained file: pygal's SVG is
inlined and its JavaScript (tooltips, from a CDN) is left out, so the page opens offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pygal
from pygal.style import Style

_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
               colors=("#1f6fb2", "#b00020", "#a06000", "#176f2c"))
_PAGE_STYLE = """
body {font-family: sans-serif; margin: 16px 24px; color: #222}
.pass {color: #176f2c} .fail {color: #b00020}
table {border-collapse: collapse} td, th {padding: 3px 8px; border-top: 1px solid #ddd;
  text-align: right} th:first-child, td:first-child {text-align: left}
figure {margin: 12px 0; max-width: 960px}
"""


def _labels(windows: list[dict[str, Any]]) -> list[str]:
    return [f"{w['end_s']:g} s" for w in windows]


def _chart(title: str, y_title: str, windows: list[dict[str, Any]],
           series: list[tuple[str, list[float | None]]]) -> str:
    chart = pygal.Line(style=_STYLE, width=960, height=320, show_dots=False, js=[],
                       x_label_rotation=0, show_minor_x_labels=False, title=title,
                       y_title=y_title, x_title="time since the start", allow_interruptions=True,
                       disable_xml_declaration=True, include_x_axis=True, legend_at_bottom=True,
                       truncate_legend=-1)
    labels = _labels(windows)
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 10)]
    for name, values in series:
        chart.add(name, values)
    rendered: str = chart.render(is_unicode=True)
    return rendered


def render(document: dict[str, Any]) -> str:
    """The page of one ``scimcheck load`` run (the load.json document)."""
    windows: list[dict[str, Any]] = document.get("windows") or []
    required = float(document["required_rps"])
    verdict = document["verdict"]
    settings = document["settings"]
    charts = [
        _chart("Requests per second", "req/s", windows, [
            ("achieved", [w["rps"] for w in windows]),
            (f"Entra's requirement ({required:g} req/s)", [required] * len(windows)),
        ]),
        _chart("Latency", "ms", windows, [
            (name, [w[key] for w in windows])
            for name, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))
        ]),
        _chart("Failures and 429 answers per window", "requests", windows, [
            ("failed", [w["failures"] for w in windows]),
            ("429 Too Many Requests", [w["throttled_429"] for w in windows]),
        ]),
    ]
    rows = "".join(
        f"<tr><td>{escape(str(s['name']))}</td><td>{s['requests']}</td><td>{s['failures']}</td>"
        f"<td>{_cell(s.get('p50_ms'))}</td><td>{_cell(s.get('p95_ms'))}</td></tr>"
        for s in document.get("steps") or []
    )
    shown = ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in settings.items())
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>scimcheck load: {escape(verdict.upper())} · {escape(document['target'])}</title>",
        f"<style>{_PAGE_STYLE}</style></head><body>",
        f"<h1>scimcheck load · {escape(document['target'])}</h1>",
        f'<p class="{"pass" if verdict == "pass" else "fail"}"><strong>'
        f"{escape(document['verdict_line'])}</strong></p>",
        f"<p>Started {escape(document['started'])} · run tag scimcheck-"
        f"{escape(str(document['run_id']))} · {shown}</p>",
        *(f"<figure>{chart}</figure>" for chart in charts),
        "<h2>Steps</h2><table><tr><th>step</th><th>sent</th><th>failed</th><th>p50 ms</th>"
        f"<th>p95 ms</th></tr>{rows}</table>",
        "</body></html>",
    ]) + "\n"


def _cell(value: Any) -> str:
    return "-" if value is None else escape(str(value))
