"""Red-team attacks on close-out (issue 15): hostile strings in the report, certificates that
are not certificates (a link to the vault's keys, a FIFO, a device), a share made after a
forced close-out, a certificate reaching a share of another agreement, and an audit finding
silenced by anything but a real disposition."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hallmark import Vault, services
from hallmark.errors import HallmarkError

from .conftest import Partnership, log_size, logged, make_partnership, terminate

ACTOR = "closeout-attacks"


def _findings(cli: Callable[..., Any]) -> list[dict[str, Any]]:
    done = cli("audit", "--rule", "closeout-unaccounted", "--json")
    return json.loads(done.stdout)["findings"]


def test_a_certificate_name_and_every_string_are_escaped(vault: Vault, cli: Callable[..., Any],
                                                         tmp_path: Path) -> None:
    p = make_partnership(vault, cli, title="<b onmouseover=x()>T</b>",
                         partner="Beta <svg onload=alert(1)> Labs")
    terminate(cli)
    cert = tmp_path / "<img src=x onerror=alert(2)>.txt"
    cert.write_text("destroyed\n")
    done = cli("agreement", "close-out", "dua-close", "--certificate", str(cert),
               "--lessons", "<iframe src=//evil>", "-o", str(tmp_path / "r.html"), "--json")
    assert done.exit_code == 0, done.stderr
    html = (tmp_path / "r.html").read_text()
    for raw in ("<img", "<svg", "<iframe", "<b ", "onload=alert(1)>"):
        assert raw not in html, raw
    assert "&lt;img src=x onerror=alert(2)&gt;.txt" in html
    assert p.shares["CloudCo"] in html


@pytest.mark.parametrize("target", ["signing", "marking"])
def test_a_certificate_that_is_a_vault_key_is_refused(partnership: Partnership,
                                                      cli: Callable[..., Any], tmp_path: Path,
                                                      target: str) -> None:
    # gap: a certificate path (or a link) to the vault's own keys was read, its bytes stored
    # as a blob and its digest logged: a secret must never travel as evidence
    terminate(cli)
    keys = partnership.vault.dir / "keys"
    secret = next(k for k in keys.iterdir() if target in k.name)
    link = tmp_path / "certificate.pdf"
    link.symlink_to(secret)
    size = log_size(partnership.vault)
    blobs = sorted(p.name for p in (partnership.vault.dir / "blobs").rglob("*") if p.is_file())
    for path in (link, secret):
        with pytest.raises(HallmarkError) as caught:
            services.closeouts.dispose(partnership.vault, partnership.shares["CloudCo"],
                                       "destroyed", certificate=path, actor=ACTOR)
        assert caught.value.field == "certificate"
        done = cli("agreement", "close-out", "dua-close", "--certificate", str(path))
        assert done.exit_code == 2 and "--certificate" in done.stderr, done.stderr
    assert log_size(partnership.vault) == size
    assert sorted(p.name for p in (partnership.vault.dir / "blobs").rglob("*")
                  if p.is_file()) == blobs


def test_a_fifo_or_a_device_is_not_a_certificate(partnership: Partnership,
                                                 cli: Callable[..., Any],
                                                 tmp_path: Path) -> None:
    terminate(cli)
    fifo = tmp_path / "cert.pdf"
    os.mkfifo(fifo)
    link = tmp_path / "zero.pdf"
    link.symlink_to("/dev/zero")
    size = log_size(partnership.vault)
    for path in (fifo, Path("/dev/zero"), link, tmp_path):
        with pytest.raises(HallmarkError) as caught:
            services.closeouts.dispose(partnership.vault, partnership.shares["CloudCo"],
                                       "destroyed", certificate=path, actor=ACTOR)
        assert caught.value.field == "certificate"
    assert log_size(partnership.vault) == size


def test_a_close_out_certificate_reaches_only_its_own_agreement(
        partnership: Partnership, cli: Callable[..., Any], tmp_path: Path) -> None:
    other = (partnership.root / "dua.yaml").read_text().replace("dua-close", "dua-other")
    (partnership.root / "other.yaml").write_text(other)
    assert cli("agreement", "add", str(partnership.root / "other.yaml")).exit_code == 0
    shared = cli("share", partnership.asset, "--to", "CloudCo", "--agreement", "dua-other",
                 "-o", str(tmp_path / "o.csv"), "--json")
    assert shared.exit_code == 0, shared.stderr
    foreign = json.loads(shared.stdout)["share"]
    terminate(cli)
    cert = tmp_path / "c.txt"
    cert.write_text("destroyed\n")
    done = cli("agreement", "close-out", "dua-close", "--certificate", str(cert), "--json")
    assert done.exit_code == 0, done.stderr
    disposed = json.loads(done.stdout)["disposed"]
    assert sorted(disposed) == sorted(partnership.shares.values())
    assert foreign not in disposed
    listed = {s.share: s.agreement for s in services.shares.list_shares(partnership.vault)}
    assert listed[foreign] == "dua-other"
    assert foreign not in {d.share for d in services.closeouts.list_dispositions(
        partnership.vault).dispositions}


def test_a_share_after_a_forced_close_out_is_a_finding(partnership: Partnership,
                                                       cli: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    for share in partnership.shares.values():
        assert cli("dispose", share, "--as", "returned").exit_code == 0
    done = cli("agreement", "close-out", "dua-close", "--force", "--json")
    assert done.exit_code == 0, done.stderr
    assert _findings(cli) == []
    # the agreement is still in force (a close-out does not terminate it), so a share is
    # allowed: it is owed at once
    late = cli("share", partnership.asset, "--to", "CloudCo", "-o", str(tmp_path / "late.csv"),
               "--json")
    assert late.exit_code == 0, late.stderr
    late_id = json.loads(late.stdout)["share"]
    assert [f["subject"] for f in _findings(cli)] == [late_id]


def test_only_a_real_disposition_silences_the_finding(partnership: Partnership,
                                                      cli: Callable[..., Any],
                                                      tmp_path: Path) -> None:
    terminate(cli)
    kept = partnership.shares["CloudCo"]
    before = {f["subject"] for f in _findings(cli)}
    size = log_size(partnership.vault)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    attempts = [
        ("dispose", kept, "--as", "destroyed"),                               # no certificate
        ("dispose", kept, "--as", "destroyed", "--certificate", str(empty)),  # empty one
        ("dispose", kept, "--as", "lost"),
        ("dispose", kept, "--as", "returned", "--on", "2999-01-01"),          # the future
        ("dispose", kept, "--as", "returned", "--on", "2000-01-01"),          # before the copy
        ("dispose", "no-such-share", "--as", "returned"),
        ("agreement", "close-out", "dua-other"),
    ]
    for args in attempts:
        done = cli(*args)
        assert done.exit_code == 2, (args, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert log_size(partnership.vault) == size
    assert {f["subject"] for f in _findings(cli)} == before
    assert cli("dispose", kept, "--as", "returned").exit_code == 0
    again = cli("dispose", kept, "--as", "destroyed", "--certificate", str(empty))
    assert again.exit_code == 2
    assert kept not in {f["subject"] for f in _findings(cli)}
    assert len(logged(partnership.vault, "share.disposed")) == 1
