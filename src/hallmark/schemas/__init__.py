"""Every schema the services return, the CLI prints with --json and the API serves; one module
per noun, all re-exported here."""

from hallmark.schemas import (
    access,
    agreements,
    audit,
    base,
    checklist,
    deadlines,
    evidence,
    inventions,
    inventory,
    ledger,
    parties,
    reports,
    review,
    shares,
    traces,
)
from hallmark.schemas.access import *  # noqa: F403
from hallmark.schemas.agreements import *  # noqa: F403
from hallmark.schemas.audit import *  # noqa: F403
from hallmark.schemas.base import *  # noqa: F403
from hallmark.schemas.checklist import *  # noqa: F403
from hallmark.schemas.deadlines import *  # noqa: F403
from hallmark.schemas.evidence import *  # noqa: F403
from hallmark.schemas.inventions import *  # noqa: F403
from hallmark.schemas.inventory import *  # noqa: F403
from hallmark.schemas.ledger import *  # noqa: F403
from hallmark.schemas.parties import *  # noqa: F403
from hallmark.schemas.reports import *  # noqa: F403
from hallmark.schemas.review import *  # noqa: F403
from hallmark.schemas.shares import *  # noqa: F403
from hallmark.schemas.traces import *  # noqa: F403

__all__ = [
    *base.__all__,
    *inventory.__all__,
    *audit.__all__,
    *ledger.__all__,
    *evidence.__all__,
    *parties.__all__,
    *agreements.__all__,
    *access.__all__,
    *deadlines.__all__,
    *inventions.__all__,
    *checklist.__all__,
    *review.__all__,
    *shares.__all__,
    *traces.__all__,
    *reports.__all__,
]
