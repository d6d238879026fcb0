"""Tabular marks benchmark: robustness to attacks, false accusations, utility and throughput.

Run: .venv/bin/python bench/marks_tabular.py [--recipients 1000] [--innocent-traces 12]
     [--rows 100000 --big-rows 0]   (e.g. --big-rows 1000000 for the larger throughput run)
Reads ../shared/data/tabular/adult.csv (relative to the repository root; its section is skipped,
and said so, when absent) and synthetic tables. Writes bench/results/marks_tabular.json and
prints a markdown table. Marking and tracing use the library's own batch functions and readers /
writers; the baseline is a pyarrow read+write of the same file in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hallmark.marks import tabular_io  # noqa: E402
from hallmark.marks.categorical import cat_readable  # noqa: E402
from hallmark.marks.codes import TardosParams, derive_key  # noqa: E402
from hallmark.marks.columns import SUSPECT_TOP_VALUES, profile_batches  # noqa: E402
from hallmark.marks.engines import LocalEngine  # noqa: E402
from hallmark.marks.layout import (  # noqa: E402
    locate,
    readable_groups,
    survival,
    survived_decimals,
    unreadable,
)
from hallmark.marks.plan import DEFAULT_BUDGET  # noqa: E402
from hallmark.marks.stats import log_tail_bound, needed_positions  # noqa: E402
from hallmark.marks.tabular import (  # noqa: E402
    Extraction,
    Keys,
    make_plan,
    mark_batch,
)
from hallmark.marks.tabular_scheme import TabularScheme  # noqa: E402

KEY = bytes(range(32))
DIGEST_KEY = derive_key(KEY, "hallmark/fingerprint")  # as share and trace digest values
START = time.perf_counter()
ADULT = ROOT.parent / "shared" / "data" / "tabular" / "adult.csv"


CATEGORICAL = "auto"  # share's --categorical, set from the command line


class Lab:
    """One asset's plan and keys, and `n` recipients' share ids."""

    def __init__(self, table: pa.Table, recipients: int, asset: str = "bench-asset") -> None:
        self.table = table
        profiles = profile_batches(table.schema, table.to_batches(max_chunksize=65536),
                                   DIGEST_KEY)
        self.params = TardosParams(recipients=recipients)
        self.plan = make_plan(profiles, self.params, pair_key=KEY, categorical_marks=CATEGORICAL)
        self.keys = Keys.derive(KEY, asset, self.plan)
        self.shares = [f"sh-{i:05d}" for i in range(recipients)]

    def mark(self, share: str, table: pa.Table | None = None) -> pa.Table:
        source = self.table if table is None else table
        done = [mark_batch(b, self.plan, self.keys, share)
                for b in source.to_batches(max_chunksize=65536)]
        self.cells = sum(count for _, count in done)
        return pa.Table.from_batches([batch for batch, _ in done])

    def trace(self, suspect: pa.Table, guilty: list[str]) -> dict[str, Any]:
        """Rank and p-values of the guilty, innocents accused, rows and positions; as `trace`
        does, marked columns rounded or perturbed beyond reading are left out, and a suspect
        with none left is inconclusive."""
        profiles = profile_batches(suspect.schema, suspect.to_batches(), DIGEST_KEY,
                                   SUSPECT_TOP_VALUES)  # as `trace` profiles a suspect
        seen = [p.fingerprint() for p in profiles]
        mapping = locate(self.plan, seen)
        why = []
        for j, spec in enumerate(self.plan["mark_columns"]):
            found = unreadable(spec, profiles[mapping[f"m{j}"]].decimals) \
                if f"m{j}" in mapping else None
            if found and found[0] == "rounded":
                why.append(found[1])
                del mapping[f"m{j}"]
                for i, k in enumerate(self.plan["key_columns"]):
                    if k.get("kind") == "coarse" and k["of"] == j:
                        mapping.pop(f"k{i}", None)
        if not (any(k.startswith("m") for k in mapping) and readable_groups(self.plan, mapping)
                or cat_readable(self.plan, mapping)):
            return {"located": False, "inconclusive": bool(why), "guilty_accused": 0,
                    "innocents_accused": 0}
        extraction = Extraction()
        for batch in suspect.to_batches(max_chunksize=65536):
            extraction.add(batch, self.plan, mapping, self.keys)
        pos, sigma = extraction.finish()
        if pos.size == 0:  # located, but no marked cell readable: nothing to score
            return {"located": False, "inconclusive": bool(why), "guilty_accused": 0,
                    "innocents_accused": 0}
        bias = self.keys.codebook.bias(pos)
        scores = np.array([self.keys.codebook.score(s, pos, sigma, bias) for s in self.shares])
        n = len(self.shares)
        threshold = accusation_threshold(sigma, bias, n, self.params.epsilon)
        order = np.argsort(-scores)
        rank = {self.shares[i]: r + 1 for r, i in enumerate(order)}
        guilty_set = set(guilty)
        p_of = {s: corrected(scores[self.shares.index(s)], sigma, bias, n) for s in guilty}
        innocent_best = max((scores[i] for i in order[:5] if self.shares[i] not in guilty_set),
                            default=0.0)
        return {"located": True, "rows_matched": extraction.rows, "positions": int(pos.size),
                "guilty_rank": sorted(rank[s] for s in guilty),
                "guilty_best_p": min(p_of.values()) if p_of else None,
                "guilty_accused": int(sum(scores[self.shares.index(s)] >= threshold
                                          for s in guilty)),
                "innocents_accused": int(sum(scores[i] >= threshold for i in range(n)
                                             if self.shares[i] not in guilty_set)),
                "best_innocent_p": corrected(innocent_best, sigma, bias, n)}


def corrected(score: float, sigma: np.ndarray, bias: np.ndarray, n: int) -> float:
    log_p = log_tail_bound(float(score), sigma, bias) + math.log(n)
    return 1.0 if log_p >= 0 else max(math.exp(log_p), 1e-300)


def accusation_threshold(sigma: np.ndarray, bias: np.ndarray, n: int, eps: float) -> float:
    """The smallest score whose corrected p-value is <= eps (the bound falls with the score)."""
    target = math.log(eps / n)
    lo, hi = 0.0, float(np.sqrt((sigma ** 2).sum())) * 4 + 1
    while log_tail_bound(hi, sigma, bias) > target:
        hi *= 2
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if log_tail_bound(mid, sigma, bias) > target else (lo, mid)
    return hi


# -- attacks ------------------------------------------------------------------------------------

def subset(t: pa.Table, frac: float, rng: np.random.Generator) -> pa.Table:
    return t.take(pa.array(np.sort(rng.choice(len(t), max(1, int(len(t) * frac)), False))))


def with_column(t: pa.Table, name: str, values: np.ndarray | pa.Array) -> pa.Table:
    i = t.column_names.index(name)
    return t.set_column(i, name, pa.array(values) if isinstance(values, np.ndarray) else values)


def noisy(lab: Lab, t: pa.Table, rng: np.random.Generator, kind: str, round_to: int = 0
          ) -> pa.Table:
    """Equal-power noise: the same RMS as the mark's own change (step / sqrt 12)."""
    for spec in lab.plan["mark_columns"]:
        x = np.asarray(t.column(spec["name"]).to_numpy(zero_copy_only=False), dtype=float)
        rms = spec["step"] / math.sqrt(12)
        if kind == "additive":
            x = x + rng.normal(0, rms, x.size)
        else:
            x = x * (1 + rng.normal(0, rms / max(abs(float(np.mean(x))), 1e-9), x.size))
        if round_to:
            x = np.round(x, -round_to)
        typ = t.schema.field(spec["name"]).type
        arr = pa.array(np.round(x) if pa.types.is_integer(typ) else x)
        t = with_column(t, spec["name"], pc.cast(arr, typ, safe=False))
    return t


