"""`ledger ...`, `evidence`, `verify-bundle`, `attest`, `verify-attestation`, `sign`,
`verify-model`, `keys public`: prove what the vault recorded, to anyone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import rich.markup
import typer

from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text
from hallmark.errors import InputError, NotFound
from hallmark.files import write_atomically
from hallmark.ledger import log, note, verify

ledger_app = typer.Typer(help="The vault's append-only Merkle log and its checkpoints.",
                         no_args_is_help=True)
keys_app = typer.Typer(help="The vault's public keys.", no_args_is_help=True)
MAX_SMALL_FILE = 1 << 20
OutOption = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout.")


def _read_small(path: Path, what: str) -> bytes:
    path = path.expanduser()
    if not path.is_file():
        raise NotFound(f"no {what} at {path}")
    if path.stat().st_size > MAX_SMALL_FILE:
        raise InputError(f"{path} is too large for a {what}")
    return path.read_bytes()


def _tsa_roots(path: Path | None) -> list[Any] | None:
    """The PEM roots a `--tsa-root` file names, or None when none was given."""
    from hallmark.ledger import timestamp

    return timestamp.parse_certificates(_read_small(path, "certificate")) if path else None


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {rich.markup.escape(message)}", highlight=False)
    raise typer.Exit(1)


def _key(vault: Any) -> tuple[str, Any]:
    return vault.key_name, vault.signing_key.public_key()


# -- ledger ---------------------------------------------------------------------------------------

@ledger_app.command()
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Size, root and latest checkpoint of the log."""
    from hallmark.ledger.timestamp import latest_timestamp

    vault = open_vault(ctx)
    with vault.read() as conn:
        size, root = log.head(conn)
        text = log.latest_checkpoint(conn)
        stamp = latest_timestamp(conn)
    doc = {"origin": vault.origin, "size": size, "root": root.hex(),
           "checkpoint_size": note.open_checkpoint(text, *_key(vault)).size if text else None,
           "verifier_key": note.verifier_key(*_key(vault)),
           "timestamp": None if stamp is None else {
               "checkpoint_size": stamp.checkpoint_size, "gen_time": stamp.gen_time,
               "tsa": stamp.tsa_url}}
    if as_json:
        emit_json(doc)
        return
    rows = [[k, v if not isinstance(v, dict) else json.dumps(v)] for k, v in doc.items()]
    console.print(table("ledger", ["field", "value"], rows))


@ledger_app.command()
def show(ctx: typer.Context, n: int = typer.Argument(..., help="Entry number (0-based)."),
         as_json: bool = JsonOption) -> None:
    """Print entry N of the log."""
    vault = open_vault(ctx)
    with vault.read() as conn:
        found = log.event(conn, n)
    from hallmark.ledger import merkle

    doc = {"seq": n, "leaf_hash": merkle.leaf_hash(found["entry"]).hex(), **found["parsed"]}
    if as_json:
        emit_json(doc)
        return
    console.print(table(f"entry {n}", ["field", "value"],
                        [[k, json.dumps(v) if isinstance(v, dict | list) else v]
                         for k, v in doc.items()]))


@ledger_app.command()
def prove(ctx: typer.Context, n: int = typer.Argument(..., help="Entry number (0-based)."),
          as_json: bool = JsonOption) -> None:
    """Inclusion proof of entry N in the latest checkpoint."""
    vault = open_vault(ctx)
    with vault.read() as conn:
        cp = verify.latest(conn, *_key(vault))
        proof = verify.inclusion(conn, n, cp)
    if as_json:
        emit_json({**proof, "checkpoint": cp.note})
        return
    console.print(f"entry {n} is in the log of size {cp.size} (root {cp.root.hex()})")
    console.print(table("audit path (leaf side first)", ["#", "hash"],
                        [[i, h] for i, h in enumerate(proof["hashes"])]))


