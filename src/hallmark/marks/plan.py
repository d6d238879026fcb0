"""The plan of a table's marks: which numeric columns carry QIM marks within their budget, which
text columns carry categorical substitution marks, and which stable columns key the rows. Pure
over column profiles; no I/O."""

from __future__ import annotations

import hashlib
from typing import Any

from hallmark.errors import InputError
from hallmark.marks import categorical
from hallmark.marks.codes import TardosParams
from hallmark.marks.columns import Profile
from hallmark.marks.layout import FULL_KEY_SHARE, SHARED_FRACTION, key_layout, mark_spec

SCHEME = "hallmark-tabular-qim/1"
DEFAULT_BUDGET = 0.01  # of the column's robust spread (IQR / 1.349)
# Where categorical substitution marks go: "auto" only where no numeric column carries marks
# (substituting labels beside numeric marks cost Bank's classifiers about 2 points of accuracy),
# "always" also beside numeric marks (the copy then survives dropping every numeric column),
# "never".
CATEGORICAL_MODES = ("auto", "always", "never")


def make_plan(profiles: list[Profile], params: TardosParams, budget: float = DEFAULT_BUDGET,
              budgets: dict[str, float] | None = None,
              ranges: dict[str, tuple[float, float]] | None = None,
              fraction: float = 1.0, pair_key: bytes = b"",
              categorical_marks: str = "auto",
              frozen: list[str] | None = None) -> dict[str, Any]:
    """Which columns carry the mark (with step, grid and range), which text columns carry
    categorical marks (pairs keyed by `pair_key`) and which key the rows. `frozen` columns
    carry no mark (a de-identified copy's quasi-identifiers: a mark would move rows between
    their equivalence classes); they may still key the rows."""
    budgets, ranges = budgets or {}, ranges or {}
    carriable = [p for p in profiles if p.name not in set(frozen or [])]
    if not 0.0 < fraction <= 1.0:
        raise InputError("the marked fraction must lie in (0, 1]", field="fraction")
    unknown = sorted((set(budgets) | set(ranges)) - {p.name for p in profiles})
    if unknown:
        raise InputError(f"no column named {unknown[0]!r} to set a budget or range for",
                         field="budgets" if unknown[0] in budgets else "ranges")
    marks, reasons = _mark_specs(carriable, budget, budgets, ranges, False)
    if not marks:  # sparse one-step marks on integer / one-decimal columns, only when needed
        marks, reasons = _mark_specs(carriable, budget, budgets, ranges, True)
    if categorical_marks not in CATEGORICAL_MODES:
        raise InputError(f"categorical marks must be one of {', '.join(CATEGORICAL_MODES)}",
                         field="categorical")
    wanted = categorical_marks == "always" or categorical_marks == "auto" and not marks
    carriers = categorical.carrier_specs(carriable, pair_key) if wanted else []
    if not marks and not carriers:
        why = "; ".join(reasons) or "it has no numeric column"
        raise InputError(f"refusing to share: no column can carry a mark within its budget ({why}"
                         "; no text column has two categories of similar frequency)")
    for spec in marks:
        spec["fraction"] = spec["fraction"] * fraction
    marked = {m["index"] for m in marks}
    candidates = [p for p in profiles if p.index not in marked and p.distinct >= 2
                  and p.nulls < p.rows / 2 and p.fingerprint()["kind"] in ("int", "string",
                                                                            "bool")]
    candidates.sort(key=lambda p: (-p.entropy, _fp_digest(p.fingerprint())))
    if not candidates:
        raise InputError("refusing to share: no stable (categorical or integer) column to key "
                         "the marked rows on")
    scales = {p.index: p.scale for p in profiles}

    def layout(chosen: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[int]],
                                                      list[float]]:
        overrides = {p.index: {**p.fingerprint(), "index": p.index, "bits": p.folded_entropy,
                               "fold": True} for p in candidates if p.kind == "string"}
        for c, spec in enumerate(chosen):
            overrides[spec["index"]] = {"name": spec["name"], "kind": "cpair", "of": c,
                                        "index": spec["index"], "pairs": spec["pairs"],
                                        "bits": spec["bits"]}
        return key_layout(candidates, marks, scales, profiles[0].rows, overrides)

    carriers = categorical.fit(carriers, layout, bool(marks))
    keys, groups, weights = layout(carriers)
    # the carriers' cells are keyed by groups of text columns only: a leak dropping every
    # numeric column keeps them
    text = [i for i, k in enumerate(keys) if k["kind"] in ("string", "cpair")]
    plain = [g for g in groups if set(g) <= set(text) and g != text]
    share = (1.0 - FULL_KEY_SHARE) / max(len(plain), 1)
    # the text blocks survive a dropped text column; all text columns together tell more rows
    # apart (most distinct positions)
    plain, cat_weights = ([*plain, text], [share] * len(plain) + [FULL_KEY_SHARE]) if plain \
        else ([text], [1.0]) if text else ([], [])
    if len(groups) > 1:
        for spec in marks:  # a tracer missing blocks then reads fewer cells of other blocks
            spec["fraction"] = min(spec["fraction"], SHARED_FRACTION)
    return {"scheme": SCHEME, "tardos": params.to_json(), "fraction": fraction,
            "rows": profiles[0].rows if profiles else 0, "key_columns": keys,
            "key_groups": groups, "key_weights": weights, "mark_columns": marks,
            "cat_columns": carriers, "cat_groups": plain, "cat_weights": cat_weights,
            "unmarked": reasons}


def _mark_specs(profiles: list[Profile], budget: float, budgets: dict[str, float],
                ranges: dict[str, tuple[float, float]], sparse: bool
                ) -> tuple[list[dict[str, Any]], list[str]]:
    marks: list[dict[str, Any]] = []
    reasons: list[str] = []
    for prof in profiles:
        if prof.kind not in ("int", "float") or prof.rows == prof.nulls:
            continue
        if prof.identifier and prof.name not in budgets:
            reasons.append(f"{prof.name.strip()}: its values are all distinct (an identifier)")
            continue
        spec = mark_spec(prof, budgets.get(prof.name, budget * prof.scale),
                         ranges.get(prof.name, (prof.minimum, prof.maximum)), sparse)
        if isinstance(spec, str):
            reasons.append(f"{prof.name.strip()}: {spec}")
        else:
            marks.append(spec)
    return marks, reasons


def _fp_digest(fp: dict[str, Any]) -> str:
    body = repr(sorted((k, v) for k, v in fp.items() if k != "name")).encode()
    return hashlib.sha256(body).hexdigest()
