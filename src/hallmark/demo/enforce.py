"""The demo's enforcement step: the traced leak becomes an incident, a breach notice is drafted
with its evidence bundle, and the case file is exported and verified as counsel would."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hallmark import services

if TYPE_CHECKING:
    from hallmark import Vault


def enforce_demo(vault: Vault, trace: str | None, folder: Path) -> list[str]:
    """Open an incident from `trace`, draft the notice, export and verify the case file."""
    if trace is None:
        return ["no trace accused anyone: nothing to enforce"]
    actor = vault.actor
    folder.mkdir(parents=True, exist_ok=True)
    incident = services.incidents.open_incident(vault, trace, actor=actor)
    lines = [f"incident {incident.incident} opened from trace {trace} against "
             f"{incident.party} under {', '.join(incident.agreements) or 'no agreement'} "
             f"({len(incident.clauses)} terms and clauses touched)"]
    notice = services.incidents.notice(vault, incident.incident, folder / "breach-notice.md",
                                       actor=actor)
    lines.append(f"{notice.kind} drafted: {Path(notice.file).name} with "
                 f"{', '.join(Path(e).name for e in notice.evidence)}"
                 + (f"; cure period ends {notice.cure_due}" if notice.cure_due else ""))
    case = services.incidents.export_case(vault, incident.incident, folder / "case.zip",
                                          actor=actor)
    report = services.evidence.verify_bundle(case.file)
    lines.append(f"case file {Path(case.file).name}: {case.events} log entries, "
                 f"{len(case.files)} files; verify-bundle: "
                 + ("valid offline" if report.ok else f"INVALID: {report.problem}"))
    return lines
