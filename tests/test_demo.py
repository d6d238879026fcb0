"""`hallmark demo` runs end to end and shows each inventory rule firing."""

from __future__ import annotations

from pathlib import Path


def test_demo_runs_and_finds_the_planted_gaps(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    result = cli("demo", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for rule in ("pii-in-dataset", "unsafe-pickle", "copyleft-dependency", "noncommercial-input",
                 "unknown-owner"):
        assert rule in out, rule
    assert "never executed: yes" in out
    assert "missing survival" in out and "risk residuals" in out
    assert "share with Nova Labs denied" in out
    assert "trace: cloudco" in out and "accused" in out
    assert "verifies offline" in out
    # the traced leak is enforced: incident, notice with its bundle, a case file that verifies
    assert "incident inc-0001 opened from trace" in out and "against cloudco" in out
    assert "breach-notice drafted: breach-notice.md with breach-notice-evidence.zip" in out
    assert "verify-bundle: valid offline" in out
    case = next(tmp_path.rglob("case.zip"))
    from hallmark import services

    assert services.evidence.verify_bundle(case).ok
    assert not list(tmp_path.rglob("hallmark-demo-was-executed"))
