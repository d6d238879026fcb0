"""Every schema the services return, the CLI prints with --json and the API serves; one module
per noun, all re-exported here.

Names load on first use: `from hallmark.schemas import Asset` imports only the inventory
module (and pydantic), not every noun. `_WHERE` names each export's module; a test checks it
against the modules' own `__all__`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hallmark.schemas.access import *  # noqa: F403
    from hallmark.schemas.acknowledgements import *  # noqa: F403
    from hallmark.schemas.agreements import *  # noqa: F403
    from hallmark.schemas.audit import *  # noqa: F403
    from hallmark.schemas.base import *  # noqa: F403
    from hallmark.schemas.checklist import *  # noqa: F403
    from hallmark.schemas.closeouts import *  # noqa: F403
    from hallmark.schemas.deadlines import *  # noqa: F403
    from hallmark.schemas.deidentify import *  # noqa: F403
    from hallmark.schemas.evidence import *  # noqa: F403
    from hallmark.schemas.incidents import *  # noqa: F403
    from hallmark.schemas.inventions import *  # noqa: F403
    from hallmark.schemas.inventory import *  # noqa: F403
    from hallmark.schemas.ledger import *  # noqa: F403
    from hallmark.schemas.parties import *  # noqa: F403
    from hallmark.schemas.raci import *  # noqa: F403
    from hallmark.schemas.reports import *  # noqa: F403
    from hallmark.schemas.review import *  # noqa: F403
    from hallmark.schemas.screening import *  # noqa: F403
    from hallmark.schemas.shares import *  # noqa: F403
    from hallmark.schemas.tokens import *  # noqa: F403
    from hallmark.schemas.traces import *  # noqa: F403
    from hallmark.schemas.trademarks import *  # noqa: F403

# module -> the names it exports (its __all__)
_EXPORTS: dict[str, tuple[str, ...]] = {
    "base": (
        "Record",
    ),
    "inventory": (
        "Asset", "AssetList", "LineageRemoved", "ScanProblem", "ScanResult",
    ),
    "audit": (
        "AuditRecorded", "AuditReport", "Finding",
    ),
    "ledger": (
        "ConsistencyProof", "InclusionProof", "LedgerStatus", "LedgerTimestamp", "LogEntry",
        "LogVerification", "PublicKey", "SignedCheckpoint", "StatusTimestamp", "WitnessResult",
    ),
    "evidence": (
        "Attestation", "AttestationCheck", "BundleCheck", "BundleCheckEvent", "BundleCheckFile",
        "BundleCheckTimestamp", "BundleEvent", "EvidenceBundle", "ModelCheck", "ModelSignature",
    ),
    "parties": (
        "Party", "PartyRow", "PartyList", "PartyAgreement", "Diligence", "PartyReport",
    ),
    "agreements": (
        "AgreementTerms", "PermittedUse", "OwnershipTerm", "RenewalTerms", "BreachTerms",
        "ExportLicence", "Agreement",
        "AgreementRow", "AgreementList", "AgreementVersion", "MissingRequired", "ReviewedRisk",
        "AgreementReview", "AgreementDetail", "OwnershipRow", "FutureTerm", "OwnershipConflict",
        "OwnershipMatrix",
    ),
    "access": (
        "AccessQuery", "AccessEcho", "AccessDecision", "AccessDecisions",
    ),
    "deadlines": (
        "Deadline", "DeadlineList",
    ),
    "inventions": (
        "Filing", "Invention", "InventionList", "Publication", "PublishedDisclosure",
    ),
    "trademarks": (
        "Trademark", "TrademarkList",
    ),
    "checklist": (
        "ChecklistStep", "Checklist",
    ),
    "review": (
        "ClauseEvidence", "ClauseResult", "MissingClause", "ReviewRisk", "ReviewReport",
        "ClauseType",
    ),
    "shares": (
        "ShareOptions", "ShareRecord", "ShareResult",
    ),
    "traces": (
        "Candidate", "TraceResult",
    ),
    "reports": (
        "BomWritten",
    ),
    "incidents": (
        "BreachedClause", "Incident", "IncidentAccusation", "IncidentFile", "IncidentList",
        "IncidentStep", "Notice", "CaseFile",
    ),
    "screening": (
        "ScreeningImport", "ScreeningEntry", "ScreeningHit", "PartyScreening", "ScreeningReport",
    ),
    "closeouts": (
        "Disposition", "DispositionList", "CloseOutParty", "CloseOutShare", "CloseOutTrace",
        "CloseOutIncident", "Obligation", "CloseOutToken", "CloseOutReport", "CloseOut",
    ),
    "raci": (
        "Raci", "HeldReview", "ReviewPlan", "RaciChart",
    ),
    "acknowledgements": (
        "Acknowledgement", "AcknowledgementResult", "MissingAcknowledgement",
        "AcknowledgementList",
    ),
    "deidentify": (
        "DeidentifyOptions", "Deidentified", "PseudonymisedColumn", "GeneralisedColumn",
    ),
    "tokens": (
        "TokenRecord", "TokenCreated", "TokenList", "Principal",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
_MODULES = frozenset(_EXPORTS)

__all__ = [name for names in _EXPORTS.values() for name in names]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"hallmark.schemas.{name}")
    if name in _WHERE:
        value = getattr(importlib.import_module(f"hallmark.schemas.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hallmark.schemas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_MODULES})
