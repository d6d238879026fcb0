"""`hallmark agreement close-out ID`: the post-partnership report (JSON and HTML, stored by
digest), one logged `agreement.closed_out`, the audit finding for copies never accounted for,
and every refusal (in force, unknown, twice, bad certificate, unwritable report) leaving the
vault unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from sqlalchemy import select

from closeout.conftest import Partnership, log_size, logged, make_partnership, terminate
from hallmark import Vault
from hallmark.store.tables import closeouts, share_dispositions


def _closeout_rows(vault: Vault) -> list[Any]:
    with vault.engine.connect() as conn:
        return list(conn.execute(select(closeouts)))


def _findings(cli: Callable[..., Any]) -> list[dict[str, Any]]:
    audited = cli("audit", "--json")
    return [f for f in json.loads(audited.stdout)["findings"]
            if f["rule"] == "closeout-unaccounted"]


def test_a_partnership_wound_up_cleanly(partnership: Partnership, cli: Callable[..., Any],
                                        tmp_path: Path) -> None:
    terminate(cli)
    returned, destroyed = partnership.shares["CloudCo"], partnership.shares["Beta Labs"]
    assert cli("dispose", returned, "--as", "returned").exit_code == 0
    cert = tmp_path / "certificate.pdf"
    cert.write_bytes(b"%PDF-1.4\ncertificate of destruction\n")
    assert cli("dispose", destroyed, "--as", "destroyed", "--certificate",
               str(cert)).exit_code == 0
    report = tmp_path / "report.html"
    done = cli("agreement", "close-out", "dua-close", "-o", str(report), "--lessons",
               "Ask for the certificate at each milestone.", "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["agreement"] == "dua-close" and out["forced"] is False
    assert out["unaccounted"] == [] and out["file"] == str(report)
    r = out["report"]
    fates = {s["share"]: s for s in r["shares"]}
    assert fates[returned]["status"] == "returned"
    assert fates[destroyed]["status"] == "destroyed"
    assert fates[destroyed]["certificate_sha256"] == hashlib.sha256(cert.read_bytes()).hexdigest()
    assert r["alerts"] == [] and "no alerts are recorded (no gateway)" in r["alerts_note"]
    assert r["tokens_revoked"] == [] and r["tokens_note"]
    assert r["notes"] == "Ask for the certificate at each milestone."
    kinds = {o["kind"] for o in r["obligations"]}
    assert "confidentiality" in kinds and "return-or-destruction" not in kinds
    [conf] = [o for o in r["obligations"] if o["kind"] == "confidentiality"]
    assert conf["open"] and conf["due"] > r["closed"]
    assert any("every one of the 2 copies" in lesson for lesson in r["lessons"])
    # the report's JSON and HTML are stored by digest; the file is the stored HTML
    html = report.read_bytes()
    assert hashlib.sha256(html).hexdigest() == out["html_sha256"]
    assert partnership.vault.blobs.get(out["html_sha256"]) == html
    assert partnership.vault.blobs.get(out["report_sha256"]) == rfc8785.dumps(r)
    text = html.decode()
    for word in (returned, destroyed, "returned on", "destroyed on", "Lessons learned",
                 "no alerts are recorded (no gateway)", fates[destroyed]["certificate_sha256"]):
        assert word in text
    assert "<script" not in text.lower()
    # one event, with the digests and the checkpoint the report reflects
    [entry] = logged(partnership.vault, "agreement.closed_out")
    payload = entry["payload"]
    assert payload["report_sha256"] == out["report_sha256"]
    assert payload["html_sha256"] == out["html_sha256"] and payload["forced"] is False
    assert payload["checkpoint_size"] == r["checkpoint_size"] == out["seq"]
    assert f"{r['checkpoint_size']}" in text and r["checkpoint_root"] in text
    [row] = _closeout_rows(partnership.vault)
    assert row.report_sha256 == out["report_sha256"] and row.forced is False
    assert json.loads(row.summary)["html_sha256"] == out["html_sha256"]
    assert _findings(cli) == []


def test_copies_never_accounted_for_are_findings_until_disposed(
        partnership: Partnership, cli: Callable[..., Any], tmp_path: Path) -> None:
    terminate(cli)
    kept = partnership.shares["Beta Labs"]
    # terminated but not closed out: the copies are already owed
    assert {f["subject"] for f in _findings(cli)} == set(partnership.shares.values())
    assert cli("dispose", partnership.shares["CloudCo"], "--as", "returned").exit_code == 0
    done = cli("agreement", "close-out", "dua-close", "-o", str(tmp_path / "r.html"), "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["unaccounted"] == [kept]
    [owed] = [o for o in out["report"]["obligations"] if o["kind"] == "return-or-destruction"]
    assert owed["subject"] == kept
    assert any("1 of 2 copies were never accounted for" in x for x in out["report"]["lessons"])
    assert "unaccounted" in (tmp_path / "r.html").read_text()
    [finding] = _findings(cli)
    assert finding["subject"] == kept and finding["asset"] == partnership.asset
    assert "closed out on" in finding["message"] and "hallmark dispose" in finding["remedy"]
    human = cli("agreement", "close-out", "dua-close")
    assert human.exit_code == 2 and "already closed out" in human.stderr
    assert cli("dispose", kept, "--as", "returned").exit_code == 0
    assert _findings(cli) == []


def test_the_finding_is_high_for_a_confidential_asset(partnership: Partnership,
                                                      cli: Callable[..., Any]) -> None:
    terminate(cli)
    assert _findings(cli)[0]["severity"] == "medium"
    changed = cli("asset", "set", partnership.asset, "--class", "confidential")
    assert changed.exit_code == 0, changed.stderr
    assert {f["severity"] for f in _findings(cli)} == {"high"}


def test_a_certificate_accounts_for_every_copy_left(partnership: Partnership,
                                                    cli: Callable[..., Any],
                                                    tmp_path: Path) -> None:
    terminate(cli)
    assert cli("dispose", partnership.shares["CloudCo"], "--as", "returned").exit_code == 0
    cert = tmp_path / "all-destroyed.txt"
    cert.write_text("We certify that every remaining copy was destroyed.\n")
    done = cli("agreement", "close-out", "dua-close", "--certificate", str(cert), "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    digest = hashlib.sha256(cert.read_bytes()).hexdigest()
    assert out["disposed"] == [partnership.shares["Beta Labs"]]
    assert out["certificate_sha256"] == digest and out["unaccounted"] == []
    assert Path(out["file"]) == partnership.root / "closeout-dua-close.html"  # the default
    disposed = logged(partnership.vault, "share.disposed")
    assert [e["payload"]["disposition"] for e in disposed] == ["returned", "destroyed"]
    assert disposed[1]["payload"]["certificate_sha256"] == digest
    assert partnership.vault.blobs.get(digest) == cert.read_bytes()
    assert _findings(cli) == []
    # every copy accounted for: a certificate now would cover nothing
    again = cli("dispose", partnership.shares["Beta Labs"], "--as", "returned")
    assert again.exit_code == 2 and "already recorded as destroyed" in again.stderr


def _refused(p: Partnership, cli: Callable[..., Any], *args: str) -> str:
    before = log_size(p.vault)
    blobs = sorted(f.name for f in (p.vault.dir / "blobs").rglob("*") if f.is_file())
    result = cli("agreement", "close-out", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert log_size(p.vault) == before and _closeout_rows(p.vault) == []
    assert sorted(f.name for f in (p.vault.dir / "blobs").rglob("*") if f.is_file()) == blobs
    with p.vault.engine.connect() as conn:
        assert list(conn.execute(select(share_dispositions))) == []
    assert not list(p.root.glob("closeout-*"))
    return result.stderr


def test_an_agreement_in_force_is_refused_unless_forced(partnership: Partnership,
                                                        cli: Callable[..., Any],
                                                        tmp_path: Path) -> None:
    err = _refused(partnership, cli, "dua-close")
    assert "ID: agreement dua-close is still in force (active until 2030-12-31)" in err
    cert = tmp_path / "c.txt"
    cert.write_text("destroyed")
    _refused(partnership, cli, "dua-close", "--certificate", str(cert))
    forced = cli("agreement", "close-out", "dua-close", "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    out = json.loads(forced.stdout)
    assert out["forced"] is True and out["report"]["state"] == "active"
    assert sorted(out["unaccounted"]) == sorted(partnership.shares.values())
    [entry] = logged(partnership.vault, "agreement.closed_out")
    assert entry["payload"]["forced"] is True and entry["payload"]["state"] == "active"
    assert any("forced" in x for x in out["report"]["lessons"])
    assert "forced" in Path(out["file"]).read_text()
    [row] = _closeout_rows(partnership.vault)
    assert row.forced is True
    # a forced close-out counts as closed: its copies are owed
    assert {f["subject"] for f in _findings(cli)} == set(partnership.shares.values())


def test_human_output_names_the_counts_and_the_file(partnership: Partnership,
                                                    cli: Callable[..., Any]) -> None:
    terminate(cli)
    done = cli("agreement", "close-out", "dua-close")
    assert done.exit_code == 0, done.stderr
    words = " ".join(done.stdout.split())
    assert "2 copies (0 returned, 0 destroyed, 2 unaccounted)" in words
    assert "closeout-dua-close.html" in done.stdout.replace("\n", "")
    assert "2 copies unaccounted for" in words


@pytest.mark.parametrize("case", ["unknown", "twice", "missing-cert", "folder-cert", "big-cert",
                                  "covers-nothing", "before-effective", "future"])
def test_bad_input_stores_nothing(partnership: Partnership, cli: Callable[..., Any],
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  case: str) -> None:
    terminate(cli)
    if case == "unknown":
        assert "unknown agreement 'nope'" in _refused(partnership, cli, "nope")
    elif case == "twice":
        assert cli("agreement", "close-out", "dua-close").exit_code == 0
        (partnership.root / "closeout-dua-close.html").unlink()
        again = cli("agreement", "close-out", "dua-close", "--force")
        assert again.exit_code == 2 and "already closed out" in again.stderr
        assert len(logged(partnership.vault, "agreement.closed_out")) == 1
        assert not (partnership.root / "closeout-dua-close.html").exists()
    elif case == "missing-cert":
        err = _refused(partnership, cli, "dua-close", "--certificate", str(tmp_path / "no.pdf"))
        assert "--certificate" in err
    elif case == "folder-cert":
        err = _refused(partnership, cli, "dua-close", "--certificate", str(tmp_path))
        assert "--certificate" in err and "folder" in err
    elif case == "big-cert":
        monkeypatch.setattr("hallmark.services.closeouts.MAX_CERTIFICATE", 100)
        (tmp_path / "big.pdf").write_bytes(b"%PDF-" + b"x" * 200)
        err = _refused(partnership, cli, "dua-close", "--certificate", str(tmp_path / "big.pdf"))
        assert "--certificate" in err and "too large" in err
    elif case == "covers-nothing":
        for share in partnership.shares.values():
            assert cli("dispose", share, "--as", "returned").exit_code == 0
        (tmp_path / "c.txt").write_text("destroyed")
        before = log_size(partnership.vault)
        result = cli("agreement", "close-out", "dua-close", "--certificate",
                     str(tmp_path / "c.txt"))
        assert result.exit_code == 2 and "--certificate" in result.stderr
        assert "already accounted for" in result.stderr
        assert log_size(partnership.vault) == before
    elif case == "before-effective":
        assert "--on" in _refused(partnership, cli, "dua-close", "--on", "2024-12-31")
    else:
        assert "--on" in _refused(partnership, cli, "dua-close", "--on", "2999-01-01")


@pytest.mark.parametrize("where", ["missing-folder", "a-folder", "fails-while-writing"])
def test_an_unwritable_report_logs_nothing(partnership: Partnership, cli: Callable[..., Any],
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           where: str) -> None:
    terminate(cli)
    (tmp_path / "c.txt").write_text("destroyed")
    target = {"missing-folder": tmp_path / "nope" / "r.html", "a-folder": tmp_path,
              "fails-while-writing": tmp_path / "r.html"}[where]
    if where == "fails-while-writing":  # the disk fills up after the report was drafted
        import hallmark.files

        def full(path: Any, data: Any, *, field: str | None = None) -> Path:
            raise hallmark.files.InputError(f"cannot write {path}: No space left on device",
                                            field=field)

        monkeypatch.setattr(hallmark.files, "write_atomically", full)
    err = _refused(partnership, cli, "dua-close", "-o", str(target), "--certificate",
                   str(tmp_path / "c.txt"))
    assert "--output" in err
    assert not (tmp_path / "r.html").exists()


def test_hostile_titles_and_names_are_shown_not_obeyed(vault: Vault, cli: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    title = "<script>alert('title')</script> & \"quotes\""
    partner = "Evil <img src=x onerror=alert(1)> Labs"
    p = make_partnership(vault, cli, title=title, partner=partner)
    terminate(cli)
    done = cli("agreement", "close-out", "dua-close", "--lessons", "</div><script>x()</script>",
               "--json")
    assert done.exit_code == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["report"]["title"] == title
    html = Path(out["file"]).read_text()
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(" in html and "Evil &lt;img src=x onerror=alert(1)&gt; Labs" in html
    assert "&lt;/div&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert html.count("<div") == html.count("</div>")
    assert p.shares[partner] in html


def test_a_partnership_that_never_began_needs_force(partnership: Partnership,
                                                   cli: Callable[..., Any]) -> None:
    from hallmark import services

    services.agreements.add(partnership.vault, text=(
        "id: nda-later\ntype: nda\ntitle: Later\nparties: [Acme AI, CloudCo]\n"
        "effective: 2999-01-01\nterm: 1y\ncovers: [customers.csv]\n"), actor="tester")
    err = _refused(partnership, cli, "nda-later")
    assert "ID: agreement nda-later has not begun (it takes effect on 2999-01-01)" in err
    forced = cli("agreement", "close-out", "nda-later", "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    out = json.loads(forced.stdout)
    assert out["forced"] is True and out["report"]["state"] == "pending"
    assert out["report"]["shares"] == [] and out["unaccounted"] == []
