"""`scan`, `assets`, `asset show|set`, `lineage add|remove`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text

if TYPE_CHECKING:
    from hallmark.schemas import Asset

asset_app = typer.Typer(help="Show or change one asset in the register.", no_args_is_help=True)
lineage_app = typer.Typer(help="Record what an asset was made from.", no_args_is_help=True)
ASSET_COLUMNS = ["id", "kind", "path", "size", "owner", "status", "licence"]
ASSET_WRAP = ("path", "owner", "licence")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _asset_rows(items: list[Asset]) -> list[list[object]]:
    return [[a.id, a.kind, a.path, _size(a.size), a.owner or "-", a.status,
             a.effective_license or "-"] for a in items]


def scan(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files and folders to inventory."),
    exclude: list[str] = typer.Option([], "--exclude", help="Skip paths matching GLOB."),
    rehash: bool = typer.Option(False, "--rehash", help="Hash every file, even unchanged ones."),
    as_json: bool = JsonOption,
) -> None:
    """Walk PATHS, hash and read every file, register or update the assets."""
    vault = open_vault(ctx)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("hashing", total=None)
        result = services.inventory.scan(
            vault, paths, actor=vault.actor, exclude=exclude, rehash=rehash,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        emit_json(result)
        return
    console.print(table(None, ASSET_COLUMNS, _asset_rows(result.assets),
                        wrap=ASSET_WRAP))
    console.print(f"{len(result.assets)} assets: {result.new} new, {result.changed} changed, "
                  f"{result.unchanged} unchanged")
    for problem in result.problems:
        err_console.print(f"[yellow]skipped[/yellow] {safe_text(problem.path)}: "
                          f"{safe_text(problem.reason)}", highlight=False)
    console.print("Next: [bold]hallmark audit[/bold] to find the gaps.")


def list_assets(
    ctx: typer.Context,
    kind: Optional[str] = typer.Option(None, "--kind", help="model|dataset|code|document|other"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """List the asset register."""
    listing = services.inventory.list_assets(open_vault(ctx), kind)
    if as_json:
        emit_json(listing)
        return
    console.print(table(None, ASSET_COLUMNS, _asset_rows(listing.assets), wrap=ASSET_WRAP))


def _show(asset: Asset) -> None:
    rows: list[list[Any]] = [["id", asset.id], ["path", asset.path], ["kind", asset.kind],
            ["size", f"{asset.size} bytes"], ["sha256", asset.sha256], ["blake3", asset.blake3],
            ["owner", asset.owner or "-"], ["status", asset.status],
            ["class", asset.classification], ["protection", asset.protection or "-"],
            ["value", asset.value or "-"], ["licence", asset.effective_license or "-"],
            ["export control", asset.export_control or "unclassified"],
            ["first seen", asset.first_seen], ["updated", asset.updated]]
    for p in asset.parents:
        rows.append([p["relation"], p["id"]])
    for c in asset.children:
        rows.append([f"source of ({c['relation']})", c["id"]])
    console.print(table(asset.name, ["field", "value"], rows, wrap=("value",)))
    if asset.metadata:
        import json

        console.print_json(json.dumps(asset.metadata, default=str))


@asset_app.command("show")
def show(ctx: typer.Context, ref: str = typer.Argument(..., help="Asset id, prefix, name or path."),
         as_json: bool = JsonOption) -> None:
    """Show one asset with its metadata and lineage."""
    asset = services.inventory.get_asset(open_vault(ctx), ref)
    if as_json:
        emit_json(asset)
    else:
        _show(asset)


@asset_app.command("set")
def set_fields(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Asset id, prefix, name or path."),
    owner: Optional[str] = typer.Option(None, "--owner"),  # noqa: UP045
    status: Optional[str] = typer.Option(None, "--status", help="in-house|third-party|joint|unknown"),  # noqa: UP045,E501
    classification: Optional[str] = typer.Option(None, "--class", help="public|internal|confidential|trade-secret"),  # noqa: UP045,E501
    protection: Optional[str] = typer.Option(None, "--protection", help="patent|copyright|trade-secret|licence|none"),  # noqa: UP045,E501
    value: Optional[int] = typer.Option(None, "--value", help="Commercial value 1..5."),  # noqa: UP045
    license: Optional[str] = typer.Option(None, "--license", help="SPDX expression."),  # noqa: UP045
    export_control: Optional[str] = typer.Option(None, "--export-control", help="ECCN (4E091), EU dual-use entry, EAR99 or not-controlled."),  # noqa: UP045,E501
    as_json: bool = JsonOption,
) -> None:
    """Change an asset's owner, status, classification, protection, value, licence or export
    classification."""
    vault = open_vault(ctx)
    asset = services.inventory.set_fields(vault, ref, actor=vault.actor, owner=owner,
                                          status=status, classification=classification,
                                          protection=protection, value=value, license=license,
                                          export_control=export_control)
    if as_json:
        emit_json(asset)
    else:
        console.print(f"Updated [bold]{asset.id}[/bold] ({safe_text(asset.path)})")


@lineage_app.command("add")
def lineage_add(
    ctx: typer.Context,
    child: str = typer.Argument(..., help="The asset that was made."),
    parent: str = typer.Option(..., "--from", help="What it was made from."),
    relation: str = typer.Option(..., "--relation",
                                 help="trained-on|fine-tuned-from|derived-from|contains"),
    as_json: bool = JsonOption,
) -> None:
    """Record that CHILD was trained on / fine-tuned from / derived from / contains PARENT."""
    vault = open_vault(ctx)
    asset = services.inventory.add_lineage(vault, child, parent, relation, actor=vault.actor)
    if as_json:
        emit_json(asset)
    else:
        console.print(f"{asset.id} {relation} {services.inventory.resolve(vault, parent)}")


@lineage_app.command("remove")
def lineage_remove(ctx: typer.Context, child: str = typer.Argument(...),
                   parent: str = typer.Option(..., "--from")) -> None:
    """Remove the lineage from CHILD to PARENT."""
    vault = open_vault(ctx)
    services.inventory.remove_lineage(vault, child, parent, actor=vault.actor)
    console.print("removed")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(scan)
    app.command("assets")(list_assets)
    app.add_typer(asset_app, name="asset")
    app.add_typer(lineage_app, name="lineage")

