"""`hallmark dispose SHARE --as returned|destroyed`: what became of one shared copy, with a
certificate of destruction stored by digest; every refusal is one line, exit 2, nothing
stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from closeout.conftest import Partnership, log_size, logged
from hallmark import services
from hallmark.errors import InputError
from hallmark.store.clock import today


def _blob_count(p: Partnership) -> int:
    return sum(1 for f in (p.vault.dir / "blobs").rglob("*") if f.is_file())


def test_a_returned_copy_is_recorded_and_logged(partnership: Partnership,
                                                cli: Callable[..., Any]) -> None:
    share = partnership.shares["CloudCo"]
    done = cli("dispose", share, "--as", "returned", "--on", today().isoformat(), "--json")
    assert done.exit_code == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["share"] == share and found["disposition"] == "returned"
    assert found["recipient"] == "cloudco" and found["agreement"] == "dua-close"
    assert found["certificate_sha256"] is None and found["recorded"] == today().isoformat()
    [entry] = logged(partnership.vault, "share.disposed")
    assert entry["payload"]["disposition"] == "returned"
    assert set(entry["subjects"]) == {share, partnership.asset, "cloudco", "dua-close"}
    listed = json.loads(cli("dispositions", "--agreement", "dua-close", "--json").stdout)
    assert [d["share"] for d in listed["dispositions"]] == [share]


def test_a_destruction_keeps_its_certificate_by_digest(partnership: Partnership,
                                                       cli: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    cert = tmp_path / "destruction certificate.pdf"
    cert.write_bytes(b"%PDF-1.4\nWe destroyed every copy.\n")
    share = partnership.shares["Beta Labs"]
    done = cli("dispose", share, "--as", "destroyed", "--certificate", str(cert), "--json")
    assert done.exit_code == 0, done.stderr
    found = json.loads(done.stdout)
    digest = hashlib.sha256(cert.read_bytes()).hexdigest()
    assert found["certificate_sha256"] == digest
    assert found["certificate_name"] == "destruction certificate.pdf"
    assert partnership.vault.blobs.get(digest) == cert.read_bytes()
    [entry] = logged(partnership.vault, "share.disposed")
    assert entry["payload"]["certificate_sha256"] == digest
    human = cli("dispositions")
    assert human.exit_code == 0 and share in human.stdout


def _refused(p: Partnership, cli: Callable[..., Any], *args: str) -> str:
    before, blobs = log_size(p.vault), _blob_count(p)
    recorded = services.closeouts.list_dispositions(p.vault).dispositions
    result = cli("dispose", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert log_size(p.vault) == before and _blob_count(p) == blobs
    assert services.closeouts.list_dispositions(p.vault).dispositions == recorded
    return result.stderr


def test_an_unknown_share_is_refused(partnership: Partnership, cli: Callable[..., Any]) -> None:
    err = _refused(partnership, cli, "sh-nope", "--as", "returned")
    assert "SHARE" in err and "no share 'sh-nope'" in err


def test_a_second_disposition_is_refused(partnership: Partnership, cli: Callable[..., Any],
                                         tmp_path: Path) -> None:
    share = partnership.shares["CloudCo"]
    assert cli("dispose", share, "--as", "returned").exit_code == 0
    cert = tmp_path / "c.txt"
    cert.write_text("destroyed")
    err = _refused(partnership, cli, share, "--as", "destroyed", "--certificate", str(cert))
    assert "already recorded as returned" in err
    assert len(logged(partnership.vault, "share.disposed")) == 1


@pytest.mark.parametrize(("args", "words"), [
    (["--as", "lost"], "--as: must be one of returned, destroyed"),
    (["--as", "destroyed"], "--certificate: a destruction is recorded with its certificate"),
    (["--as", "returned", "--on", "2999-01-01"], "--on: 2999-01-01 is in the future"),
    (["--as", "returned", "--on", "2020-01-01"], "--on: 2020-01-01 is before share"),
    (["--as", "returned", "--on", "yesterday"], "--on: expected a date"),
])
def test_bad_values_are_refused(partnership: Partnership, cli: Callable[..., Any],
                                args: list[str], words: str) -> None:
    assert words in _refused(partnership, cli, partnership.shares["Beta Labs"], *args)


def test_bad_certificates_are_refused(partnership: Partnership, cli: Callable[..., Any],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    share = partnership.shares["Beta Labs"]
    err = _refused(partnership, cli, share, "--as", "destroyed", "--certificate",
                   str(tmp_path / "missing.pdf"))
    assert "--certificate" in err and "no certificate at" in err
    err = _refused(partnership, cli, share, "--as", "destroyed", "--certificate", str(tmp_path))
    assert "--certificate" in err and "is a folder" in err
    (tmp_path / "empty.pdf").write_bytes(b"")
    err = _refused(partnership, cli, share, "--as", "destroyed", "--certificate",
                   str(tmp_path / "empty.pdf"))
    assert "--certificate" in err and "is empty" in err
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * 2048)
    monkeypatch.setattr("hallmark.services.closeouts.MAX_CERTIFICATE", 1024)
    err = _refused(partnership, cli, share, "--as", "destroyed", "--certificate", str(big))
    assert "--certificate" in err and "too large" in err


def test_the_documented_certificate_limit_is_20_mib(partnership: Partnership,
                                                    tmp_path: Path) -> None:
    assert services.closeouts.MAX_CERTIFICATE == 20 << 20
    big = tmp_path / "huge.pdf"
    with big.open("wb") as fh:  # sparse: 20 MiB and one byte, without writing them
        fh.truncate((20 << 20) + 1)
    with pytest.raises(InputError) as err:
        services.closeouts.dispose(partnership.vault, partnership.shares["CloudCo"],
                                   "destroyed", certificate=big, actor="tester")
    assert err.value.field == "certificate"


def test_a_disposition_may_be_dated_back_to_the_day_of_the_share(
        partnership: Partnership) -> None:
    found = services.closeouts.dispose(partnership.vault, partnership.shares["CloudCo"],
                                       "returned", on=today(), actor="tester")
    assert found.recorded == today().isoformat()
    with pytest.raises(InputError) as err:
        services.closeouts.dispose(partnership.vault, partnership.shares["Beta Labs"],
                                   "returned", on=today() - timedelta(days=1), actor="tester")
    assert err.value.field == "on"
