"""Audit rules over registered IP rights: patent filings made after the invention was published,
and released or shared models whose name no recorded trademark protects."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from hallmark.agreements.inventions import load_inventions
from hallmark.agreements.trademarks import load_marks, normalised
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.store.tables import shares

# A model counts as released when the register classifies it public: that is how a team says
# "this is out" (`hallmark asset set ID --classification public`).
RELEASED = "public"


@rule("filing-after-publication",
      "A patent filing was made after the invention's defensive publication.")
def filing_after_publication(ctx: AuditContext) -> Iterator[Finding]:
    """Filings dated after their invention's publication (its own prior art)."""
    for inv in load_inventions(ctx.conn):
        if inv.publication is None:
            continue
        for filing in inv.filings:
            if filing.filed > inv.publication.published:
                yield finding(
                    "filing-after-publication", "high", None,
                    f"{filing.id} ({filing.kind}, {filing.office}) was filed on {filing.filed}, "
                    f"after {inv.id} {inv.title!r} was published on "
                    f"{inv.publication.published}",
                    "ask counsel before relying on it: a public disclosure before filing may bar "
                    "a patent in most jurisdictions (absolute novelty, e.g. EPC Art. 54) outside "
                    "grace periods such as the US 12-month grace period for the inventor's own "
                    "disclosure (35 U.S.C. 102(b)(1))", inv.id)


@rule("unprotected-model-name",
      "A shared or released model whose card names it, with no trademark recorded for that name.")
def unprotected_model_name(ctx: AuditContext) -> Iterator[Finding]:
    """Models out in the world (shared, or classified public) named by their card, with no mark
    of the same name (case, spaces, hyphens and underscores ignored)."""
    shared = {r.asset for r in ctx.conn.execute(select(shares.c.asset).distinct())}
    protected = {normalised(m.name) for m in load_marks(ctx.conn)}
    for a in ctx.assets:
        card = a.metadata.get("card")
        found = card.get("model_name") if isinstance(card, dict) else None
        name = found if isinstance(found, str) else ""
        if a.kind != "model" or not normalised(name):
            continue
        out = "shared" if a.id in shared else "released" if a.classification == RELEASED \
            else None
        if out is None or normalised(name) in protected:
            continue
        yield finding("unprotected-model-name", "medium", a.id,
                      f"{a.path}: {out} model named {name!r} by its card, with no trademark "
                      "recorded for that name",
                      f"file a trademark for the name and record it: `hallmark mark add "
                      f"{name!r} --class 9 --office USPTO` (class 9 for downloadable models "
                      "and software, 42 for a hosted service)")
