"""Hostile trees: links out of the scanned folder or into the vault, reader errors that could echo
file bytes, file names that are not UTF-8 or that carry terminal controls or Rich markup."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hallmark.inventory.readers import SUFFIXES, ReaderError, _dispatch
from hallmark.services.inventory import scan as scan_service
from hallmark.store.tables import metadata
from hallmark.vault import Vault

ACTOR = "tester"


def scan(vault: Vault, paths: list[Path], rehash: bool = False):  # type: ignore[no-untyped-def]
    """The service, as the tests call it."""
    return scan_service(vault, paths, actor=ACTOR, rehash=rehash)


SECRET_LINE = b"root:TOPSECRET-HASH-8f2c:19000:0:99999:7:::\n"
# Printable so that a decoder that echoes it would be caught; the first 8 bytes read as a huge
# little-endian header length, the way a .safetensors reader would see them.
KEY = b"KEYBYTES-4d1f9a0c,rest;of|the\x00k"


def needles(secret: bytes) -> list[bytes]:
    """Every 6-byte window of a secret, its hex, and its first 8 bytes read as integers."""
    found = [secret[i:i + 6] for i in range(len(secret) - 5)]
    found += [secret.hex().encode(), str(int.from_bytes(secret[:8], "little")).encode(),
              str(int.from_bytes(secret[:4], "little")).encode()]
    return [n for n in found if n.strip(b"\x00")]


def database_text(vault: Vault) -> bytes:
    """Every row of every table, on either backend."""
    out = []
    with vault.read() as conn:
        for table in metadata.sorted_tables:
            out += [repr(tuple(row)).encode() for row in conn.execute(select(table))]
    db = vault.dir / "hallmark.db"
    return b"\n".join(out) + (db.read_bytes() if db.exists() else b"")


def leaks(haystacks: list[bytes], secret: bytes) -> list[bytes]:
    return [n for n in needles(secret) for h in haystacks if n in h]


def test_links_out_of_the_root_or_into_the_vault_are_never_followed(vault: Vault, cli,
                                                                    tmp_path: Path) -> None:
    root = vault.root
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_bytes(SECRET_LINE)
    key_file = vault.dir / "keys" / "marking.key"
    key_file.write_bytes(KEY)
    (root / "data").mkdir()
    (root / "data" / "real.csv").write_text("a,b\n1,2\n")
    os.symlink(outside / "shadow", root / "shadow.csv")
    os.symlink("../../outside/shadow", root / "data" / "deep.csv")  # relative, still outside
    for suffix in ("csv", "safetensors", "parquet", "md", "gguf", "pkl"):
        os.symlink(key_file, root / f"key.{suffix}")
    os.symlink(".hallmark/hallmark.toml", root / "config.md")
    os.symlink("data/real.csv", root / "inside.csv")  # inside the root: followed
    os.link(key_file, root / "hard.csv")  # a hard link is the vault's own file too
    (root / "model.safetensors").write_bytes(b"\x00" * 8)
    os.symlink(outside / "shadow", root / "README.md")  # the card beside a model

    result = cli("scan", ".", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    paths = {a["path"] for a in doc["assets"]}
    assert {"data/real.csv", "inside.csv", "model.safetensors"} <= paths
    refused = {"shadow.csv", "data/deep.csv", "config.md", "hard.csv", "README.md",
               *(f"key.{s}" for s in ("csv", "safetensors", "parquet", "md", "gguf", "pkl"))}
    assert not refused & paths
    problems = {p["path"]: p["reason"] for p in doc["problems"]}
    assert refused <= set(problems)
    assert "outside the scanned folder" in problems["shadow.csv"]
    assert "vault" in problems["key.csv"] and "vault" in problems["hard.csv"]
    # A file or folder of the vault named directly is refused too.
    named = cli("scan", ".hallmark/keys/marking.key", ".hallmark", "--json")
    assert named.exit_code == 0, named.stderr
    assert json.loads(named.stdout)["assets"] == []

    outputs = [result.stdout, result.stderr, named.stdout, named.stderr]
    for args in (["assets", "--json"], ["audit", "--json"], ["assets"], ["audit"], ["scan", "."]):
        shown = cli(*args)
        outputs += [shown.stdout, shown.stderr]
    haystacks = [o.encode() for o in outputs] + [database_text(vault)]
    assert leaks(haystacks, SECRET_LINE) == []
    assert leaks(haystacks, KEY) == []


def test_a_root_that_is_a_link_out_of_its_folder_is_refused(vault: Vault, tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_bytes(SECRET_LINE)
    (vault.root / "sub").mkdir()
    os.symlink(tmp_path / "secret.csv", vault.root / "sub" / "evil.csv")  # as `scan sub/*` names
    result = scan(vault, [vault.root / "sub" / "evil.csv"])
    assert result.assets == []
    assert [(p.path, "outside" in p.reason) for p in result.problems] == [("sub/evil.csv", True)]


# Files whose parse error, in the parser's own words, quotes their bytes.
ECHOING_FILES = {
    "ragged.csv": b"a,b\n1,2\nSECRET-CELL-TEXT,3,4,5\n",
    "bad.jsonl": b'{"a": 1}\n{"SECRET-KEY-TEXT": tru}\n',
    "card.md": b"---\nname: [SECRET-YAML-TEXT\n---\nbody\n",
    "tabs.md": b"---\nkey: \tSECRET-YAML-TEXT: @\n---\n",
    "header.safetensors": b"SECRET-H" + b"{}",
    "hdr.safetensors": (20).to_bytes(8, "little") + b'{"SECRET-JSON-TEXT"x',
    "magic.gguf": b"GGUF" + b"SECR" + b"\x00" * 16,
    "op.pkl": b"\x80\x02SECRET-PICKLE",
    "bad.parquet": b"PAR1SECRET-PARQUET-TEXTPAR1",
    "bad.arrow": b"ARROW1\x00\x00SECRET-ARROW-TEXT",
    "bad.tsv": b"a\tb\nSECRET-TSV-TEXT\t1\t2\n",
}


@pytest.mark.parametrize("name", sorted(ECHOING_FILES))
def test_reader_errors_never_quote_the_file(tmp_path: Path, name: str) -> None:
    data = ECHOING_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    try:
        meta = _dispatch(path, "other")
    except ReaderError as exc:
        message = str(exc)
    else:
        message = str(meta.get("error", ""))
    assert "SECR" not in message, message
    # Nor a header field read from the file's bytes, printed as a number.
    fields = {int.from_bytes(data[i:i + n], order) for n in (4, 8) for i in range(len(data) - n + 1)
              for order in ("little", "big")}
    printed = {int(n) for n in re.findall(r"\d+", message)}
    assert not {n for n in printed & fields if n > 255}, message


def test_non_utf8_names_are_found_again_and_never_collide(vault: Vault, cli) -> None:
    raw = os.fsdecode(b"bad\xff.csv")  # how the shell hands such a name to the command
    (vault.root / raw).write_text("a\n1\n")
    (vault.root / "bad\\xff.csv").write_text("b\n2\n")  # a real name that looks like the escape
    result = scan(vault, [vault.root])
    assert len(result.assets) == 2 and len({a.id for a in result.assets}) == 2
    shown = cli("asset", "show", raw, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["metadata"]["columns"][0]["name"] == "a"
    literal = cli("asset", "show", "bad\\xff.csv", "--json")
    assert literal.exit_code == 0, literal.stderr
    assert json.loads(literal.stdout)["metadata"]["columns"][0]["name"] == "b"
    again = scan(vault, [vault.root])
    assert (again.new, again.unchanged) == (0, 2)


HOSTILE_NAMES = ["\x1b[2Jclear.pt", "[red]x.md", "[bold]bold.csv", "bell\x07\u009b.txt",
                 "new\nline.txt", "rtl\u202efdp.exe"]


def test_terminal_controls_and_markup_in_names_are_shown_escaped(vault: Vault, cli) -> None:
    for name in HOSTILE_NAMES:
        (vault.root / name).write_text("a\n1\n")
    outputs = []
    for args in (["scan", "."], ["assets"], ["audit"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        outputs.append(result.stdout + result.stderr)
    ids = {a["path"]: a["id"] for a in json.loads(cli("assets", "--json").stdout)["assets"]}
    for name in HOSTILE_NAMES:
        shown = cli("asset", "show", ids[name])
        assert shown.exit_code == 0, shown.stderr
        outputs.append(shown.stdout + shown.stderr)
    for text in outputs:
        for control in ("\x1b", "\x07", "\u009b", "\u202e"):
            assert control not in text
    listing = outputs[1]
    assert "[red]x.md" in listing and "[bold]bold.csv" in listing
    assert "\\x1b[2Jclear.pt" in listing


def test_error_lines_neutralise_controls(capsys: pytest.CaptureFixture[str]) -> None:
    from hallmark.cli.main import report_error
    from hallmark.errors import InputError

    code = report_error(InputError("no such file or folder: \x1b[2Jgone [red]x"))
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "\\x1b[2Jgone [red]x" in err


def test_manifest_errors_never_quote_the_manifest(vault: Vault) -> None:
    (vault.root / "requirements.txt").write_text("numpy\nSECRET-REQ ==== garbage!\n")
    (vault.root / "package.json").write_text('{"dependencies": {"SECRET NAME!": "1"}}')
    (vault.root / "pyproject.toml").write_text('[project]\ndependencies = ["SECRET ;;; x"]\n')
    errors = {a.path: a.metadata.get("error", "") for a in scan(vault, [vault.root]).assets}
    assert set(errors) == {"requirements.txt", "package.json", "pyproject.toml"}
    for path, message in errors.items():
        assert message and "SECRET" not in message, (path, message)


MARK = b"QZXJVKW"
# Starts that take each parser past its magic, so that the marker lands where a parser reads.
SEEDS = [b"", b"PAR1", b"ARROW1\x00\x00", b"GGUF\x03\x00\x00\x00\x01" + b"\x00" * 15,
         (40).to_bytes(8, "little") + b'{"', b"\x80\x04\x95", b"---\nname: ", b"a,b\n",
         b'{"a": ', b"PK\x03\x04", b"\x08\x07\x12"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SUFFIXES)), st.sampled_from(SEEDS), st.binary(max_size=64),
       st.binary(max_size=64))
def test_no_reader_error_quotes_the_file(tmp_path_factory: pytest.TempPathFactory, suffix: str,
                                         seed: bytes, before: bytes, after: bytes) -> None:
    path = tmp_path_factory.mktemp("q") / f"f{suffix}"
    path.write_bytes(seed + before + MARK + after)
    try:
        message = str(_dispatch(path, "other").get("error", ""))
    except ReaderError as exc:
        message = str(exc)
    assert MARK.decode() not in message, message


def test_what_was_read_through_a_path_now_refused_is_dropped(vault: Vault, tmp_path: Path) -> None:
    """A register scanned before links were fenced may hold a target's content (a column named
    after /etc/shadow's first line); the next scan that refuses the path drops it, and logs so."""
    from hallmark.ledger import log

    leaked = vault.root / "shadow.csv"
    leaked.write_bytes(SECRET_LINE)  # stands in for what an unfenced scan read through a link
    (before,) = scan(vault, [vault.root]).assets
    assert "TOPSECRET" in json.dumps(before.metadata)
    (tmp_path / "outside.csv").write_bytes(SECRET_LINE)
    leaked.unlink()
    os.symlink(tmp_path / "outside.csv", leaked)
    result = scan(vault, [vault.root])
    assert [p.path for p in result.problems] == ["shadow.csv"]
    with vault.read() as conn:
        from hallmark.inventory.assets import resolve

        after = resolve(conn, before.id)
        assert "TOPSECRET" not in json.dumps(after.metadata)
        assert "outside the scanned folder" in after.metadata["error"]
        last = log.event(conn, log.events_for(conn, before.id)[-1])["parsed"]
    assert (last["type"], last["payload"]["changed"]) == ("asset.updated", ["metadata"])
    assert leaks([database_text(vault)], SECRET_LINE) == []
