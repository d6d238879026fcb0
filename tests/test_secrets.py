"""The signing key and the marking key never leave `.hallmark/keys/`: not into the database,
the log, a checkpoint, an evidence bundle, an export, a shared copy or a command's output."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from hallmark.vault import Vault


def forms(secret: bytes) -> list[bytes]:
    """The ways a 32-byte secret could be written down."""
    return [secret, secret.hex().encode(), secret.hex().upper().encode(),
            base64.b64encode(secret).rstrip(b"="), base64.urlsafe_b64encode(secret).rstrip(b"=")]


def contents(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    found = [(str(path), data)]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            found += [(f"{path}!{name}", archive.read(name)) for name in archive.namelist()]
    return found


def test_no_key_material_anywhere_after_the_whole_demo(tmp_path: Path, cli,
                                                       monkeypatch) -> None:
    monkeypatch.delenv("HALLMARK_DB_URL", raising=False)
    demo = cli("demo", "--dir", str(tmp_path))
    assert demo.exit_code == 0, demo.stderr
    project = tmp_path / "acme-ai"
    monkeypatch.chdir(project)
    vault = Vault.find()
    outputs = [demo.stdout, demo.stderr]
    for args in (["export", "bom", "-o", str(tmp_path / "bom.json")],
                 ["ledger", "checkpoint", "-o", str(tmp_path / "checkpoint.txt")],
                 ["keys", "public", "-o", str(tmp_path / "public.txt")],
                 ["ledger", "status", "--json"], ["shares", "--json"], ["audit", "--json"],
                 ["assets", "--json"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        outputs += [result.stdout, result.stderr]
    signing = vault.signing_key.private_bytes(serialization.Encoding.Raw,
                                              serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())
    needles = forms(vault.marking_key) + forms(signing)
    keys_dir = (project / ".hallmark" / "keys").resolve()
    haystack = [("output", text.encode()) for text in outputs]
    for path in tmp_path.rglob("*"):
        if path.is_file() and keys_dir not in path.resolve().parents:
            haystack += contents(path)
    assert len(haystack) > 20  # the database, bundles, shared copies, exports were all read
    leaks = [(where, needle[:8]) for where, data in haystack for needle in needles
             if needle in data]
    assert leaks == []
    vault.close()