def alter(lab: Lab, t: pa.Table, frac: float, rng: np.random.Generator) -> pa.Table:
    for spec in lab.plan["mark_columns"]:
        x = np.asarray(t.column(spec["name"]).to_numpy(zero_copy_only=False)).copy()
        hit = rng.random(x.size) < frac
        x[hit] = rng.permutation(x)[hit]
        t = with_column(t, spec["name"], x)
    return t


def collude(copies: list[pa.Table], lab: Lab, how: str, rng: np.random.Generator) -> pa.Table:
    out = copies[0]
    for spec in lab.plan["mark_columns"]:
        stack = np.stack([np.asarray(c.column(spec["name"]).to_numpy(zero_copy_only=False),
                                     dtype=float) for c in copies])
        k, n = stack.shape
        if how == "average":
            merged = stack.mean(axis=0)
        elif how == "mix":
            merged = stack[rng.integers(0, k, n), np.arange(n)]
        else:  # majority vote: the value most colluders hold, ties broken at random
            agree = (stack[:, None, :] == stack[None, :, :]).sum(axis=1) + rng.random((k, n))
            merged = stack[agree.argmax(axis=0), np.arange(n)]
        typ = out.schema.field(spec["name"]).type
        arr = pa.array(np.round(merged) if pa.types.is_integer(typ) else merged)
        out = with_column(out, spec["name"], pc.cast(arr, typ, safe=False))
    for spec in lab.plan.get("cat_columns", []):  # categories: no average; majority or mix
        cats = np.stack([np.array(c.column(spec["name"]).to_pylist(), dtype=object)
                         for c in copies])
        k, n = cats.shape
        if how == "mix":
            picked = rng.integers(0, k, n)
        else:
            agree = (cats[:, None, :] == cats[None, :, :]).sum(axis=1) + rng.random((k, n))
            picked = agree.argmax(axis=0)
        out = with_column(out, spec["name"], pa.array(cats[picked, np.arange(n)].tolist(),
                                                      type=out.schema.field(spec["name"]).type))
    return out


