"""The post-partnership report: lessons derived from the facts, and the report as one
self-contained HTML page (no scripts, no remote resources; every value escaped by Jinja2's
autoescaping, so a partner's name or an agreement's title is shown, never obeyed)."""

from __future__ import annotations

from typing import Any

from hallmark.schemas.closeouts import CloseOutReport

__all__ = ["derive_lessons", "render_html"]


def derive_lessons(facts: dict[str, Any], forced: bool) -> list[str]:
    """What this partnership teaches, from its facts: leaks, copies never accounted for,
    incidents still open, reviews missed, the partner's due-diligence rating."""
    out: list[str] = []
    copies = facts["shares"]
    lost = [s for s in copies if s.status == "unaccounted"]
    if facts["traces"]:
        out.append(f"{len(facts['traces'])} trace(s) found the partner's copies in the wild: "
                   "next time share less, with tighter terms (breach remedies, audit rights) and "
                   "a tented team.")
    if lost:
        out.append(f"{len(lost)} of {len(copies)} copies were never accounted for: ask for a "
                   "certificate of destruction when each copy's purpose ends, not at the end.")
    elif copies:
        out.append(f"every one of the {len(copies)} copies was returned or destroyed.")
    else:
        out.append("no copy was shared under this agreement.")
    still_open = [i for i in facts["incidents"] if i.status not in ("cured", "terminated",
                                                                     "settled")]
    if still_open:
        out.append(f"{len(still_open)} incident(s) are still open: the close-out does not end "
                   "them; see them through.")
    if facts["missed"]:
        out.append("deadlines were missed: " + "; ".join(facts["missed"]) +
                   ". Plan periodic reviews with a named owner.")
    for name, rating in sorted(facts["diligence"].items()):
        if rating is None:
            out.append(f"no due diligence on {name} was ever recorded: record it before the "
                       "next partnership.")
        elif rating != "low":
            out.append(f"{name}'s due diligence rated {rating} risk: weigh it before working "
                       "with them again.")
    if forced:
        out.append("the agreement was closed out while still in force (forced).")
    return out


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Close-out of {{ r.agreement }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.unaccounted,.open{color:#a00;font-weight:bold}
code{font-size:.85em;word-break:break-all}.notes{white-space:pre-wrap;border:1px solid #ccc;
padding:.5em}
</style></head><body>
<h1>Post-partnership report: {{ r.title }}</h1>
<p>Agreement <code>{{ r.agreement }}</code> ({{ r.type }}), effective {{ r.effective }}
{%- if r.expires %}, expires {{ r.expires }}{% endif %}
{%- if r.terminated_on %}, terminated {{ r.terminated_on }}{% endif %}. Closed out on
{{ r.closed }} by {{ r.actor }}, when it was {{ r.state }}{% if r.forced %} <strong>(forced:
still in force)</strong>{% endif %}.</p>
<p>This report reflects the vault's log at size {{ r.checkpoint_size }}, root
<code>{{ r.checkpoint_root }}</code> (generated {{ r.generated }}).</p>
<h2>Parties</h2>
<table><tr><th>party</th><th>kind</th><th>side</th><th>country</th></tr>
{%- for p in r.parties %}
<tr><td>{{ p.name }} <code>{{ p.id }}</code></td><td>{{ p.kind }}</td>
<td>{{ "partner" if p.partner else "discloser" }}</td><td>{{ p.country or "" }}</td></tr>
{%- endfor %}</table>
<h2>Shared copies ({{ r.shares | length }})</h2>
{% if r.shares %}<table><tr><th>share</th><th>asset</th><th>recipient</th><th>made</th>
<th>what became of it</th><th>certificate (SHA-256)</th></tr>
{%- for s in r.shares %}
<tr><td><code>{{ s.share }}</code></td><td>{{ s.asset_name }} ({{ s.classification }})</td>
<td>{{ s.recipient }}{% if s.team %} / {{ s.team }}{% endif %}</td><td>{{ s.created[:10] }}</td>
<td class="{{ s.status }}">{{ s.status }}{% if s.recorded %} on {{ s.recorded }}{% endif %}</td>
<td>{% if s.certificate_sha256 %}{{ s.certificate_name }}<br>
<code>{{ s.certificate_sha256 }}</code>{% endif %}</td></tr>
{%- endfor %}</table>{% else %}<p>No copy was shared under this agreement.</p>{% endif %}
<h2>Traces and incidents involving the partner</h2>
{% if r.traces %}<table><tr><th>trace</th><th>asset</th><th>suspect file</th><th>when</th>
<th>accused</th></tr>
{%- for t in r.traces %}
<tr><td><code>{{ t.trace }}</code></td><td>{{ t.asset }}</td><td>{{ t.suspect_name }}</td>
<td>{{ t.created[:10] }}</td><td>{{ t.accused | join("; ") }}</td></tr>
{%- endfor %}</table>{% else %}<p>No trace accused the partner.</p>{% endif %}
{% if r.incidents %}<table><tr><th>incident</th><th>title</th><th>party</th><th>status</th>
<th>opened</th></tr>
{%- for i in r.incidents %}
<tr><td><code>{{ i.incident }}</code></td><td>{{ i.title }}</td><td>{{ i.party }}</td>
<td>{{ i.status }}</td><td>{{ i.opened[:10] }}</td></tr>
{%- endfor %}</table>{% else %}<p>No incident involved the partner.</p>{% endif %}
<h2>Alerts</h2>
<p>{{ r.alerts_note }}</p>
<h2>Obligations that remain</h2>
{% if r.obligations %}<table><tr><th>kind</th><th>subject</th><th>what</th><th>due</th>
<th>open</th></tr>
{%- for o in r.obligations %}
<tr><td>{{ o.kind }}</td><td><code>{{ o.subject }}</code></td><td>{{ o.text }}</td>
<td>{{ o.due or "" }}</td><td class="{{ 'open' if o.open else '' }}">
{{- "yes" if o.open else "no" }}</td></tr>
{%- endfor %}</table>{% else %}<p>None.</p>{% endif %}
<h2>Access revoked</h2>
{% if r.tokens_revoked or r.tokens_kept %}<table><tr><th>API token</th><th>role</th>
<th>party</th><th>note</th><th>what became of it</th></tr>
{%- for t in r.tokens_revoked %}
<tr><td><code>{{ t.token }}</code></td><td>{{ t.role }}</td><td>{{ t.party or "" }}</td>
<td>{{ t.note or "" }}</td><td>revoked</td></tr>
{%- endfor %}
{%- for t in r.tokens_kept %}
<tr><td><code>{{ t.token }}</code></td><td>{{ t.role }}</td><td>{{ t.party or "" }}</td>
<td>{{ t.note or "" }}</td><td class="open">kept: {{ t.reason }}</td></tr>
{%- endfor %}</table>{% endif %}
<p>{{ r.tokens_note }}</p>
<h2>Lessons learned</h2>
<ul>{% for lesson in r.lessons %}<li>{{ lesson }}</li>{% endfor %}</ul>
<h3>Notes</h3>
<div class="notes">{{ r.notes or "(none recorded)" }}</div>
</body></html>
"""


def render_html(report: CloseOutReport) -> bytes:
    """The report as one self-contained HTML page (UTF-8)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(PAGE).render(r=report).encode()
