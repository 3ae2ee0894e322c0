"""SQLAlchemy tables of the base package, one module per area."""

from assessment.models.accounts import Account, AccountScope, Role, ThrottleCounter
from assessment.models.audit import AuditEntry
from assessment.models.inputs import (
    ConflictDeclaration,
    Event,
    Evidence,
    QuantitativeResult,
    Rating,
)
from assessment.models.org import Appointment, Cadre, Post, Unit, UnitKind
from assessment.models.periods import Period
from assessment.models.publication import Notice, Objection
from assessment.models.records import Conversation, WorkReport
from assessment.models.reminders import Reminder
from assessment.models.results import MissingInputDecision, ResultVersion
from assessment.models.rulebooks import RulebookVersion
from assessment.models.settings import SiteSetting
from assessment.models.storage import SecretFingerprint, StoredBlob
from assessment.models.templates import RulebookTemplate, RulebookTemplateVersion

__all__ = [
    "Account",
    "AccountScope",
    "Appointment",
    "AuditEntry",
    "Cadre",
    "ConflictDeclaration",
    "Conversation",
    "Event",
    "Evidence",
    "MissingInputDecision",
    "Notice",
    "Objection",
    "Period",
    "Post",
    "QuantitativeResult",
    "Rating",
    "Reminder",
    "ResultVersion",
    "Role",
    "RulebookTemplate",
    "RulebookTemplateVersion",
    "RulebookVersion",
    "SecretFingerprint",
    "SiteSetting",
    "StoredBlob",
    "ThrottleCounter",
    "Unit",
    "UnitKind",
    "WorkReport",
]
