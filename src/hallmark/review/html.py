"""A self-contained HTML page of a review report (every text escaped; no scripts)."""

from __future__ import annotations

from html import escape

from hallmark.review.service import clause_catalogue
from hallmark.schemas.review import ClauseEvidence, ReviewReport

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
    "td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}"
    ".yes{color:#075}.no{color:#a00}.high{color:#a00;font-weight:bold}.medium{color:#a60}"
    "blockquote{margin:.2rem 0;color:#333;font-size:.9em}"
)


def _evidence(items: list[ClauseEvidence]) -> str:
    return "".join(
        f"<blockquote><b>{escape(e.location)}</b>: {escape(e.text)}</blockquote>" for e in items
    )


def render_html(report: ReviewReport, source: str) -> str:
    """The report as one HTML document."""
    titles = {k: str(v.get("title", k)) for k, v in clause_catalogue().items()}
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Review of {escape(source)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Review of {escape(source)}</h1>",
    ]
    if report.agreement_type:
        parts.append(f"<p>Checked as: <b>{escape(report.agreement_type)}</b></p>")
    parts.append("<h2>Risks</h2>")
    if report.risks:
        parts.append("<table><tr><th>risk</th><th>severity</th><th>why</th><th>evidence</th></tr>")
        for r in report.risks:
            parts.append(
                f"<tr><td>{escape(r.id)}</td><td class={escape(r.severity)}>{escape(r.severity)}"
                f"</td><td>{escape(r.message)}</td><td>{_evidence(r.evidence)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No risky clause found.</p>")
    if report.agreement_type:
        parts.append("<h2>Missing clauses</h2>")
        if report.missing:
            parts.append("<table><tr><th>clause</th><th>why it matters</th>"
                         "<th>a good clause covers</th></tr>")
            for m in report.missing:
                parts.append(f"<tr><td>{escape(titles.get(m.type, m.type))}</td>"
                             f"<td>{escape(m.reason)}</td><td>{escape(m.covers)}</td></tr>")
            parts.append("</table>")
        else:
            parts.append("<p>Every required clause is present.</p>")
    parts.append("<h2>Clauses</h2><table><tr><th>clause</th><th>present</th><th>score</th>"
                 "<th>evidence</th></tr>")
    for c in report.clauses:
        mark = "<span class=yes>yes</span>" if c.present else "<span class=no>no</span>"
        parts.append(f"<tr><td>{escape(titles.get(c.type, c.type))}</td><td>{mark}</td>"
                     f"<td>{c.score:.3f}</td><td>{_evidence(c.evidence)}</td></tr>")
    parts.append("</table><p><small>Clause classifier trained on CUAD v1 (The Atticus Project, "
                 "CC BY 4.0). Not legal advice.</small></p></body></html>\n")
    return "".join(parts)