@ledger_app.command()
def consistency(ctx: typer.Context,
                old: Path = typer.Argument(..., help="A checkpoint saved earlier."),
                as_json: bool = JsonOption) -> None:
    """Prove the log today extends the one in OLD (exit 1 if history was rewritten)."""
    vault = open_vault(ctx)
    try:
        text = _read_small(old, "checkpoint").decode()
    except UnicodeDecodeError as exc:
        raise InputError(f"{old} is not a text checkpoint") from exc
    old_cp = note.open_checkpoint(text, *_key(vault))
    with vault.read() as conn:
        new_cp = verify.latest(conn, *_key(vault))
        proof = verify.consistency(conn, old_cp, new_cp)
    if as_json:
        emit_json({"consistent": True, **proof})
        return
    console.print(f"consistent: the log of size {proof['new_size']} extends the checkpoint of "
                  f"size {proof['old_size']} ({len(proof['hashes'])} proof hashes)")


@ledger_app.command()
def checkpoint(ctx: typer.Context, output: Optional[Path] = OutOption) -> None:  # noqa: UP045
    """Print or save the latest signed checkpoint."""
    vault = open_vault(ctx)
    with vault.read() as conn:
        cp = verify.latest(conn, *_key(vault))
    if output is None:
        typer.echo(cp.note, nl=False)
    else:
        write_atomically(output, cp.note)
        err_console.print(f"checkpoint of size {cp.size} written to {output}")


@ledger_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    witness_files: Optional[list[Path]] = typer.Option(  # noqa: UP045
        None, "--witness", help="A witness file (repeatable): the log must reach every size it "
        "witnessed, with the witnessed root."),
    cosigner_key: Optional[str] = typer.Option(  # noqa: UP045
        None, "--cosigner-key", help="Require every witnessed checkpoint to carry a valid "
        "cosignature by this cosigner vkey (`ledger witness --json` prints it)."),
    tsa_root: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--tsa-root", help="Require every witnessed checkpoint to carry an RFC 3161 token "
        "that verifies against these PEM roots."),
    as_json: bool = JsonOption,
) -> None:
    """Recompute the whole tree; check every node, the subject index and every checkpoint (one
    must sign the head), and the witnesses (exit 1 naming the first bad entry)."""
    from hallmark.ledger import witness

    vault = open_vault(ctx)
    if (cosigner_key or tsa_root) and not witness_files:
        raise InputError("--cosigner-key and --tsa-root pin what a witness file holds: name one "
                         "with --witness")
    roots = _tsa_roots(tsa_root)
    witnessed = witness.expect(vault, list(witness_files or []), cosigner_key, roots)
    with vault.read() as conn:
        report = verify.verify_log(conn, vault.origin, *_key(vault), witnessed=witnessed)
    if as_json:
        emit_json(report.to_json())
    else:
        console.print(f"{report.size} entries, {report.nodes} nodes, {report.checkpoints} "
                      f"checkpoints, {report.subjects} subject links and {report.witnessed} "
                      f"witnessed checkpoints checked in {report.seconds:.2f} s")
    if not report.ok:
        _fail(f"log verification failed: {report.problem}")
    if not as_json:
        console.print(f"[green]ok[/green] root {report.root.hex()}")
        if not witness_files:
            err_console.print("note: without --witness, a log cut back to an earlier signed "
                              "checkpoint cannot be told from a shorter one (see `ledger witness`)")


