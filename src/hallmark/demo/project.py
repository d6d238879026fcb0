"""`hallmark demo`: a sample AI project, a vault over it, a scan, lineage and the IP audit.

Everything is generated here (no downloads); the project lives in a temporary folder that is kept
so the user can poke at it afterwards.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table
from safetensors.numpy import save_file

from hallmark import PolicyDenied, Vault, services
from hallmark.demo.agreements import build_agreements_demo
from hallmark.demo.review import review_demo_nda
from hallmark.schemas import Asset

GPL_HEADER = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.

                            Preamble

  The GNU General Public License is a free, copyleft license for
software and other kinds of works.
"""

# protocol-0 pickle: GLOBAL os.system, then REDUCE. Loading it would run a shell command;
# Hallmark only reads its opcodes.
HOSTILE_PICKLE = b"cos\nsystem\n(S'touch hallmark-demo-was-executed'\ntR."

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman"]


def build_sample_project(root: Path, rows: int = 5000, seed: int = 7) -> Path:
    """Write the sample project under `root` and return it."""
    rng = random.Random(seed)
    (root / "data").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "code").mkdir()
    with open(root / "data" / "patients.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["patient_id", "name", "email", "phone", "dob", "age", "bmi", "glucose",
                      "systolic_bp", "cholesterol", "smoker", "diagnosis"])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            age = rng.randint(18, 90)
            out.writerow([
                f"P{100000 + i}", f"{first} {last}", f"{first}.{last}{i}@example.org".lower(),
                f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                f"{2026 - age}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", age,
                round(rng.gauss(27, 4.5), 2), round(rng.lognormvariate(1.7, 0.2), 2),
                rng.randint(95, 180), rng.randint(120, 300),
                rng.choice(["yes", "no"]), rng.choice(["healthy", "at-risk", "diabetic"]),
            ])
    with open(root / "data" / "reviews.jsonl", "w") as fh:
        for i in range(200):
            fh.write(f'{{"review_id": {i}, "stars": {rng.randint(1, 5)}, '
                     f'"text": "sample review {i}"}}\n')
    weights = np.random.default_rng(seed)
    save_file({"encoder.weight": weights.standard_normal((64, 32)).astype(np.float32),
               "encoder.bias": np.zeros(64, dtype=np.float32),
               "head.weight": weights.standard_normal((3, 64)).astype(np.float32)},
              str(root / "models" / "risk-classifier.safetensors"),
              metadata={"framework": "numpy", "task": "risk classification"})
    (root / "models" / "legacy-model.pkl").write_bytes(HOSTILE_PICKLE)
    (root / "models" / "README.md").write_text(
        "---\nlicense: apache-2.0\nbase_model: acme/clinical-base\ndatasets:\n- patients\n---\n"
        "# Risk classifier\nPredicts a cardiovascular risk class.\n")
    (root / "code" / "LICENSE").write_text(GPL_HEADER)
    (root / "code" / "train.py").write_text(
        '"""Train the risk classifier."""\n\nimport numpy as np\n\n\ndef train(x, y):\n'
        "    return np.linalg.lstsq(x, y, rcond=None)[0]\n")
    (root / "code" / "requirements.txt").write_text("numpy>=1.26\nsafetensors>=0.4\n")
    return root


