"""The demo's partnership step (issue 15): the sample model is classified for export control
and offered to a partner abroad (denied without an export licence, allowed with one), the
evaluation agreement's review is planned with its RACI, a member of the partner's team
acknowledges the terms before being admitted, and the NDA is closed out at the end."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from hallmark import services

if TYPE_CHECKING:
    from hallmark import Vault
    from hallmark.schemas import Asset

EVALUATION = """\
id: eval-lumen
type: licence
title: Evaluation licence for Lumen Analytics
parties: [Acme AI, Lumen Analytics]
effective: {start}
expires: {end}
confidentiality_survives: 2y
covers: ["{model}"]
permitted:
  - party: Lumen Analytics
    teams: [Lumen Analytics/eval]
    actions: [share, download, evaluate]
    purposes: [benchmarking]
prohibited: [redistribute, train, fine-tune, commercial-use]
governing_law: Singapore
jurisdiction: Singapore International Commercial Court
require_acknowledgement: true
"""

LICENCE = ("export_licence: {{number: D1234567, authority: \"BIS (US Department of Commerce)\", "
           "expires: {end}}}\n")


def partnership_demo(vault: Vault, model: Asset, workdir: Path) -> list[str]:
    """Export control, a planned review with its RACI, acknowledged terms, a close-out."""
    actor = vault.actor
    folder = workdir / "partnership"
    folder.mkdir(parents=True, exist_ok=True)
    today = date.today()
    start, end = date(today.year, 1, 1), date(today.year + 1, 12, 31)
    services.parties.set_fields(vault, "Acme AI", country="US", actor=actor)
    services.inventory.set_fields(vault, model.id, export_control="4E091", actor=actor)
    add = services.parties.add
    add(vault, "Lumen Analytics", "organisation", role="partner", country="SG", actor=actor)
    add(vault, "eval", "team", member_of="Lumen Analytics", actor=actor)
    add(vault, "Tan Wei", "person", member_of="Lumen Analytics/eval", actor=actor)
    add(vault, "Dana Smith", "person", member_of="Acme AI", role="employee", actor=actor)
    lines = [f"{model.name} classified 4E091 (the example export rules); Lumen Analytics in SG"]

    terms = folder / "eval-lumen.yaml"
    terms.write_text(EVALUATION.format(start=start, end=end, model=model.id))
    services.agreements.add(vault, terms, actor=actor)

    def ask(person: str | None = None) -> str:
        d = services.access.check(vault, "Lumen Analytics", model.id, "share", team="eval",
                                  purpose="benchmarking", person=person, actor=actor)
        who = f"{person} (Lumen Analytics/eval)" if person else "Lumen Analytics/eval"
        verdict = "ALLOW" if d.allowed else "DENY"
        why = next((r for r in d.reasons if not r.startswith("deny by default")), "")
        return f"share {model.name} with {who}: {verdict}" + (f"\n      {why}" if why else "")

    lines.append(ask())
    terms.write_text(terms.read_text() + LICENCE.format(end=end))
    ag = services.agreements.amend(vault, "eval-lumen", terms, actor=actor)
    lines.append(f"eval-lumen v{ag.version} records export licence D1234567 (BIS) to {end}")
    lines.append(ask())
    lines.append(ask("Tan Wei"))
    services.acknowledgements.acknowledge(vault, "eval-lumen", "Tan Wei", actor=actor)
    lines.append(f"Tan Wei acknowledged eval-lumen v{ag.version}")
    lines.append(ask("Tan Wei"))

    plan = services.raci.plan(vault, "eval-lumen", responsible="Priya Rao",
                              accountable="Dana Smith", consulted=["Tan Wei"],
                              informed=["Lumen Analytics"], every="90d", actor=actor)
    lines.append(f"review of eval-lumen planned every {plan.every}, first due {plan.next_due}: "
                 "R Priya Rao, A Dana Smith, C Tan Wei, I Lumen Analytics")

    # Nova Labs was given an API token during the NDA; the close-out revokes it
    services.tokens.create(vault, "partner", party="Nova Labs", note="NDA data room",
                           actor=actor)
    services.agreements.terminate(vault, "nda-novalabs", today - timedelta(days=1),
                                  actor=actor)
    closed = services.closeouts.close_out(vault, "nda-novalabs", output=folder /
                                          "closeout-nda-novalabs.html", actor=actor)
    lines.append(f"nda-novalabs ended and closed out: {len(closed.report.shares)} shares, "
                 f"{len(closed.report.tokens_revoked)} API token revoked, "
                 f"{len(closed.report.obligations)} obligations still open; report "
                 f"{Path(closed.file).name} ({closed.report_sha256[:12]})")
    return lines
