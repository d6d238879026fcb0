"""Due diligence on a partner: a questionnaire shipped as YAML, answers with evidence, and a
documented weighted rubric that turns them into a 0-100 risk score with a reason per item."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select

from hallmark.agreements.parties import Party, resolve_party
from hallmark.agreements.yamlsrc import Source, load_text, shown
from hallmark.errors import InputError
from hallmark.schemas.parties import Diligence as Diligence  # re-exported
from hallmark.store.clock import utcnow
from hallmark.store.tables import diligence

if TYPE_CHECKING:
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

QUESTIONNAIRE = Path(__file__).parent / "data" / "diligence.yaml"
MAX_EVIDENCE = 2000


@dataclass(frozen=True)
class Item:
    """One question of the questionnaire."""

    id: str
    question: str
    weight: int
    answers: dict[str, int]


@dataclass(frozen=True)
class Questionnaire:
    """The questionnaire and its rubric."""

    items: tuple[Item, ...]
    bands: dict[str, int]
    unknown_without_evidence: frozenset[str]


@cache
def questionnaire() -> Questionnaire:
    """The shipped questionnaire (validated once)."""
    data = load_text(QUESTIONNAIRE.read_text(), QUESTIONNAIRE.name).data
    items = tuple(Item(i["id"], i["question"], int(i["weight"]),
                       {str(k): int(v) for k, v in i["answers"].items()}) for i in data["items"])
    if sum(i.weight for i in items) != 100:
        raise ValueError("questionnaire weights must add up to 100")
    if any("unknown" not in i.answers for i in items):
        raise ValueError("every questionnaire item needs an `unknown` answer")
    return Questionnaire(items, {str(k): int(v) for k, v in data["bands"].items()},
                         frozenset(data["unknown_without_evidence"]))


def rating_of(score: int, bands: dict[str, int] | None = None) -> str:
    """low / medium / high for a 0-100 score."""
    bands = bands or questionnaire().bands
    return max((floor, name) for name, floor in bands.items() if score >= floor)[1]


def score_answers(answers: dict[str, dict[str, Any]]) -> tuple[int, str, list[dict[str, Any]]]:
    """(score, rating, per-item rows) for validated answers {item: {answer, evidence?}}."""
    q = questionnaire()
    rows, weighted = [], 0
    for item in q.items:
        given = answers.get(item.id)
        answer = given["answer"] if given else None
        evidence = (given or {}).get("evidence")
        if answer is None:
            used, why = "unknown", "not answered: scored as unknown"
        elif answer in q.unknown_without_evidence and not evidence:
            used, why = "unknown", f"{answer!r} without evidence: scored as unknown"
        else:
            used, why = answer, f"answered {answer!r}" + (" with evidence" if evidence else "")
        risk = item.answers[used]
        weighted += risk * item.weight
        rows.append({"item": item.id, "question": item.question, "answer": answer,
                     "evidence": evidence, "scored_as": used, "risk": risk,
                     "weight": item.weight, "points": f"{risk * item.weight / 100:g}",
                     "reason": f"{why}: risk {risk} x weight {item.weight}"})
    score = (weighted + 50) // 100  # weights add up to 100: integer round half up
    return score, rating_of(score, q.bands), rows


def parse_answers(source: Source) -> dict[str, dict[str, Any]]:
    """Validate an answers file: `answers: {item: {answer, evidence?, notes?}}`."""
    data = source.data
    if not isinstance(data, dict):
        raise source.error((), "an answers file is a mapping with an `answers` key")
    for key in data:
        if key not in ("answers", "party", "reviewer", "date"):
            raise source.error((key,), "unknown key")
    answers = data.get("answers")
    if not isinstance(answers, dict) or not answers:
        raise source.error(("answers",), "expected a mapping of item ids to answers")
    items = {i.id: i for i in questionnaire().items}
    result: dict[str, dict[str, Any]] = {}
    for item_id, given in answers.items():
        loc = ("answers", item_id)
        if item_id not in items:
            raise source.error(loc, f"unknown item (one of {', '.join(items)})")
        if isinstance(given, str):
            given = {"answer": given}
        if not isinstance(given, dict):
            raise source.error(loc, "expected {answer: ..., evidence: ...}")
        for key, value in given.items():
            if key not in ("answer", "evidence", "notes"):
                raise source.error((*loc, key), "unknown key")
            if not isinstance(value, str) or len(value) > MAX_EVIDENCE:
                raise source.error((*loc, key), f"expected text of at most {MAX_EVIDENCE} "
                                                "characters")
        if given.get("answer") not in items[item_id].answers:
            got = shown(given.get("answer"))
            raise source.error((*loc, "answer"), "answer must be one of "
                               f"{', '.join(items[item_id].answers)} (got {got})")
        result[item_id] = {k: v.strip() for k, v in given.items()}
    return result


def insert_diligence(txn: Txn, blobs: BlobStore, party_ref: str,
                     source: Source) -> Diligence:
    """Score a parsed answers file and record it (the file kept by digest) for a party."""
    answers = parse_answers(source)
    score, rating, rows = score_answers(answers)
    party = resolve_party(txn.conn, party_ref)
    if party.kind == "team":
        raise InputError("due diligence is recorded for an organisation or person, "
                         f"not a team ({party.name})", field="name")
    version = (txn.conn.execute(select(func.max(diligence.c.version))
                                .where(diligence.c.party == party.id)).scalar() or 0) + 1
    digest = blobs.put(source.raw)
    record = Diligence(party=party.id, version=version, score=score, rating=rating, items=rows,
                       source_sha256=digest, recorded=utcnow())
    txn.conn.execute(insert(diligence).values(
        party=party.id, version=version, answers=json.dumps(rows), score=score,
        rating=rating, source_sha256=digest, recorded=record.recorded))
    txn.log.append("party.diligence", {"party": party.id, "version": version,
                                       "score": score, "rating": rating,
                                       "source_sha256": digest}, [party.id])
    return record


def latest_diligence(conn: Connection) -> dict[str, Diligence]:
    """The newest review of every party that has one, by party id."""
    latest: dict[str, Diligence] = {}
    for r in conn.execute(select(diligence).order_by(diligence.c.party, diligence.c.version)):
        latest[r.party] = Diligence(party=r.party, version=r.version, score=r.score,
                                    rating=r.rating, items=json.loads(r.answers),
                                    source_sha256=r.source_sha256, recorded=r.recorded)
    return latest


def diligence_of(conn: Connection, party: Party) -> Diligence | None:
    """The newest review of one party."""
    return latest_diligence(conn).get(party.id)
