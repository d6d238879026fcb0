"""`ledger ...`, `evidence`, `verify-bundle`, `attest`, `verify-attestation`, `sign`,
`verify-model`, `keys public`: prove what the vault recorded, to anyone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import rich.markup
import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text

ledger_app = typer.Typer(help="The vault's append-only Merkle log and its checkpoints.",
                         no_args_is_help=True)
keys_app = typer.Typer(help="The vault's public keys.", no_args_is_help=True)
OutOption = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout.")


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {rich.markup.escape(message)}", highlight=False)
    raise typer.Exit(1)


# -- ledger ---------------------------------------------------------------------------------------

@ledger_app.command()
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Size, root and latest checkpoint of the log."""
    found = services.ledger.status(open_vault(ctx))
    if as_json:
        emit_json(found)
        return
    doc = found.to_json()
    rows = [[k, v if not isinstance(v, dict) else json.dumps(v)] for k, v in doc.items()]
    console.print(table("ledger", ["field", "value"], rows))


@ledger_app.command()
def show(ctx: typer.Context, n: int = typer.Argument(..., help="Entry number (0-based)."),
         as_json: bool = JsonOption) -> None:
    """Print entry N of the log."""
    found = services.ledger.entry(open_vault(ctx), n)
    if as_json:
        emit_json(found)
        return
    doc = found.to_json()
    console.print(table(f"entry {n}", ["field", "value"],
                        [[k, json.dumps(v) if isinstance(v, dict | list) else v]
                         for k, v in doc.items()]))


@ledger_app.command()
def prove(ctx: typer.Context, n: int = typer.Argument(..., help="Entry number (0-based)."),
          as_json: bool = JsonOption) -> None:
    """Inclusion proof of entry N in the latest checkpoint."""
    proof = services.ledger.prove(open_vault(ctx), n)
    if as_json:
        emit_json(proof)
        return
    console.print(f"entry {n} is in the log of size {proof.tree_size} (root {proof.root})")
    console.print(table("audit path (leaf side first)", ["#", "hash"],
                        [[i, h] for i, h in enumerate(proof.hashes)]))


@ledger_app.command()
def consistency(ctx: typer.Context,
                old: Path = typer.Argument(..., help="A checkpoint saved earlier."),
                as_json: bool = JsonOption) -> None:
    """Prove the log today extends the one in OLD (exit 1 if history was rewritten)."""
    proof = services.ledger.consistency(open_vault(ctx), old)
    if as_json:
        emit_json(proof)
        return
    console.print(f"consistent: the log of size {proof.new_size} extends the checkpoint of "
                  f"size {proof.old_size} ({len(proof.hashes)} proof hashes)")


