"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from models.base import utcnow
from models.dialog_state import DialogState
from models.registration import Gender, Registration, RegistrationStatus
from models.staff import AuditEntry, StaffMember
from models.user import BotUser

__all__ = [
    "AuditEntry",
    "BotUser",
    "DialogState",
    "Gender",
    "Registration",
    "RegistrationStatus",
    "StaffMember",
    "utcnow",
]
