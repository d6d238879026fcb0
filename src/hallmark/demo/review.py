"""The demo's reviewed NDA: an agreement added with the packaged sample document, through the
services, and what its review found."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hallmark import NotFound, Vault, services

DEMO_NDA = """\
id: {id}
type: nda
title: Mutual NDA with {other} (reviewed)
parties: [{ours}, {other}]
effective: {start}
term: 1y
covers: []
"""


def review_demo_nda(vault: Vault) -> list[str]:
    """Add an NDA between two of the vault's organisations with the packaged sample document
    (no survival clause, a residuals clause); returns lines naming what the review found."""
    actor = vault.actor
    names = {p.name for p in services.parties.list_parties(vault).parties
             if p.kind == "organisation"}
    ours = "Acme AI"
    other = next((n for n in ("CloudCo", "Nova Labs") if n in names),
                 next((n for n in sorted(names) if n != ours), "CloudCo"))
    for name, role in ((ours, None), (other, "partner")):
        if name not in names:
            services.parties.add(vault, name, "organisation", role=role, actor=actor)
    agreement_id, n = "nda-reviewed", 1
    while True:
        try:
            services.agreements.show(vault, agreement_id)
        except NotFound:
            break
        n += 1
        agreement_id = f"nda-reviewed-{n}"
    with tempfile.TemporaryDirectory(prefix="hallmark-review-demo-") as folder:
        terms = Path(folder) / f"{agreement_id}.yaml"
        terms.write_text(DEMO_NDA.format(id=agreement_id, ours=ours, other=other,
                                         start=f"{date.today().year}-01-01"))
        ag = services.agreements.add(vault, terms, document=services.review.sample_path(),
                                     actor=actor)
    review = services.agreements.show(vault, ag.id).review
    if review is None:  # add stores it with the agreement; absent means a bug
        raise RuntimeError(f"agreement {ag.id} was stored without its review")
    lines = [f"Agreement {ag.id} ({ours} and {other}) reviewed against the {review.review_type} "
             f"checklist: {len(review.missing)} required clause(s) missing, "
             f"{len(review.risks)} risk(s)"]
    lines += [f"    missing {m.type}: {m.reason}" for m in review.missing]
    lines += [f"    risk {r.id} ({r.severity}): {r.message}" for r in review.risks]
    return lines