def foreign(t: pa.Table, frac: float, rng: np.random.Generator) -> pa.Table:
    """Append rows made by resampling each column independently (plausible, never shared)."""
    n = int(len(t) * frac)
    cols = {name: t.column(name).take(pa.array(rng.integers(0, len(t), n)))
            for name in t.column_names}
    return pa.concat_tables([t, pa.table(cols)]).take(pa.array(rng.permutation(len(t) + n)))


def dedup(t: pa.Table) -> pa.Table:
    return t.group_by(t.column_names).aggregate([])


TABULAR = ROOT.parent / "shared" / "data" / "tabular"
PUBLIC = {"adult": "adult.csv", "california_housing": "california_housing.csv",
          "bank_marketing": "bank_marketing.csv"}


def round_marks(lab: Lab, t: pa.Table, decimals: Any) -> pa.Table:
    """Every marked column rounded to `decimals(spec)` decimals (None: left alone)."""
    for spec in lab.plan["mark_columns"]:
        d = decimals(spec)
        if d is None:
            continue
        typ = t.schema.field(spec["name"]).type
        t = with_column(t, spec["name"], pc.cast(pc.round(t.column(spec["name"]), int(d)), typ,
                                                 safe=False))
    return t


def recase(t: pa.Table) -> pa.Table:
    """Every text value upper-cased and stripped of surrounding spaces."""
    return pa.table({f.name: pc.utf8_upper(pc.utf8_trim_whitespace(t.column(f.name)))
                     if pa.types.is_string(f.type) else t.column(f.name) for f in t.schema})


def key_sources(lab: Lab) -> list[str]:
    """The source columns the row keys read (stable keys, and marked columns' coarse bins)."""
    return list(dict.fromkeys(k["name"] for k in lab.plan["key_columns"]))