def share_and_trace(vault: Vault, data: Asset, folder: Path) -> tuple[list[str], str | None]:
    """Share the dataset with both partners (one is denied), leak a transformed fragment of
    the copy that was handed out, and trace it back with an evidence bundle."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    actor = vault.actor
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    copy = folder / "patients-cloudco.csv"
    done = services.shares.share(vault, data.id, "CloudCo", copy, team="CloudCo/research",
                                 purpose="diagnostics-research", actor=actor)
    columns = ", ".join(done.marked_columns)
    lines.append(f"shared {data.name} with CloudCo/research under {done.agreement}: share "
                 f"{done.share}, {done.marked_cells} marked cells in {columns}")
    try:
        services.shares.share(vault, data.id, "Nova Labs", folder / "patients-nova.csv",
                              actor=actor)
    except PolicyDenied as denied:
        lines.append(f"share with Nova Labs denied (exit 3), nothing written: {denied}")
    # The leak: a fifth of the rows, shuffled, two columns dropped, the rest renamed, as Parquet.
    table = pacsv.read_csv(copy)
    rows = np.random.default_rng(11).permutation(table.num_rows)[: table.num_rows // 5]
    leaked = table.take(rows).drop_columns(["diagnosis", "dob"])
    leaked = leaked.rename_columns([f"col{i}" for i in range(leaked.num_columns)])
    suspect = folder / "found-on-a-forum.parquet"
    pq.write_table(leaked, suspect)
    lines.append(f"leak found: {suspect.name} ({leaked.num_rows} of {table.num_rows} rows, "
                 "shuffled, columns dropped and renamed, CSV to Parquet)")
    evidence = folder / "leak-evidence.zip"
    result = services.traces.trace(vault, suspect, evidence=evidence, actor=actor)
    for accused in result.accused:
        p = "< 1e-300" if accused.p_value < 1e-300 else f"= {accused.p_value:.1e}"
        lines.append(f"trace: {accused.recipient} (share {accused.share}) accused, p {p} "
                     f"(corrected for {result.recipients} recipient(s))")
    if not result.accused:
        lines.append("trace: nobody accused")
    report = services.evidence.verify_bundle(evidence)
    lines.append(f"evidence bundle {evidence.name}: "
                 + ("verifies offline" if report.ok else f"FAILS: {report.problem}"))
    return lines, result.trace if result.accused else None


def witness_demo(vault: Vault, witness_file: Path) -> list[str]:
    """Witness the log outside the vault, then show that verify catches a log cut back."""
    witness_file.parent.mkdir(parents=True, exist_ok=True)
    done = services.ledger.witness(vault, witness_file, actor=vault.actor)
    lines = [f"[bold]10. Witness the log:[/bold] checkpoint of size {done.size} appended to "
             f"{witness_file} (keep it outside the vault)"]
    report = services.ledger.verify(vault, witness_files=[witness_file])
    lines.append(f"ledger verify --witness: {'ok' if report.ok else report.problem} "
                 f"({report.size} entries, {report.checkpoints_checked} signed checkpoints)")
    return lines


def run_demo(say: Callable[[Any], None], workdir: Path | None = None) -> Path:
    """Build the sample project, create its vault, scan, set lineage, audit; narrate via `say`."""
    root = Path(workdir or tempfile.mkdtemp(prefix="hallmark-demo-"))
    project = build_sample_project(root / "acme-ai")
    say(f"[bold]1. A sample AI project[/bold] in {project}")
    vault = Vault.create(project)
    actor = vault.actor  # the demo is an edge, like the CLI: it acts as the vault's user
    say(f"[bold]2. A vault[/bold] at {vault.dir} (signing and marking keys, mode 0600)")
    result = services.inventory.scan(vault, [project], actor=actor)
    say(f"[bold]3. Scan:[/bold] {len(result.assets)} assets registered "
        f"({', '.join(sorted({a.kind for a in result.assets}))})")
    by_name = {a.name: a for a in result.assets}
    model, data = by_name["risk-classifier.safetensors"], by_name["patients.csv"]
    reviews = by_name["reviews.jsonl"]
    inventory = services.inventory
    inventory.set_fields(vault, model.id, owner="Acme AI", status="in-house",
                         classification="trade-secret", protection="trade-secret", value=5,
                         actor=actor)
    inventory.set_fields(vault, reviews.id, owner="ReviewCorp", status="third-party",
                         license="CC-BY-NC-4.0", value=2, actor=actor)
    inventory.add_lineage(vault, model.id, data.id, "trained-on", actor=actor)
    inventory.add_lineage(vault, model.id, reviews.id, "trained-on", actor=actor)
    say(f"[bold]4. Register and lineage:[/bold] {model.id} (model) trained-on {data.id} "
        f"(patients) and {reviews.id} (third-party reviews, CC-BY-NC-4.0)")
    findings = services.audit.audit(vault, actor=actor).findings
    say(f"[bold]5. IP audit:[/bold] {len(findings)} findings")
    grid = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for col in ("severity", "rule", "finding"):
        grid.add_column(col, overflow="fold")
    for f in findings:
        colour = {"high": "red", "medium": "yellow"}.get(f.severity, "white")
        grid.add_row(f"[{colour}]{f.severity}[/{colour}]", f.rule, f.message)
    say(grid)
    executed = any(project.rglob("hallmark-demo-was-executed"))
    say(f"   the hostile pickle was read, never executed: {'NO!' if executed else 'yes'}")
    say("[bold]6. Agreements:[/bold] partners, due diligence, terms, access decisions, deadlines")
    for line in build_agreements_demo(vault, root / "agreements", dataset=data, model=model):
        say(f"   {line}")
    say("[bold]7. Review of an NDA before signing[/bold] (the packaged sample):")
    for line in review_demo_nda(vault):
        say(f"   {line}")
    say("[bold]8. Share traceably, then trace a leak:[/bold]")
    traced, trace = share_and_trace(vault, data, root / "shared")
    for line in traced:
        say(f"   {line}")
    say("[bold]8b. Enforce:[/bold] the leak becomes an incident, a notice, a case file")
    from hallmark.demo.enforce import enforce_demo

    for line in enforce_demo(vault, trace, root / "enforce"):
        say(f"   {line}")
    say("[bold]8c. The whole partnership:[/bold] export control, a RACI review, acknowledged "
        "terms, a close-out")
    from hallmark.demo.partnership import partnership_demo

    for line in partnership_demo(vault, model, root):
        say(f"   {line}")
    findings = services.audit.audit(vault, actor=actor).findings
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    say(f"[bold]9. The audit again[/bold], now over agreements too: {len(findings)} findings")
    say("   " + ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())))
    for line in witness_demo(vault, root / "witness" / "acme-ai.jsonl"):
        say(f"   {line}")
    vault.close()
    say("")
    say("[bold]Next:[/bold]")
    say(f"  cd {project}")
    say("  hallmark assets                      # the register")
    say(f"  hallmark asset show {model.id}       # one asset, its metadata and lineage")
    say("  hallmark audit --fail-on high        # the gaps, as a CI gate")
    say("  hallmark export bom -o bom.json      # CycloneDX 1.6 ML-BOM")
    say("  hallmark check --party CloudCo --team CloudCo/research --asset "
        f"{data.id} --action train --purpose diagnostics-research")
    say("  hallmark deadlines --within 365d     # patent windows, expiry, reviews")
    say("  hallmark checklist                   # the ten-step IP programme")
    say(f"  hallmark evidence {model.id} -o evidence.zip && hallmark verify-bundle evidence.zip")
    say("  hallmark ledger verify               # the whole tamper-evident log")
    say(f"  hallmark ledger verify --witness {root / 'witness' / 'acme-ai.jsonl'}")
    say("  hallmark shares                      # who received which marked copy")
    say(f"  hallmark trace {root / 'shared' / 'found-on-a-forum.parquet'}")
    say(f"  hallmark review {services.review.sample_path()} --type nda")
    say("  hallmark incident list               # breaches, from trace to case file")
    say("  hallmark raci                        # who reviews which agreement, and when")
    say("  hallmark acknowledgements            # who has read which terms")
    say("  hallmark token list --all            # API tokens (the close-out revoked one)")
    say(f"  open {root / 'partnership' / 'closeout-nda-novalabs.html'}")
    say(f"  hallmark verify-bundle {root / 'enforce' / 'case.zip'}")
    return project
