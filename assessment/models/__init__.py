"""SQLAlchemy tables of the base package, one module per area."""

from assessment.models.accounts import Account, AccountScope, Role, ThrottleCounter
from assessment.models.audit import AuditEntry
from assessment.models.org import Appointment, Cadre, Post, Unit, UnitKind
from assessment.models.periods import Period
from assessment.models.rulebooks import RulebookVersion

__all__ = [
    "Account",
    "AccountScope",
    "Appointment",
    "AuditEntry",
    "Cadre",
    "Period",
    "Post",
    "Role",
    "RulebookVersion",
    "ThrottleCounter",
    "Unit",
    "UnitKind",
]