@ledger_app.command("witness")
def witness_cmd(
    ctx: typer.Context,
    to: Path = typer.Option(..., "--to", help="The witness file to append to (keep it outside "
                            "the vault: another disk, a repository, a partner)."),
    cosigner: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--cosigner", help="A second vault that checks consistency and cosigns "
        "(C2SP tlog-cosignature/v1)."),
    tsa: Optional[str] = typer.Option(  # noqa: UP045
        None, "--tsa", help="An RFC 3161 time-stamping authority's URL (default: [timestamp] "
        "tsa in hallmark.toml, if set)."),
    tsa_root: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--tsa-root", help="PEM root certificate(s) to check the TSA against."),
    as_json: bool = JsonOption,
) -> None:
    """Record the current signed checkpoint outside the vault, after checking the log is
    consistent with everything witnessed before (exit 1 if it was cut back or rewritten)."""
    from hallmark.ledger import witness
    from hallmark.vault import Vault

    vault = open_vault(ctx)
    second = Vault.find(cosigner, use_env_db=False) if cosigner is not None else None
    tsa = tsa or vault.config.get("timestamp", {}).get("tsa") or None
    roots = _tsa_roots(tsa_root)
    doc = witness.witness(vault, to, second, tsa, roots)
    if as_json:
        emit_json(doc)
        return
    extra = (" cosigned by " + doc["cosigner"].split("+")[0] if doc["cosigner"] else "") + (
        ", time-stamped" if doc["timestamped"] else "")
    console.print(f"checkpoint of size {doc['size']}{extra} appended to {to} (consistent with "
                  f"{doc['previously_witnessed']} earlier record(s))", highlight=False,
                  markup=False)


@ledger_app.command("timestamp")
def timestamp_cmd(
    ctx: typer.Context,
    tsa: str = typer.Option(..., "--tsa", help="The RFC 3161 time-stamping authority's URL."),
    tsa_root: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--tsa-root", help="PEM root certificate(s) to check the TSA against."),
    as_json: bool = JsonOption,
) -> None:
    """Get an RFC 3161 time-stamp over the latest checkpoint and store it."""
    from hallmark.ledger import timestamp

    vault = open_vault(ctx)
    roots = _tsa_roots(tsa_root)
    doc = timestamp.timestamp_latest(vault, tsa, roots)
    if as_json:
        emit_json(doc)
        return
    console.print(f"checkpoint of size {doc['checkpoint_size']} time-stamped at "
                  f"{doc['gen_time']} by {tsa}")
    if not roots:
        err_console.print("note: checked against the TSA's own certificates; pass --tsa-root to "
                          "pin a trusted root")


# -- evidence and attestations ---------------------------------------------------------------------

def evidence(
    ctx: typer.Context,
    subject: str = typer.Argument(..., help="An asset (id, prefix, name) or any log subject."),
    output: Path = typer.Option(..., "-o", "--output", help="The .zip to write."),
    as_json: bool = JsonOption,
) -> None:
    """Write SUBJECT's events, their proofs, the checkpoint and key into an evidence bundle."""
    from hallmark.ledger import bundle

    manifest = bundle.write_bundle(open_vault(ctx), subject, output)
    if as_json:
        emit_json({"file": str(output), **manifest})
        return
    console.print(f"{len(manifest['events'])} events of {manifest['subject']} with proofs against "
                  f"the checkpoint of size {manifest['tree_size']} written to {output}")


def verify_bundle(
    file: Path = typer.Argument(..., help="The evidence .zip."),
    key: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--key", help="Pin the vault's key: a verifier-key line or a PEM public key."),
    tsa_root: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--tsa-root", help="PEM root certificate(s) trusted for the time-stamp."),
    as_json: bool = JsonOption,
) -> None:
    """Check an evidence bundle with no vault (exit 0 valid, 1 invalid)."""
    from hallmark.ledger import bundle

    pinned = _read_small(key, "key") if key else None
    roots = _tsa_roots(tsa_root)
    report = bundle.verify_bundle(file, pinned, roots)
    if as_json:
        emit_json(report.to_json())
    elif report.ok:
        console.print(table(f"bundle for {report.subject}", ["entry", "type", "time"],
                            [[e["seq"], e["type"], e["time"]] for e in report.events]))
        console.print(f"[green]valid[/green]: {len(report.events)} entries prove into the "
                      f"checkpoint of size {report.tree_size} signed by {report.verifier_key}")
        if report.timestamp:
            console.print(f"time-stamped: the first {report.timestamp['checkpoint_size']} entries "
                          f"existed by {report.timestamp['gen_time']}")
        if not report.key_pinned:
            err_console.print("note: the key was not pinned (--key); compare its fingerprint "
                              f"{report.key_fingerprint} with the vault owner's")
    if not report.ok:
        _fail(f"invalid bundle: {report.problem}")


