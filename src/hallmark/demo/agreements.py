"""The agreements part of the demo: parties (one with due diligence, one without), an NDA and a
data-use agreement written as YAML, an invention with a filing, an allowed and a denied check,
the deadlines and the checklist. `hallmark.demo.project` calls `build_agreements_demo`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from hallmark import Vault, services
from hallmark.schemas import AccessQuery, Asset

DILIGENCE = """\
party: CloudCo
reviewer: legal@acme.example
answers:
  reputation: {answer: good, evidence: "12 years in business; 3 prior research collaborations"}
  ip-history: {answer: none, evidence: "litigation search (US, EU) on {today}: no IP cases"}
  confidentiality-breaches: {answer: minor, evidence: "2023 misdirected e-mail, disclosed"}
  security: {answer: certified, evidence: "ISO/IEC 27001 certificate valid to 2027"}
  data-protection: {answer: compliant, evidence: "GDPR DPA signed; DPO named"}
  conflicts: {answer: managed, evidence: "sells a competing API; firewall undertaking"}
  references: {answer: checked-positive, evidence: "two references found independently"}
"""

NDA = """\
id: nda-novalabs
type: nda
title: Mutual NDA with Nova Labs
parties: [Acme AI, Nova Labs]
effective: {start}
term: 2y
confidentiality_survives: 5y
covers: ["{dataset}", "{model}"]
prohibited: [redistribute, reverse-engineer, train]
ownership:
  - subject: derivatives
    owner: Acme AI
governing_law: England and Wales
renewal: {{auto: false, notice: 90d}}
"""

DUA = """\
id: dua-cloudco
type: data-use
title: Data-use agreement with CloudCo
parties: [Acme AI, CloudCo]
effective: {start}
expires: {end}
confidentiality_survives: 3y
covers: ["{dataset}"]
permitted:
  - party: CloudCo
    teams: [CloudCo/research]
    actions: [share, download, train]
    purposes: [diagnostics-research]
prohibited: [redistribute, sublicense, commercial-use]
ownership:
  - subject: improvements
    owner: Acme AI
governing_law: Delaware, USA
renewal: {{auto: false, notice: 60d}}
"""


def _demo_assets(vault: Vault, workdir: Path) -> tuple[Asset, Asset]:
    """A dataset and a model from the vault, registering two small ones if it has none."""
    found = list_assets_by_kind(vault)
    if "dataset" not in found or "model" not in found:
        folder = workdir / "agreements-demo"
        folder.mkdir(parents=True, exist_ok=True)
        rows = ["patient,age,marker,label"] + [f"p{i:03d},{30 + i % 50},{(i * 37) % 100},"
                                                 f"{i % 2}" for i in range(200)]
        (folder / "patients-v3.csv").write_text("\n".join(rows) + "\n")
        rng = np.random.default_rng(7)
        save_file({"dense.weight": rng.standard_normal((16, 4)).astype(np.float32)},
                  str(folder / "diagnostics-model.safetensors"))
        services.inventory.scan(vault, [folder], actor=vault.actor)
        found = list_assets_by_kind(vault)
    return found["dataset"], found["model"]


def list_assets_by_kind(vault: Vault) -> dict[str, Asset]:
    """The first asset of each kind."""
    out: dict[str, Asset] = {}
    for asset in services.inventory.list_assets(vault).assets:
        out.setdefault(asset.kind, asset)
    return out


def build_agreements_demo(vault: Vault, workdir: Path, dataset: Asset | None = None,
                          model: Asset | None = None) -> list[str]:
    """Add the demo's parties, agreements, invention and checks over `dataset` and `model`
    (default: the vault's first of each kind); returns lines to print."""
    actor = vault.actor  # the demo is an edge, like the CLI: it acts as the vault's user
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    today = date.today()
    start, end = date(today.year, 1, 1), date(today.year + 1, 12, 31)
    if dataset is None or model is None:
        dataset, model = _demo_assets(vault, workdir)
    for asset in (dataset, model):
        if not asset.owner:
            services.inventory.set_fields(vault, asset.id, owner="Acme AI", status="in-house",
                                          actor=actor)
    lines = [f"Assets under agreement: {dataset.name} ({dataset.id}), {model.name} ({model.id})"]

    add_party = services.parties.add
    add_party(vault, "Acme AI", "organisation", actor=actor)
    add_party(vault, "CloudCo", "organisation", role="partner", actor=actor)
    add_party(vault, "research", "team", member_of="CloudCo", actor=actor)
    add_party(vault, "sales", "team", member_of="CloudCo", actor=actor)
    add_party(vault, "Nova Labs", "organisation", role="partner", actor=actor)
    add_party(vault, "Priya Rao", "person", member_of="Acme AI", role="employee",
              email="priya@acme.example", actor=actor)
    lines.append("Parties: Acme AI; CloudCo (teams research, sales); Nova Labs; Priya Rao")

    answers = workdir / "cloudco-diligence.yaml"
    answers.write_text(DILIGENCE.replace("{today}", today.isoformat()))
    review = services.parties.record_diligence(vault, "CloudCo", answers, actor=actor)
    lines.append(f"Due diligence on CloudCo: risk {review.score}/100 ({review.rating}); "
                 "none on Nova Labs (the audit flags it: diligence-missing)")

    nda = workdir / "nda-novalabs.yaml"
    nda.write_text(NDA.format(start=start, dataset=dataset.id, model=model.id))
    dua = workdir / "dua-cloudco.yaml"
    dua.write_text(DUA.format(start=start, end=end, dataset=dataset.id))
    signed = workdir / "dua-cloudco-signed.txt"
    signed.write_text("Data-use agreement between Acme AI and CloudCo. Signed by both parties.\n")
    for path, document in ((nda, None), (dua, signed)):
        ag = services.agreements.add(vault, path, document=document, actor=actor)
        lines.append(f"Agreement {ag.id} ({ag.type}) from {path.name}"
                     + (f", signed copy {ag.document_sha256[:12]}" if ag.document_sha256 else ""))

    conceived = today - timedelta(days=200)
    inv = services.inventions.add_invention(vault, "Marker-guided triage model", conceived,
                                            ["Priya Rao"], [model.id], actor=actor)
    filing = services.inventions.add_filing(vault, inv.id, "provisional", "US",
                                            conceived + timedelta(days=60), actor=actor)
    lines.append(f"Invention {inv.id} conceived {inv.conceived}; provisional filed "
                 f"{filing.filed} at {filing.office}")

    asks = [AccessQuery(party="CloudCo", asset=dataset.id, action="train", team="research",
                        purpose="diagnostics-research"),
            AccessQuery(party="CloudCo", asset=dataset.id, action="train", team="sales",
                        purpose="marketing")]
    for d in services.access.check_batch(vault, asks, actor=actor).decisions:
        r = d.request
        verdict = "ALLOW" if d.allowed else "DENY"
        lines.append(f"check {r.team or r.party} {r.action} {r.asset} "
                     f"for {r.purpose}: {verdict}")
        lines.extend(f"    {reason}" for reason in d.reasons)

    lines.append("Deadlines (next 2 years):")
    for dl in services.deadlines.list_deadlines(vault, 730).deadlines:
        lines.append(f"    {dl.due}  {dl.status:<8} {dl.title}")
    lines.append("Checklist:")
    for step in services.checklist.checklist(vault).steps:
        note = (step.gaps or step.evidence or [""])[0]
        lines.append(f"    {step.number:>2}. {step.status:<7} {step.title}: {note}")
    return lines