def leaker_attacks(lab: Lab, copy: pa.Table, rng: np.random.Generator,
                   run: Any) -> None:
    """What the issue lists on every table: subsets, rounding (3 decimals, the column's own
    resolution, the grid the marks promise, one decimal coarser), dropping any one or two key
    columns, noise, alteration, foreign rows, dedup, format change, collusion."""
    for frac in (0.5, 0.1, 0.05, 0.01):
        run(f"subset {frac:.0%}", subset(copy, frac, rng))
    run("shuffle", copy.take(pa.array(rng.permutation(len(copy)))))
    run("round marked columns to 3 decimals", round_marks(lab, copy, lambda s: 3))
    run("round marked columns to their own resolution",
        round_marks(lab, copy, lambda s: s.get("source_decimals")))
    run("round marked columns to the promised grid",
        round_marks(lab, copy, lambda s: survived_decimals(s)))
    run("round marked columns one decimal coarser than promised",
        round_marks(lab, copy, lambda s: survived_decimals(s) - 1))
    ten = subset(copy, 0.1, rng)
    run("10% + equal-power noise", noisy(lab, ten, rng, "additive"))
    run("alter 10% of marked cells", alter(lab, copy, 0.1, rng))
    run("+50% foreign rows", foreign(copy, 0.5, rng))
    run("dedup", dedup(copy))
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(copy.cast(pa.schema([pa.field(f.name, pa.float32())
                                            if pa.types.is_integer(f.type) else f
                                            for f in copy.schema])), Path(tmp) / "c.parquet")
        run("CSV -> Parquet, integers as float32", pq.read_table(Path(tmp) / "c.parquet"))
    numeric = [f.name for f in copy.schema if pa.types.is_integer(f.type)
               or pa.types.is_floating(f.type)]
    if lab.plan.get("cat_columns") and numeric:
        run("every numeric column dropped", copy.drop_columns(numeric))
        run("every numeric column dropped, 20% subset", subset(copy.drop_columns(numeric), 0.2,
                                                            rng))
    if lab.plan.get("cat_columns"):
        run("upper-case and strip every label", recase(copy))
    sources = key_sources(lab)
    marked = {m["name"] for m in lab.plan["mark_columns"] + lab.plan.get("cat_columns", [])}
    # a drop that leaves no marked column leaves nothing to read: not a test of the keys
    for name in sources:
        if marked - {name}:
            run(f"drop {name!r}", copy.drop_columns([name]))
    for a, b in itertools.combinations(sources, 2):
        if marked - {a, b}:
            run(f"drop {a!r} and {b!r}", copy.drop_columns([a, b]))
    copies = [copy] + [lab.mark(s) for s in lab.shares[1:5]]
    run("collusion of 3: majority", collude(copies[:3], lab, "majority", rng), lab.shares[:3])
    run("collusion of 5: mix", collude(copies[:5], lab, "mix", rng), lab.shares[:5])


def table_section(name: str, table: pa.Table, args: argparse.Namespace,
                  rng: np.random.Generator, model: bool = True) -> dict[str, Any]:
    """Every attack on one table, the innocent trials, utility and what share promises."""
    lab = Lab(table, args.recipients, asset=f"bench-{name}")
    leaker = lab.shares[0]
    copy = lab.mark(leaker)
    runs: dict[str, Any] = {}

    def run(attack: str, suspect: pa.Table, guilty: list[str] | None = None) -> None:
        runs[attack] = lab.trace(suspect, guilty or [leaker])

    leaker_attacks(lab, copy, rng, run)
    copy = lab.mark(leaker)  # again: lab.cells now counts this copy's marked cells
    promised = survival(lab.plan, len(table), lab.cells, needed_positions(
        args.recipients, lab.params.epsilon, lab.params.cutoff))
    return {"rows": len(table), "plan": describe(lab), "promised": promised, "attacks": runs,
            "innocent_trials": innocent_trials(lab, args.innocent_traces, rng),
            "utility": utility(table, copy, lab, model)}


def cohort(rows: int = 3000, seed: int = 11) -> pa.Table:
    """Generated: a clinical cohort of integers and one-decimal measurements."""
    r = np.random.default_rng(seed)
    return pa.table({
        "patient": np.arange(50_000, 50_000 + rows, dtype=np.int64),
        "sex": r.choice(["F", "M"], rows).tolist(),
        "site": r.choice([f"site{i}" for i in range(6)], rows).tolist(),
        "age": r.integers(18, 90, rows).astype(np.int64),
        "bmi": np.round(r.normal(27.0, 4.5, rows), 1),
        "glucose": np.round(r.normal(100.0, 18.0, rows)).astype(np.int64)})


def narrow(rows: int = 3000, seed: int = 12) -> pa.Table:
    """Generated: the only float column has a small spread (a ratio near 1, five decimals)."""
    r = np.random.default_rng(seed)
    return pa.table({
        "order": np.arange(10_000, 10_000 + rows, dtype=np.int64),
        "region": r.choice(["north", "south", "east", "west"], rows).tolist(),
        "plan": r.choice(["basic", "plus", "pro"], rows).tolist(),
        "ratio": np.round(1.0 + r.normal(0.0, 0.02, rows), 5)})


