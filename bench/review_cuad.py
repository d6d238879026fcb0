"""Evaluate the clause classifier on our held-out part of the CUAD training split.

(a) CUAD's span metric, reimplemented (hallmark.review.metrics), over the CUAD-mapped types;
(b) document-level presence per type (precision, recall, F1; macro-F1);
(c) clause-level evidence precision: of the evidence sentences `hallmark review` shows for the
    CUAD-mapped types it finds present, the fraction that overlap a lawyer-marked excerpt;
(d) the time to review a 30-page contract PDF on one core.
Writes bench/results/review_cuad.json and prints a markdown table.
Run: `python bench/review_cuad.py` (or `make bench-review`).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from hallmark.review.classifier import load_model_file, shipped_model  # noqa: E402
from hallmark.review.cuad import (  # noqa: E402
    CUAD_MAP,
    default_dir,
    load_contracts,
    marked_segments,
    split_of,
)
from hallmark.review.metrics import (  # noqa: E402
    aupr,
    precision_at_recall,
    precision_recall_curve,
    presence_score,
)
from hallmark.review.segment import segment_text  # noqa: E402

TOP_K = 20  # CUAD's baselines keep the 20 best spans per question
HEADLINE_TYPES = [
    "governing-law", "license-grant", "audit-rights", "non-compete",
    "ip-ownership-assignment", "anti-assignment", "expiration-date", "cap-on-liability",
]
BASELINES = {"RoBERTa-base": (42.6, 31.1), "DeBERTa-xlarge": (47.8, 44.0)}
WORDS_PER_PAGE = 500
LINES_PER_PAGE = 50


def _pdf_string(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal, valid PDF with one Helvetica text line per string (a real text layer)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 "
               "/BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        body = "BT /F1 9 Tf 11 TL 40 800 Td " + " ".join(f"{_pdf_string(s)} '" for s in lines)
        stream = body + " ET"
        length = len(stream.encode("latin-1"))
        objects.append(f"<< /Length {length} >>\nstream\n{stream}\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       f"{content} 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    size = len(objects) + 1
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def thirty_pages(texts: list[str]) -> list[list[str]]:
    """30 pages of real contract prose, about 500 words a page, wrapped at about 10 words."""
    words = " ".join(texts).split()[: 30 * WORDS_PER_PAGE]
    lines = [" ".join(words[i : i + 10]) for i in range(0, len(words), 10)]
    return [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]


def evaluate(model_path: Path | None, data_dir: Path) -> dict:
    """All figures of the benchmark as one JSON-able document."""
    model = load_model_file(model_path) if model_path else shipped_model()
    contracts = [c for c in load_contracts(data_dir) if split_of(c.name) == "test"]
    types = sorted(CUAD_MAP)
    labels, predictions = {}, {}
    doc_truth: dict[str, list[bool]] = {t: [] for t in types}
    doc_pred: dict[str, list[bool]] = {t: [] for t in types}
    for contract in contracts:
        segments = segment_text(contract.text)
        texts = [s.text for s in segments]
        probabilities = model.probabilities(texts) if texts else None
        for j, t in enumerate(types):
            question = (contract.name, t)
            labels[question] = contract.labels[t]
            scored = sorted(
                ((texts[i], float(probabilities[i, j])) for i in range(len(texts))),
                key=lambda p: -p[1],
            ) if texts else []
            predictions[question] = scored[:TOP_K]
            doc_truth[t].append(bool(contract.labels[t]))
            best = scored[0][1] if scored else 0.0
            doc_pred[t].append(best >= model.threshold(t))
    precisions, recalls = precision_recall_curve(labels, predictions)
    span = {
        "aupr": 100 * aupr(precisions, recalls),
        "p_at_80r": 100 * precision_at_recall(precisions, recalls, 0.8),
        "p_at_90r": 100 * precision_at_recall(precisions, recalls, 0.9),
        "max_recall": 100 * max(recalls),
    }
    per_type_span = {}
    for t in types:
        sub_l = {q: v for q, v in labels.items() if q[1] == t}
        p, r = precision_recall_curve(sub_l, {q: predictions[q] for q in sub_l})
        per_type_span[t] = round(100 * aupr(p, r), 1)
    presence = {t: presence_score(doc_truth[t], doc_pred[t]) for t in types}
    return {
        "held_out_contracts": len(contracts),
        "types": types,
        "span": {k: round(v, 1) for k, v in span.items()},
        "span_aupr_per_type": per_type_span,
        "baselines_all_41_categories": {k: {"aupr": a, "p_at_80r": p} for k, (a, p) in
                                        BASELINES.items()},
        "presence": {t: {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                         "f1": round(s.f1, 3), "support": s.support} for t, s in presence.items()},
        "presence_macro_f1_headline": round(
            statistics.fmean(presence[t].f1 for t in HEADLINE_TYPES), 3),
        "presence_macro_f1_all_mapped": round(statistics.fmean(s.f1 for s in presence.values()), 3),
        "evidence_precision": evidence_precision(contracts),
        "contracts_text": [c.text for c in contracts[:12]],
    }


def evidence_precision(contracts: list) -> dict:
    """Of the evidence shown for present CUAD-mapped clauses, how much overlaps a marked excerpt.

    Runs the service itself (the shipped model), so it measures what a user is shown."""
    from hallmark.review.service import review_text

    shown = {"all": [0, 0], "first": [0, 0], "true_present_all": [0, 0],
             "true_present_first": [0, 0]}
    per_type: dict[str, list[int]] = {t: [0, 0] for t in CUAD_MAP}
    for contract in contracts:
        report = review_text(contract.text)
        marked = marked_segments(contract, segment_text(contract.text), any_overlap=True)
        for t in CUAD_MAP:
            clause = report.clause(t)
            if not clause.present:
                continue
            for rank, evidence in enumerate(clause.evidence):
                hit = int(bool(marked[t][evidence.segment]))
                keys = ["all"] + (["first"] if rank == 0 else [])
                if contract.labels[t]:
                    keys += ["true_present_all"] + (["true_present_first"] if rank == 0 else [])
                for key in keys:
                    shown[key][0] += hit
                    shown[key][1] += 1
                per_type[t][0] += hit
                per_type[t][1] += 1
    return {
        **{k: {"precision": round(h / n, 3) if n else None, "shown": n} for k, (h, n) in
           shown.items()},
        "per_type": {t: round(h / n, 3) if n else None for t, (h, n) in per_type.items()},
    }


def time_thirty_pages(texts: list[str]) -> dict:
    """Median wall time of review_document on a 30-page PDF made of held-out contract prose."""
    from hallmark.review.service import review_document

    pages = thirty_pages(texts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "thirty-pages.pdf"
        path.write_bytes(text_pdf(pages))
        review_document(path)  # warm: loads the model once, as a long-running process would
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            review_document(path)
            runs.append(time.perf_counter() - started)
        cold_started = time.perf_counter()
        shipped_model.cache_clear()
        review_document(path)
        cold = time.perf_counter() - cold_started
    return {"pages": len(pages), "median_s": round(statistics.median(runs), 3),
            "with_model_load_s": round(cold, 3)}


def hand_labelled_patterns() -> dict:
    """Precision and recall of the patterns on our own hand-labelled sentences."""
    from importlib import resources

    import yaml

    from hallmark.review import patterns

    source = resources.files("hallmark.review").joinpath("hand_labelled.yaml")
    items = yaml.safe_load(source.read_text(encoding="utf-8"))
    truth, predicted = [], []
    for item in items:
        for clause_type in patterns.PATTERNS:
            truth.append(clause_type in item["types"])
            score = patterns.pattern_score(clause_type, item["text"])
            predicted.append(score >= patterns.PRESENT_AT)
    s = presence_score(truth, predicted)
    return {"sentences": len(items), "precision": round(s.precision, 3),
            "recall": round(s.recall, 3), "f1": round(s.f1, 3)}


def main() -> int:
    """Run the benchmark, write its JSON, print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    data_dir = default_dir()
    if not (data_dir / "labels.csv").is_file():
        print(f"CUAD data not found at {data_dir}; set HALLMARK_CUAD_DIR", file=sys.stderr)
        return 2
    result = evaluate(args.model, data_dir)
    texts = result.pop("contracts_text")
    result["hand_labelled_patterns"] = hand_labelled_patterns()
    if not args.no_timing:
        result["timing_30_pages"] = time_thirty_pages(texts)
    out = Path(__file__).parent / "results" / "review_cuad.json"
    if args.model is None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    span = result["span"]
    print(f"Held-out contracts: {result['held_out_contracts']} (CUAD-mapped types: "
          f"{len(result['types'])})\n")
    print("| model | AUPR | P@80%R | P@90%R |\n|---|---|---|---|")
    print(f"| hallmark TF-IDF + LR (ours, {len(result['types'])} mapped types) | {span['aupr']} | "
          f"{span['p_at_80r']} | {span['p_at_90r']} |")
    for name, (a, p) in BASELINES.items():
        print(f"| {name} (published, 41 categories) | {a} | {p} | |")
    print("\n| clause type | span AUPR | precision | recall | F1 | support |")
    print("|---|---|---|---|---|---|")
    for t in result["types"]:
        s = result["presence"][t]
        mark = " *" if t in HEADLINE_TYPES else ""
        print(f"| {t}{mark} | {result['span_aupr_per_type'][t]} | {s['precision']} | "
              f"{s['recall']} | {s['f1']} | {s['support']} |")
    print(f"\nMacro-F1 over the 8 headline types (*): {result['presence_macro_f1_headline']}; "
          f"over all mapped types: {result['presence_macro_f1_all_mapped']}")
    e = result["evidence_precision"]
    print(f"Evidence precision (shown sentences overlapping a marked excerpt): "
          f"{e['all']['precision']} of {e['all']['shown']} shown, first sentence "
          f"{e['first']['precision']}; where the clause is truly present: "
          f"{e['true_present_all']['precision']} (first {e['true_present_first']['precision']})")
    h = result["hand_labelled_patterns"]
    print(f"Patterns on {h['sentences']} hand-labelled sentences: precision {h['precision']}, "
          f"recall {h['recall']}")
    if "timing_30_pages" in result:
        t = result["timing_30_pages"]
        print(f"30-page PDF review: median {t['median_s']} s ({t['with_model_load_s']} s with "
              f"model load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
