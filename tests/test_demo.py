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
    # the whole partnership: export control, acknowledged terms, a RACI review, a close-out
    flat = " ".join(out.split())  # Rich wraps long lines at the terminal width
    lumen = "share risk-classifier.safetensors with Lumen Analytics/eval"
    assert f"{lumen}: DENY" in flat and "eval-lumen records no export licence" in flat
    assert "which needs a licence to SG" in flat and f"{lumen}: ALLOW" in flat
    assert "with Tan Wei (Lumen Analytics/eval): DENY" in flat
    assert "unacknowledged terms: Tan Wei has not acknowledged the terms of eval-lumen v2" in flat
    assert "with Tan Wei (Lumen Analytics/eval): ALLOW" in flat
    assert "review of eval-lumen planned every 90d" in flat and "A Dana Smith" in flat
    assert "nda-novalabs ended and closed out: 0 shares, 1 API token revoked" in flat
    report = next(tmp_path.rglob("closeout-nda-novalabs.html")).read_text()
    assert "Mutual NDA with Nova Labs" in report and "<script" not in report