def survey(rows: int = 5000, seed: int = 21) -> pa.Table:
    """Generated: survey answers only (region, plan, device, age band, four answer codes)."""
    r = np.random.default_rng(seed)
    answers = ["strongly agree", "agree", "neutral", "disagree", "strongly disagree"]
    columns = {
        "region": r.choice(["North", "South", "East", "West", "Centre", "Islands"], rows,
                           p=[0.22, 0.2, 0.18, 0.17, 0.13, 0.1]).tolist(),
        "plan": r.choice(["Basic", "Plus", "Pro", "Team"], rows, p=[0.35, 0.3, 0.2, 0.15]).tolist(),
        "device": r.choice(["Phone", "Laptop", "Tablet"], rows, p=[0.45, 0.35, 0.2]).tolist(),
        "age_band": r.choice(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], rows).tolist()}
    for q in range(1, 5):
        columns[f"q{q}"] = r.choice(answers, rows, p=[0.15, 0.3, 0.25, 0.18, 0.12]).tolist()
    return pa.table(columns)


def adult_extra(args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """The Adult-only attacks of issue 5 (fnlwgt rounding, sort, wider collusion)."""
    if not ADULT.is_file():
        return {"skipped": f"{ADULT} is absent"}
    table = pacsv.read_csv(ADULT)
    table = table.rename_columns([c.strip() for c in table.column_names])
    lab = Lab(table, args.recipients, asset="bench-adult")
    leaker = lab.shares[0]
    copy = lab.mark(leaker)
    runs: dict[str, Any] = {}

    def run(name: str, suspect: pa.Table, guilty: list[str] | None = None) -> None:
        runs[name] = lab.trace(suspect, guilty or [leaker])

    ten = subset(copy, 0.1, rng)
    run("10% + rounding (nearest 10) + equal-power noise",
        noisy(lab, ten, rng, "additive", round_to=1))
    run("10% + multiplicative equal-power noise", noisy(lab, ten, rng, "multiplicative"))
    run("sort by fnlwgt", copy.sort_by("fnlwgt"))
    keep = [c for c in copy.column_names if c != "race"][::-1]
    run("drop 'race', reverse columns, rename", copy.select(keep).rename_columns(
        [f"c{i}" for i in range(len(keep))]))
    run("round fnlwgt to 100", with_column(copy, "fnlwgt", pc.cast(
        pc.round(copy.column("fnlwgt"), -2), pa.int64())))
    run("alter 30% of marked cells", alter(lab, copy, 0.3, rng))
    copies = [copy] + [lab.mark(s) for s in lab.shares[1:5]]
    for k in (2, 3, 5):
        for how in ("majority", "mix", "average"):
            run(f"collusion of {k}: {how}", collude(copies[:k], lab, how, rng),
                lab.shares[:k])
    run("collusion of 3: majority, 10% subset", subset(collude(copies[:3], lab, "majority",
                                                                rng), 0.1, rng),
        lab.shares[:3])
    return runs


def tables_section(args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """Every public table present, and the two generated ones."""
    out: dict[str, Any] = {}
    for name, file in PUBLIC.items():
        path = TABULAR / file
        if not path.is_file():
            out[name] = {"skipped": f"{file} is absent from ../shared/data/tabular"}
            continue
        table = pacsv.read_csv(path)
        out[name] = table_section(name, table.rename_columns([c.strip() for c in
                                                              table.column_names]), args, rng)
        print(f"{name}: done at {time.perf_counter() - START:.0f} s", file=sys.stderr)
    out["cohort (generated)"] = table_section("cohort", cohort(), args, rng, model=False)
    out["narrow ratio (generated)"] = table_section("narrow", narrow(), args, rng, model=False)
    out["survey, all categorical (generated)"] = table_section("survey", survey(), args, rng,
                                                               model=False)
    return out


def innocent_trials(lab: Lab, traces: int, rng: np.random.Generator) -> dict[str, Any]:
    """Copies marked for outsiders, traced against all n recipients: every score is innocent."""
    accused = trials = 0
    for t in range(traces):
        suspect = subset(lab.mark(f"outsider-{t}"), 0.2 + 0.6 * rng.random(), rng)
        result = lab.trace(suspect, [])
        trials += len(lab.shares)
        accused += result["innocents_accused"]
    return {"trials": trials, "false_accusations": accused, "epsilon": lab.params.epsilon}


def describe(lab: Lab) -> dict[str, Any]:
    return {"marked": {m["name"]: {"budget": round(m["budget"], 3), "step": m["step"],
                                   "grid_decimals": m.get("decimals"),
                                   "fraction": m.get("fraction", 1.0)}
                       for m in lab.plan["mark_columns"]},
            "keys": [k["name"] + (" (bins)" if k.get("kind") == "coarse" else "")
                     for k in lab.plan["key_columns"]],
            "key_blocks": [[lab.plan["key_columns"][i]["name"] for i in g]
                           for g in lab.plan.get("key_groups", [])],
            "unmarked": lab.plan["unmarked"],
            "categorical": {c["name"]: len(c["pairs"]) for c in lab.plan.get("cat_columns", [])},
            "needed_positions_lone_leaker": needed_positions(
                len(lab.shares), lab.params.epsilon, lab.params.cutoff)}


def utility(original: pa.Table, marked: pa.Table, lab: Lab, model: bool = True
            ) -> dict[str, Any]:
    cols = {}
    for spec in lab.plan["mark_columns"]:
        a = original.column(spec["name"]).to_numpy().astype(float)
        b = marked.column(spec["name"]).to_numpy().astype(float)
        cols[spec["name"]] = {"mean_abs_change": float(np.abs(a - b).mean()),
                              "mean_rel_change": float((np.abs(a - b) / np.maximum(np.abs(a), 1))
                                                       .mean()),
                              "max_abs_change": float(np.abs(a - b).max()),
                              "changed_fraction": float((a != b).mean()),
                              "mean_shift": float(b.mean() - a.mean()),
                              "std_shift": float(b.std() - a.std()),
                              "max_quantile_shift": float(np.abs(
                                  np.quantile(b, np.linspace(0.05, 0.95, 19))
                                  - np.quantile(a, np.linspace(0.05, 0.95, 19))).max()),
                              "std": float(a.std())}
    for spec in lab.plan.get("cat_columns", []):
        a = np.array(original.column(spec["name"]).to_pylist(), dtype=object)
        b = np.array(marked.column(spec["name"]).to_pylist(), dtype=object)
        shifts = [((b == v).mean() - (a == v).mean(), (a == v).mean()) for v in set(a.tolist())]
        cols[spec["name"]] = {"categorical": True, "changed_fraction": float((a != b).mean()),
                              "max_share_shift_pp": float(100 * max(abs(d) for d, _ in shifts)),
                              "max_relative_shift": float(max(abs(d) / f for d, f in shifts)),
                              "new_categories": len(set(b.tolist()) - set(a.tolist()))}
    out: dict[str, Any] = {"columns": cols}
    if not model:
        return out
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        out["model"] = "scikit-learn is not installed"
        return out
    target = original.column_names[-1]

    def xy(t: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        feats = []
        for name in t.column_names[:-1]:
            col = t.column(name)
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
                values = col.to_numpy(zero_copy_only=False).astype(float)
                feats.append(np.nan_to_num(values)[:, None])  # California lacks some bedrooms
            else:
                codes = pc.dictionary_encode(col).combine_chunks().indices.to_numpy()
                feats.append(np.eye(int(codes.max()) + 1)[codes])
        y = pc.dictionary_encode(t.column(target)).combine_chunks().indices.to_numpy()
        return np.hstack(feats), y

    xo, y = xy(original)
    xm, _ = xy(marked)
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0)
    for name, model in (("hist_gradient_boosting", lambda: HistGradientBoostingClassifier(
            random_state=0)), ("logistic_regression", lambda: make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=2000)))):
        acc_o = model().fit(xo[idx_tr], y[idx_tr]).score(xo[idx_te], y[idx_te])
        acc_m = model().fit(xm[idx_tr], y[idx_tr]).score(xo[idx_te], y[idx_te])
        out[name] = {"accuracy_original": acc_o, "accuracy_marked": acc_m,
                     "change_pp": round(100 * (acc_m - acc_o), 3)}
    return out


