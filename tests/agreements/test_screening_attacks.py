"""Red-team attacks on restricted-party screening (issue 15): names written to slip past the
matcher that a reasonable screener still catches, hostile list files, and list or party names
that are spreadsheet formulas in the CSV outputs."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from hallmark import Vault, services
from hallmark.errors import HallmarkError

from .conftest import ACTOR, DUA, World, add_agreement, add_party

LIST = ("name,country,source\n"
        "Huawei Technologies Co. Ltd.,CN,Entity List\n"
        "Rostec,RU,SDN\n"
        "Sberbank,RU,SDN\n")


def _import(vault: Vault, data: str | bytes, name: str = "list.csv") -> None:
    path = vault.root / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    services.screening.import_list(vault, path, actor=ACTOR)


def _best(vault: Vault, party: str) -> int:
    report = services.screening.check(vault, party, threshold=1)
    hits = report.parties[0].hits
    return max((h.score for h in hits), default=0)


@pytest.mark.parametrize(("name", "listed"), [
    ("Huаwei Technologies", "huawei"),          # Cyrillic а inside a Latin word
    ("Rоstес", "rostec"),                       # three Cyrillic look-alikes
    ("ΗUΑWΕΙ", "huawei"),                       # Greek capitals
    ("Technologies Huawei", "huawei"),          # reordered
    ("Huawei Technologies Holdings Limited LLC GmbH", "huawei"),  # piled-up legal forms
    ("HUAWEI TECHNOLOGIES CO., LTD", "huawei"),
    ("Ｈｕａｗｅｉ Technologies", "huawei"),      # full-width letters
    ("Hu-a-wei Technologies", "huawei"),
])
def test_evasive_party_names_still_hit(vault: Vault, name: str, listed: str) -> None:
    # gap: homoglyphs (Cyrillic or Greek letters in a Latin name) and names written in
    # Cyrillic scored far below the threshold ("Rоstес" 50, "Huawеi" 83, "Сбербанк" 0)
    _import(vault, LIST)
    add_party(vault, name, "organisation", role="partner")
    report = services.screening.check(vault, name)
    hits = report.parties[0].hits
    assert hits, f"{name!r} was not caught"
    assert listed in hits[0].matched_name.lower().replace(" ", "")


def test_a_list_entry_in_cyrillic_meets_the_latin_party_name(vault: Vault) -> None:
    # party names are Latin (their ids are slugs); lists name entities in their own script
    _import(vault, "name,country\nСбербанк,RU\nРОСТЕХ,RU\n")
    add_party(vault, "Sberbank", "organisation", role="partner")
    add_party(vault, "Rostekh", "organisation", role="partner")
    assert _best(vault, "Sberbank") == 100
    assert _best(vault, "Rostekh") == 100


def test_invisible_characters_in_a_list_entry_do_not_hide_it(vault: Vault) -> None:
    _import(vault, "name,country\nHua\u200bwei Tech\u00adnologies,CN\nR\u200dos\u2060tec,RU\n")
    add_party(vault, "Huawei Technologies", "organisation", role="partner")
    add_party(vault, "Rostec", "organisation", role="partner")
    assert _best(vault, "Huawei Technologies") == 100
    assert _best(vault, "Rostec") == 100


def test_look_alike_folding_does_not_invent_hits(vault: Vault) -> None:
    _import(vault, LIST + "Газпром,RU,SDN\nАэрофлот,RU,SDN\n")
    for name in ("Rostelecom", "Air China", "Sbarro", "Gazelle Optics"):
        add_party(vault, name, "organisation", role="partner")
        assert _best(vault, name) < 85, name


def test_a_bom_crlf_and_mixed_newlines_are_read(vault: Vault) -> None:
    _import(vault, b"\xef\xbb\xbfname,country\r\nHuawei Technologies,CN\nRostec,RU\r\n")
    add_party(vault, "Rostec", "organisation", role="partner")
    report = services.screening.check(vault, "Rostec")
    assert report.parties[0].hits[0].entry.country == "RU"


def test_a_fifo_or_a_device_is_not_read_as_a_list(vault: Vault, tmp_path: Path) -> None:
    size = services.ledger.status(vault).size
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(HallmarkError) as caught:
            services.screening.import_list(vault, path, actor=ACTOR)
        assert caught.value.field == "file"
    assert services.ledger.status(vault).size == size


FORMULA = "=cmd|' -C calc'!A0"


def test_a_formula_name_is_data_in_json_and_inert_in_csv(world: World, cli) -> None:
    # gap: party names and agreement titles went into `raci --csv` and `ownership --csv` as
    # they were, so a spreadsheet opening the file ran "=cmd|..." as a formula
    _import(world.vault, f'name,country\n"{FORMULA}",CN\n')
    add_party(world.vault, FORMULA, "organisation", role="partner")
    add_party(world.vault, "+Ann Lee", "person", member_of="Acme AI")
    report = json.loads(cli("screening", "check", "--json").stdout)
    hit = next(p for p in report["parties"] if p["name"] == FORMULA)["hits"][0]
    assert hit["matched_name"] == FORMULA  # JSON carries the data as it is
    titled = DUA.replace("title: Data-use agreement with CloudCo", f'title: "{FORMULA}"')
    add_agreement(world.vault, world.write("dua.yaml", titled))
    services.raci.plan(world.vault, "dua-cloudco", responsible="+Ann Lee",
                       accountable="+Ann Lee", every="90d", actor=ACTOR)
    services.inventory.set_fields(world.vault, world.dataset, owner="@SUM(1+1)", actor=ACTOR)
    for args in (("raci", "--csv"), ("ownership", "--csv")):
        done = cli(*args)
        assert done.exit_code == 0, done
        cells = [c for row in csv.reader(io.StringIO(done.stdout)) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    raci = cli("raci", "--csv").stdout
    assert "'" + FORMULA in raci  # the party column names ids (slugs), never formulas
    assert "'@SUM(1+1)" in cli("ownership", "--csv").stdout
