"""Restricted-party screening as a user meets it: `screening import` of the consolidated
screening list's CSV (or the generic layout) replaces the stored list and logs its digest;
`screening check` reports hits with a score; every bad file is one error naming FILE, exit 2,
and nothing stored."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hallmark import Vault, services
from hallmark.agreements import screening_csv
from hallmark.errors import InputError
from hallmark.store.tables import screening_entries

from .conftest import ACTOR

CSL_HEADER = [
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order",
    "license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
    "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
    "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
    "source_information_url", "ids",
]
EL = "Entity List (EL) - Bureau of Industry and Security"
SDN = "Specially Designated Nationals (SDN) - Treasury Department"


def csl(rows: list[dict[str, str]], header: list[str] = CSL_HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue()


ROWS = [
    {"_id": "1", "source": EL, "type": "Entity", "name": "Huawei Technologies Co., Ltd.",
     "addresses": "Bantian, Longgang District, Shenzhen, CN", "license_requirement":
     "For all items subject to the EAR", "alt_names": "Huawei; Huawei Tech Co"},
    {"_id": "2", "source": SDN, "type": "Entity", "programs": "IRAN; SDGT",
     "name": "Parsian Trading LLC", "addresses": "12 Vali Asr, Tehran, IR; Dubai, AE"},
    {"_id": "3", "source": SDN, "type": "Individual", "programs": "RUSSIA-EO14024",
     "name": "IVANOV, Sergei", "nationalities": "RU", "alt_names": "Ivanov Sergey"},
    {"_id": "4", "source": EL, "type": "Entity", "name": "Nordwind Optics GmbH",
     "addresses": "Hauptstr. 1, Berlin, Germany"},
]


def _write(vault: Vault, name: str, text: str | bytes) -> Path:
    path = vault.root / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _stored(vault: Vault) -> list[tuple[str, str, str | None]]:
    with vault.engine.connect() as conn:
        rows = conn.execute(select(screening_entries).order_by(screening_entries.c.id))
        return [(r.name, r.source, r.country) for r in rows]


def test_import_the_consolidated_list_stores_entries_and_logs_its_digest(vault: Vault,
                                                                         cli) -> None:
    text = csl(ROWS)
    path = _write(vault, "consolidated.csv", text)
    doc = json.loads(cli("screening", "import", str(path), "--json").stdout)
    sha = hashlib.sha256(text.encode()).hexdigest()
    assert doc == {"file": "consolidated.csv", "sha256": sha,
                   "layout": "consolidated-screening-list", "rows": 4, "names": 7,
                   "sources": {EL: 2, SDN: 2}, "replaced": 0, "seq": doc["seq"]}
    # The country is the address's last part (a code or a name), else the nationality.
    assert _stored(vault) == [("Huawei Technologies Co., Ltd.", EL, "CN"),
                              ("Parsian Trading LLC", SDN, "IR"),
                              ("IVANOV, Sergei", SDN, "RU"),
                              ("Nordwind Optics GmbH", EL, "DE")]
    event = services.ledger.entries(vault, "screening")[-1].to_json()
    assert event["type"] == "screening.imported"
    payload = event["payload"]
    assert payload["sha256"] == sha and payload["rows"] == 4
    assert payload["sources"] == {EL: 2, SDN: 2}
    assert "Huawei" not in json.dumps(payload)  # the digest, not the list


def test_a_new_import_replaces_the_list_in_one_step(vault: Vault, cli) -> None:
    cli("screening", "import", str(_write(vault, "a.csv", csl(ROWS))))
    path = _write(vault, "b.csv", "name,country,source,alt_names\n"
                                  "Blue Lantern Ltd,HK,My list,Blue Lantern; BL Ltd\n")
    done = cli("screening", "import", str(path))
    assert done.exit_code == 0
    assert "Imported 1 entries" in done.stdout and "replaced 4" in done.stdout
    assert _stored(vault) == [("Blue Lantern Ltd", "My list", "HK")]


def test_the_generic_layout_needs_only_names(vault: Vault) -> None:
    path = _write(vault, "names.csv", "name\nAlpha Dynamics\n\nBeta Works\n")
    found = services.screening.import_list(vault, path, actor=ACTOR)
    assert (found.layout, found.rows, found.sources) == ("generic", 2, {"names.csv": 2})


def _log_size(vault: Vault) -> int:
    return services.ledger.status(vault).size


HOSTILE = {
    "an unknown layout": ("ID,Company,Country\n1,Acme,US\n", "unknown screening list layout"),
    "no name column": ("source,programs\nx,y\n", "(no name column)"),
    "a name missing": ("name,country\nAcme,US\n,DE\n", "an entry has no name"),
    "an unknown country": ("name,country\nAcme,XX\n", "'XX' is not an ISO 3166-1"),
    "a column twice": ("name,name\na,b\n", "names column 'name' twice"),
    "only a header": ("name,country\n", "no entries"),
    "an empty file": ("", "is empty"),
    "more fields than the header": ("name,country\nAcme,US,extra,more\n", "4 fields"),
    "a NUL byte": ("name\nAc\x00me\n", "NUL byte"),
    "an unterminated quote": ('name\n"Acme\n', "not readable as CSV"),
    "too many alternative names": ("name,alt_names\nAcme," + "; ".join(
        f"n{i}" for i in range(300)) + "\n", "alternative names"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_bad_list_is_one_error_naming_the_file_and_nothing_is_stored(vault: Vault, cli,
                                                                       case: str) -> None:
    cli("screening", "import", str(_write(vault, "good.csv", csl(ROWS))))
    before, size = _stored(vault), _log_size(vault)
    text, expected = HOSTILE[case]
    done = cli("screening", "import", str(_write(vault, "bad.csv", text)))
    assert done.exit_code == 2, done
    assert done.stderr.startswith("error: FILE") and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert _stored(vault) == before and _log_size(vault) == size


def test_a_non_utf8_file_a_giant_field_and_a_missing_file_are_refused(vault: Vault) -> None:
    size = _log_size(vault)
    cases = {
        "latin1.csv": ("name\nSoci\xe9t\xe9 G\xe9n\xe9rale\n".encode("latin-1"), "not UTF-8"),
        "giant.csv": (b"name\n" + b"A" * (screening_csv.MAX_FIELD + 10) + b"\n",
                      "not readable as CSV"),
        "long-name.csv": (b"name\n" + b"A" * 2000 + b"\n", "longer than 1000"),
    }
    for name, (data, expected) in cases.items():
        with pytest.raises(InputError) as err:
            services.screening.import_list(vault, _write(vault, name, data), actor=ACTOR)
        assert err.value.field == "file" and expected in err.value.message, name
    with pytest.raises(InputError) as err:
        services.screening.import_list(vault, vault.root / "absent.csv", actor=ACTOR)
    assert err.value.field == "file"
    assert _log_size(vault) == size and _stored(vault) == []


def test_size_and_row_bounds(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening_csv, "MAX_ROWS", 5)
    rows = "name\n" + "".join(f"Entity {i}\n" for i in range(6))
    with pytest.raises(InputError, match="more than 5 entries"):
        services.screening.import_list(vault, _write(vault, "rows.csv", rows), actor=ACTOR)
    monkeypatch.setattr(screening_csv, "MAX_NAMES", 4)
    bomb = "name,alt_names\nA,b; c\nD,e; f\n"  # 6 names in 2 rows
    with pytest.raises(InputError, match="more than 4 names"):
        services.screening.import_list(vault, _write(vault, "bomb.csv", bomb), actor=ACTOR)
    monkeypatch.setattr(screening_csv, "MAX_BYTES", 100)
    with pytest.raises(InputError, match="larger than"):
        services.screening.import_list(vault, _write(vault, "big.csv", "name\n" + "x\n" * 60),
                                       actor=ACTOR)
    assert _stored(vault) == []


def _parties(vault: Vault) -> None:
    services.parties.add(vault, "Acme AI", "organisation", country="US", actor=ACTOR)
    services.parties.add(vault, "HUAWEI TECHNOLOGIES CO LTD", "organisation", country="CN",
                         actor=ACTOR)
    services.parties.add(vault, "Trading Parsian L.L.C.", "organisation", country="DE",
                         actor=ACTOR)
    services.parties.add(vault, "Sergei Ivanov", "person", actor=ACTOR)
    services.parties.add(vault, "Research", "team", member_of="Acme AI", actor=ACTOR)


def test_check_reports_hits_with_score_entry_and_confidence(vault: Vault, cli) -> None:
    cli("screening", "import", str(_write(vault, "consolidated.csv", csl(ROWS))))
    _parties(vault)
    doc = json.loads(cli("screening", "check", "--json").stdout)
    assert doc["threshold"] == 85 and doc["list_sha256"] == hashlib.sha256(
        csl(ROWS).encode()).hexdigest()
    by_party = {p["party"]: p for p in doc["parties"]}
    assert sorted(by_party) == ["acme-ai", "huawei-technologies-co-ltd", "sergei-ivanov",
                                "trading-parsian-l-l-c"]  # the team is its organisation
    assert by_party["acme-ai"]["hits"] == []
    huawei = by_party["huawei-technologies-co-ltd"]["hits"][0]
    assert huawei == {"score": 100, "matched_name": "Huawei Technologies Co., Ltd.",
                      "entry": {"name": "Huawei Technologies Co., Ltd.", "source": EL,
                                "country": "CN", "programs": None},
                      "country_match": True, "confidence": "high"}
    parsian = by_party["trading-parsian-l-l-c"]["hits"][0]
    # A different country lowers the confidence; the hit is still there.
    assert (parsian["score"], parsian["country_match"], parsian["confidence"]) == (
        100, False, "low")
    assert parsian["entry"]["programs"] == "IRAN; SDGT"
    ivanov = by_party["sergei-ivanov"]["hits"][0]
    assert ivanov["country_match"] is None and ivanov["confidence"] == "medium"
    shown = cli("screening", "check")
    assert shown.exit_code == 0 and "HUAWEI" in shown.stdout and "low" in shown.stdout


def test_check_one_party_and_the_threshold(vault: Vault, cli) -> None:
    cli("screening", "import", str(_write(vault, "consolidated.csv", csl(ROWS))))
    services.parties.add(vault, "Nordwind Optic", "organisation", actor=ACTOR)
    one = json.loads(cli("screening", "check", "Nordwind Optic", "--json").stdout)
    assert [p["party"] for p in one["parties"]] == ["nordwind-optic"]
    assert one["parties"][0]["hits"][0]["score"] >= 85
    strict = services.screening.check(vault, "nordwind-optic", threshold=100)
    assert strict.parties[0].hits == []
    done = cli("screening", "check", "--threshold", "100")
    assert done.exit_code == 0 and "No party's name scores 100 or more" in done.stdout
    for bad in (["--threshold", "0"], ["--threshold", "101"]):
        done = cli("screening", "check", *bad)
        assert done.exit_code == 2 and "--threshold" in done.stderr
    done = cli("screening", "check", "Nobody")
    assert done.exit_code == 2 and "PARTY" in done.stderr


def test_check_without_a_list_reports_no_hits(vault: Vault, cli) -> None:
    services.parties.add(vault, "Acme AI", "organisation", actor=ACTOR)
    doc = json.loads(cli("screening", "check", "--json").stdout)
    assert doc["list_sha256"] is None and doc["parties"][0]["hits"] == []
    assert "No screening list imported" in cli("screening", "check").stdout


def test_the_service_and_the_store_agree_on_the_default_threshold() -> None:
    from hallmark.agreements.screening import DEFAULT_THRESHOLD

    assert services.screening.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD == 85
