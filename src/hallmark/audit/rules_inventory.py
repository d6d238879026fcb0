"""Rules over the inventory: ownership, personal data, licences, lineage, unsafe files."""

from __future__ import annotations

import json
from collections.abc import Iterator

from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.inventory.licenses import is_copyleft, is_noncommercial


@rule("unknown-owner", "ownership status unknown; severity rises with the asset's value")
def unknown_owner(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        if a.status == "unknown" and a.kind != "other":
            value = a.value or 0
            severity = "high" if value >= 4 else "medium" if value >= 2 or a.kind in (
                "model", "dataset") else "low"
            yield finding("unknown-owner", severity, a.id,
                          f"{a.path}: ownership status is unknown",
                          "set it: hallmark asset set ID --owner NAME --status in-house|"
                          "third-party|joint")


@rule("pii-in-dataset", "columns or sampled values that look like personal data")
def pii_in_dataset(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        pii = a.metadata.get("pii") or []
        if a.kind == "dataset" and pii:
            cols = ", ".join(f"{p['column']} ({'/'.join(p['kinds'])})" for p in pii)
            yield finding("pii-in-dataset", "high", a.id,
                          f"{a.path}: personal data in columns {cols}",
                          "share it de-identified (`hallmark share ID --to PARTY --deidentify`: "
                          "pseudonyms, k-anonymity), or drop those columns")


@rule("pii-shared", "a dataset with personal data shared without de-identifying it")
def pii_shared(ctx: AuditContext) -> Iterator[Finding]:
    """Each share of a dataset with PII that was not de-identified (high), or whose recorded
    de-identification left one of the register's PII columns untouched (medium). A share made
    with `--deidentify` that covered every PII column gives no finding."""
    from sqlalchemy import select

    from hallmark.store.tables import shares

    query = select(shares.c.id, shares.c.asset, shares.c.recipient, shares.c.deidentified)
    for row in ctx.conn.execute(query.order_by(shares.c.created, shares.c.id)):
        a = ctx.by_id.get(row.asset)
        pii = [p for p in (a.metadata.get("pii") or []) if isinstance(p, dict)] if a else []
        if a is None or a.kind != "dataset" or not pii:
            continue
        columns = [str(p.get("column")) for p in pii]
        if not row.deidentified:
            yield finding("pii-shared", "high", a.id,
                          f"{a.path}: shared with {row.recipient} as {row.id} with its personal "
                          f"data in columns {', '.join(columns)}",
                          "ask the recipient to return or destroy that copy, and share a "
                          "de-identified one (`hallmark share ID --to PARTY --deidentify`)",
                          subject=row.id)
            continue
        done = json.loads(row.deidentified)
        covered = {c.get("column") for c in done.get("pseudonymised") or []} | \
            set(done.get("quasi_identifiers") or []) | set(done.get("dropped") or [])
        left = [c for c in columns if c not in covered]
        if left:
            yield finding("pii-shared", "medium", a.id,
                          f"{a.path}: shared de-identified with {row.recipient} as {row.id}, "
                          f"but columns {', '.join(left)} were left as they are",
                          "check those columns; share again with them pseudonymised "
                          "(`--pseudonymise COL`) or dropped (`--deidentify-drop COL`)",
                          subject=row.id)


@rule("copyleft-dependency", "code under, or depending on, GPL/AGPL/LGPL/SSPL/EUPL code")
def copyleft_dependency(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        if a.kind != "code":
            continue
        lic = a.effective_license
        if lic and is_copyleft(lic):
            yield finding("copyleft-dependency", "high", a.id,
                          f"{a.path}: licensed under copyleft {lic}",
                          "check the licence's obligations before distributing or sharing; "
                          "relicense or isolate the code")
        deps = [d for d in a.metadata.get("dependencies") or []
                if d.get("license") and is_copyleft(d["license"])]
        if deps:
            names = ", ".join(f"{d['name']} ({d['license']})" for d in deps)
            yield finding("copyleft-dependency", "medium", a.id,
                          f"{a.path}: depends on copyleft code: {names}",
                          "review how these are linked and distributed, or replace them")


@rule("no-license", "a model or dataset without a stated licence")
def no_license(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        if a.kind in ("model", "dataset") and not a.effective_license:
            yield finding("no-license", "medium", a.id,
                          f"{a.path}: no licence stated for this {a.kind}",
                          "record it: hallmark asset set ID --license SPDX (or add a model/"
                          "dataset card with a `license` key)")


@rule("noncommercial-input", "a model trained on non-commercial inputs but not marked so")
def noncommercial_input(ctx: AuditContext) -> Iterator[Finding]:
    parents: dict[str, list[str]] = {}
    for child, parent, _relation in ctx.edges:
        parents.setdefault(child, []).append(parent)
    for a in ctx.assets:
        if a.kind != "model":
            continue
        own = a.effective_license
        if own and is_noncommercial(own):
            continue
        tainted = []
        seen: set[str] = set()
        stack = list(parents.get(a.id, []))
        while stack:  # the whole ancestry: a base model's training data taints too
            pid = stack.pop()
            if pid in seen or pid not in ctx.by_id:
                continue
            seen.add(pid)
            lic = ctx.by_id[pid].effective_license
            if lic and is_noncommercial(lic):
                tainted.append(f"{ctx.by_id[pid].path} ({lic})")
            stack.extend(parents.get(pid, []))
        card = a.metadata.get("card") or {}
        for field in ("base_model", "datasets"):
            value = card.get(field)
            for name in value if isinstance(value, list) else [value] if value else []:
                if is_noncommercial(str(name)):
                    tainted.append(f"{field} {name}")
        if tainted:
            inputs = ", ".join(sorted(tainted))
            yield finding("noncommercial-input", "high", a.id,
                          f"{a.path}: built from non-commercial inputs: {inputs}",
                          "mark the model non-commercial (hallmark asset set ID --license ...) "
                          "or retrain without those inputs")


@rule("unsafe-pickle", "a pickle that imports globals outside the safe allow-list")
def unsafe_pickle(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        bad = (a.metadata.get("unsafe_globals") or []) if a.metadata.get("format") == "pickle" \
            else []
        if bad:
            yield finding("unsafe-pickle", "high", a.id,
                          f"{a.path}: loading it would import {', '.join(bad)}",
                          "never load it with pickle/torch.load; convert trusted weights to "
                          "safetensors, or delete the file")


@rule("unreadable-file", "a file that could not be read or parsed")
def unreadable_file(ctx: AuditContext) -> Iterator[Finding]:
    for a in ctx.assets:
        if a.metadata.get("error"):
            yield finding("unreadable-file", "low", a.id,
                          f"{a.path}: {a.metadata['error']}",
                          "check whether the file is corrupt or truncated; replace it")
    for path, reason in ctx.scan_problems:
        yield finding("unreadable-file", "low", None, f"{path}: {reason}",
                      "fix the file or exclude it (--exclude GLOB)", subject=path)