@ledger_app.command()
def checkpoint(ctx: typer.Context, output: Optional[Path] = OutOption) -> None:  # noqa: UP045
    """Print or save the latest signed checkpoint."""
    cp = services.ledger.checkpoint(open_vault(ctx), output)
    if output is None:
        typer.echo(cp.note, nl=False)
    else:
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
    report = services.ledger.verify(open_vault(ctx), witness_files=list(witness_files or []),
                                    cosigner_key=cosigner_key, tsa_root=tsa_root)
    if as_json:
        emit_json(report)
    else:
        console.print(f"{report.size} entries, {report.nodes_checked} nodes, "
                      f"{report.checkpoints_checked} checkpoints, {report.subjects_checked} "
                      f"subject links and {report.witnessed_checked} witnessed checkpoints "
                      f"checked in {report.seconds:.2f} s")
    if not report.ok:
        _fail(f"log verification failed: {report.problem}")
    if not as_json:
        console.print(f"[green]ok[/green] root {report.root}")
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
    vault = open_vault(ctx)
    doc = services.ledger.witness(vault, to, actor=vault.actor, cosigner=cosigner, tsa=tsa,
                                  tsa_root=tsa_root)
    if as_json:
        emit_json(doc)
        return
    extra = (" cosigned by " + doc.cosigner.split("+")[0] if doc.cosigner else "") + (
        ", time-stamped" if doc.timestamped else "")
    console.print(f"checkpoint of size {doc.size}{extra} appended to {to} (consistent with "
                  f"{doc.previously_witnessed} earlier record(s))", highlight=False,
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
    vault = open_vault(ctx)
    doc = services.ledger.timestamp(vault, tsa, actor=vault.actor, tsa_root=tsa_root)
    if as_json:
        emit_json(doc)
        return
    console.print(f"checkpoint of size {doc.checkpoint_size} time-stamped at "
                  f"{doc.gen_time} by {tsa}")
    if not doc.pinned:
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
    manifest = services.evidence.write_bundle(open_vault(ctx), subject, output)
    if as_json:
        emit_json(manifest)
        return
    console.print(f"{len(manifest.events)} events of {manifest.subject} with proofs against "
                  f"the checkpoint of size {manifest.tree_size} written to {output}")


def verify_bundle(
    file: Path = typer.Argument(..., help="The evidence .zip."),
    key: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--key", help="Pin the vault's key: a verifier-key line or a PEM public key."),
    tsa_root: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--tsa-root", help="PEM root certificate(s) trusted for the time-stamp."),
    as_json: bool = JsonOption,
) -> None:
    """Check an evidence bundle with no vault (exit 0 valid, 1 invalid)."""
    report = services.evidence.verify_bundle(file, key=key, tsa_root=tsa_root)
    if as_json:
        emit_json(report)
    elif report.ok:
        what = "case file" if report.files or report.format == "hallmark-case/1" else "bundle"
        console.print(table(f"{what} for {report.subject}", ["entry", "type", "time"],
                            [[e.seq, e.type, e.time] for e in report.events]))
        console.print(f"[green]valid[/green]: {len(report.events)} entries prove into the "
                      f"checkpoint of size {report.tree_size} signed by {report.verifier_key}")
        if report.files:
            console.print(f"{len(report.files)} files match the digests their entries logged "
                          f"({', '.join(sorted({f.kind for f in report.files}))})")
        if report.timestamp:
            console.print(f"time-stamped: the first {report.timestamp.checkpoint_size} entries "
                          f"existed by {report.timestamp.gen_time}")
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
    vault = open_vault(ctx)
    doc = services.evidence.attest(vault, asset, output, actor=vault.actor)
    if as_json:
        emit_json(doc)
        return
    console.print(f"attestation for {doc.asset} written to {output}")


def verify_attestation(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A DSSE envelope written by `hallmark attest`."),
    key: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--key", help="The signer's key (verifier-key line or PEM); default: this vault's."),
    as_json: bool = JsonOption,
) -> None:
    """Check an attestation's signature and statement (exit 1 if it does not verify)."""
    doc = services.evidence.verify_attestation(None if key else open_vault(ctx), file, key=key)
    if as_json:
        emit_json(doc)
        return
    for subject in doc.subjects:
        console.print(f"[green]verified[/green] {safe_text(subject['name'])} sha256:"
                      f"{subject['digest']['sha256']}")


def sign(
    ctx: typer.Context,
    model: Path = typer.Argument(..., help="A model file or folder."),
    output: Path = typer.Option(..., "-o", "--output", help="The signature file to write."),
    as_json: bool = JsonOption,
) -> None:
    """Sign a model in the OpenSSF Model Signing format with the vault's P-256 key."""
    vault = open_vault(ctx)
    doc = services.evidence.sign_model(vault, model, output, actor=vault.actor)
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
    doc = services.evidence.verify_model(None if key else open_vault(ctx), model, signature,
                                         key=key)
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
    found = services.ledger.public_key(open_vault(ctx),
                                       "oms" if oms else "pem" if pem else "verifier-key", output)
    if output is None:
        typer.echo(found.text, nl=False)
    else:
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