# -- throughput ---------------------------------------------------------------------------------

def synthetic(rows: int, seed: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "id": np.arange(rows, dtype=np.int64) * 7 + 1000,
        "region": rng.choice(["north", "south", "east", "west", "centre"], rows).tolist(),
        "segment": rng.choice([f"s{i}" for i in range(20)], rows).tolist(),
        "age": rng.integers(18, 90, rows),
        "income": np.round(rng.lognormal(10, 0.6, rows), 2),
        "spend": np.round(rng.gamma(2.0, 300.0, rows), 2),
        "visits": rng.poisson(30, rows),
        "score": rng.normal(0, 1, rows),
    })


def throughput(rows: int, recipients: int, tmp: Path, runs: int = 5,
               table: pa.Table | None = None, name: str = "synthetic") -> dict[str, Any]:
    """Share's throughput on `table` (default: `rows` synthetic rows)."""
    table = synthetic(rows) if table is None else table
    rows = table.num_rows
    lab = Lab(table, recipients)
    out: dict[str, Any] = {"table": name, "rows": rows, "runs": runs, "plan": describe(lab)}
    scheme = TabularScheme()
    options = {"recipients": recipients, "colluders": lab.params.colluders,
               "epsilon": lab.params.epsilon, "budget": DEFAULT_BUDGET,
               "categorical": CATEGORICAL}
    for fmt in ("csv", "parquet"):
        src = tmp / f"{name}-{rows}.{fmt}"
        (pacsv.write_csv if fmt == "csv" else pq.write_table)(table, src)

        def baseline(src: Path = src, fmt: str = fmt) -> None:
            source = tabular_io.open_table(src)
            with tabular_io.atomic_writer(tmp / f"base.{fmt}", fmt, source.schema) as w:
                for batch in source.batches():
                    w.write(batch)

        def share(known: dict[str, Any] | None, name: str, src: Path = src, fmt: str = fmt
                  ) -> dict[str, Any]:
            # share's own path (TabularScheme.plan then .embed on the local engine): a first
            # share profiles, plans and marks; a later one has the stored plan (`known`)
            planned = scheme.plan(src, fmt, options, KEY, "bench-asset", known)
            with LocalEngine() as engine, scheme.embed(planned, tmp / f"{name}.{fmt}", KEY,
                                                       "bench-asset", "sh-00000", engine):
                pass
            return planned.plan

        baseline()  # warm the page cache and the code paths before anything is timed
        plan = share(None, "first")
        # interleaved runs, so that load from elsewhere falls on every figure alike
        times: dict[str, list[float]] = {"base": [], "first": [], "later": []}
        for _ in range(runs):
            for name, run, known in (("base", None, None), ("first", "first", None),
                                     ("later", "marked", plan)):
                t0 = time.perf_counter()
                baseline() if run is None else share(known, run)
                times[name].append(time.perf_counter() - t0)
        base, first_s, mark_s = (float(np.median(times[k])) for k in ("base", "first", "later"))
        keys = Keys.derive(KEY, "bench-asset", plan)
        t0 = time.perf_counter()
        suspect = tabular_io.open_table(tmp / f"marked.{fmt}")
        lab.plan, lab.keys = plan, keys
        result = lab.trace(pa.Table.from_batches(list(suspect.batches())), ["sh-00000"])
        trace_s = time.perf_counter() - t0
        out[fmt] = {"pyarrow_read_write_rows_s": rows / base,
                    "mark_rows_s": rows / mark_s, "mark_ratio": base / mark_s,
                    "profile_and_mark_rows_s": rows / first_s,
                    "profile_and_mark_ratio": base / first_s,
                    "seconds": {k: [round(t, 4) for t in v] for k, v in times.items()},
                    "trace_rows_s": rows / trace_s, "trace_recipients": recipients,
                    "traced_rank": result.get("guilty_rank")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=1000)
    ap.add_argument("--innocent-traces", type=int, default=12)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--big-rows", type=int, default=0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--throughput-only", action="store_true",
                    help="only the throughput section (results file gets a _throughput suffix)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per throughput figure "
                    "(medians)")
    ap.add_argument("--categorical", choices=["auto", "always", "never"], default="auto",
                    help="share's --categorical (results file gets a suffix unless auto)")
    args = ap.parse_args()
    global CATEGORICAL
    CATEGORICAL = args.categorical
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    results: dict[str, Any] = {"recipients": args.recipients, "epsilon": 1e-6}
    if not args.throughput_only:
        results["tables"] = tables_section(args, rng)
        results["adult_extra"] = adult_extra(args, rng)
    with tempfile.TemporaryDirectory() as tmp:
        results["throughput"] = [throughput(n, args.recipients, Path(tmp), args.runs)
                                 for n in [args.rows] + ([args.big_rows] if args.big_rows else [])]
        # The same figures on real tables of other shapes, where ../shared/data has them.
        for name in ("adult", "california_housing"):
            if (TABULAR / PUBLIC[name]).is_file():
                real = pacsv.read_csv(TABULAR / PUBLIC[name])
                results["throughput"].append(throughput(0, args.recipients, Path(tmp),
                                                        args.runs, real, name))
    results["seconds"] = round(time.perf_counter() - started, 1)
    suffix = ("" if args.categorical == "auto" else f"_{args.categorical}") + \
        ("_throughput" if args.throughput_only else "")
    results["categorical"] = args.categorical
    out = ROOT / "bench" / "results" / f"marks_tabular{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=float) + "\n")
    report(results)