def attest(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id, prefix or name."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the DSSE envelope."),
    as_json: bool = JsonOption,
) -> None:
    """Write a signed in-toto Statement (DSSE) about ASSET."""
    from hallmark.ledger import attest as attestation

    doc = attestation.attest(open_vault(ctx), asset, output)
    if as_json:
        emit_json(doc)
        return
    console.print(f"attestation for {doc['asset']} written to {output}")


def verify_attestation(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A DSSE envelope written by `hallmark attest`."),
    key: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--key", help="The signer's key (verifier-key line or PEM); default: this vault's."),
    as_json: bool = JsonOption,
) -> None:
    """Check an attestation's signature and statement (exit 1 if it does not verify)."""
    from hallmark.ledger import attest as attestation
    from hallmark.ledger.bundle import load_public_key

    if key is not None:
        public_key = load_public_key(_read_small(key, "key"))[1]
    else:
        public_key = open_vault(ctx).signing_key.public_key()
    doc = attestation.verify_attestation(file, public_key)
    if as_json:
        emit_json(doc)
        return
    for subject in doc["subjects"]:
        console.print(f"[green]verified[/green] {safe_text(subject['name'])} sha256:"
                      f"{subject['digest']['sha256']}")


def sign(
    ctx: typer.Context,
    model: Path = typer.Argument(..., help="A model file or folder."),
    output: Path = typer.Option(..., "-o", "--output", help="The signature file to write."),
    as_json: bool = JsonOption,
) -> None:
    """Sign a model in the OpenSSF Model Signing format with the vault's P-256 key."""
    from hallmark.ledger import model_sign

    doc = model_sign.sign_model(open_vault(ctx), model, output)
    if as_json:
        emit_json(doc)
        return
    console.print(f"signed {model} -> {output}")


def verify_model(
    ctx: typer.Context,
    model: Path = typer.Argument(..., help="A model file or folder."),
    signature: Path = typer.Option(..., "--signature", help="The OMS signature file."),
    key: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--key", help="PEM public key; default: this vault's OMS key."),
    as_json: bool = JsonOption,
) -> None:
    """Check a model against an OMS signature (exit 1 if it does not verify)."""
    from hallmark.ledger import model_sign

    pem = _read_small(key, "key") if key else model_sign.public_pem(open_vault(ctx))
    doc = model_sign.verify_model(model, signature, pem)
    if as_json:
        emit_json(doc)
        return
    console.print(f"[green]verified[/green] {model}")


@keys_app.command("public")
def keys_public(
    ctx: typer.Context,
    oms: bool = typer.Option(False, "--oms", help="The OMS (model signing) P-256 key, as PEM."),
    pem: bool = typer.Option(False, "--pem", help="The log key as PEM instead of a verifier key."),
    output: Optional[Path] = OutOption,  # noqa: UP045
) -> None:
    """Print or save a public key: the log's verifier key (default), --pem, or --oms."""
    from hallmark.ledger import bundle, model_sign

    vault = open_vault(ctx)
    if oms:
        text = model_sign.public_pem(vault).decode()
    elif pem:
        text = bundle.public_pem(vault.signing_key.public_key()).decode()
    else:
        text = note.verifier_key(*_key(vault)) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(output, text)
        err_console.print(f"public key written to {output}")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(keys_app, name="keys")
    app.command()(evidence)
    app.command("verify-bundle")(verify_bundle)
    app.command()(attest)
    app.command("verify-attestation")(verify_attestation)
    app.command()(sign)
    app.command("verify-model")(verify_model)