def _p(value: float) -> str:
    return "<1e-300" if value <= 1e-300 else f"{value:.2g}"


def _row(name: str, a: dict[str, Any]) -> str:
    if not a["located"]:
        what = "inconclusive (rounded beyond the marks)" if a.get("inconclusive") else \
            "marks not located"
        return f"| {name} | - | {what} | - | 0 | 0 |"
    return (f"| {name} | {a['rows_matched']} | {a['guilty_rank']} | {_p(a['guilty_best_p'])} "
            f"| {a['guilty_accused']} | {a['innocents_accused']} |")


def worst(attacks: dict[str, Any], prefix: str) -> str:
    """The weakest outcome among attacks whose names start with `prefix`."""
    found = {k: v for k, v in attacks.items() if k.startswith(prefix)}
    if not found:
        return "-"
    name, a = max(found.items(), key=lambda kv: (not kv[1]["located"],
                                                  kv[1].get("guilty_best_p") or 1.0))
    accused = sum(1 for v in found.values() if v["guilty_accused"])
    p = "not located" if not a["located"] else f"p = {_p(a['guilty_best_p'])}"
    return f"{accused}/{len(found)} accuse the leaker; worst {name}: {p}"


def report(r: dict[str, Any]) -> None:
    for name, sec in r.get("tables", {}).items():
        if "skipped" in sec:
            print(f"\n{name}: {sec['skipped']}")
            continue
        print(f"\n### {name} ({sec['rows']} rows), {r['recipients']} recipients, eps 1e-6\n")
        print(f"Plan: {json.dumps(sec['plan']['marked'])}; categorical (pairs) "
              f"{json.dumps(sec['plan'].get('categorical', {}))}; blocks "
              f"{sec['plan']['key_blocks']}")
        print(f"Promised: {json.dumps(sec['promised'])}\n")
        print("| attack | rows | true rank | true p (corrected) | guilty accused | "
              "innocents accused |")
        print("|---|---|---|---|---|---|")
        for attack, a in sec["attacks"].items():
            print(_row(attack, a))
        singles = {k: v for k, v in sec["attacks"].items() if k.startswith("drop ")
                   and " and " not in k}
        pairs = {k: v for k, v in sec["attacks"].items() if k.startswith("drop ") and " and " in k}
        print(f"\nDrop one key column: {worst(singles, 'drop ')}")
        print(f"Drop two key columns: {worst(pairs, 'drop ')}")
        inn = sec["innocent_trials"]
        print(f"Innocent trials: {inn['trials']}, false accusations: {inn['false_accusations']}")
        print(f"Utility: {json.dumps(sec['utility'], default=float)}")
    extra = r.get("adult_extra", {"skipped": True})
    if "skipped" not in extra:
        print("\n### Adult, the issue-5 attacks\n")
        print("| attack | rows | true rank | true p (corrected) | guilty accused | "
              "innocents accused |")
        print("|---|---|---|---|---|---|")
        for attack, a in extra.items():
            print(_row(attack, a))
    print("\nThroughput through share's own path (TabularScheme.plan + embed, local engine), "
          "ratios against a pyarrow read+write of the same file in the same run, medians of "
          f"{r['throughput'][0].get('runs', 1)} interleaved runs:")
    print("\n| table | rows | format | pyarrow r+w rows/s | later share rows/s (ratio) | "
          "first share: profile+mark (ratio) | trace rows/s |")
    print("|---|---|---|---|---|---|---|")
    for t in r["throughput"]:
        for fmt in ("csv", "parquet"):
            m = t[fmt]
            print(f"| {t.get('table', 'synthetic')} | {t['rows']} | {fmt} | "
                  f"{m['pyarrow_read_write_rows_s']:,.0f} | "
                  f"{m['mark_rows_s']:,.0f} ({m['mark_ratio']:.0%}) | "
                  f"{m['profile_and_mark_rows_s']:,.0f} ({m['profile_and_mark_ratio']:.0%}) | "
                  f"{m['trace_rows_s']:,.0f} |")
    print(f"\n{r['seconds']} s in all")


if __name__ == "__main__":
    main()
