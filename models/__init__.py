"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from models.base import utcnow
from models.broadcast import (
    BroadcastDelivery,
    BroadcastJob,
    DeliveryStatus,
    JobKind,
    JobStatus,
    RegistrationStart,
)
from models.delegation import Delegation
from models.dialog_state import DialogState
from models.processed_update import ProcessedUpdate
from models.question import Question, QuestionReply, QuestionStatus
from models.registration import Gender, Registration, RegistrationStatus
from models.staff import AuditEntry, StaffMember
from models.user import BotUser

__all__ = [
    "AuditEntry",
    "BotUser",
    "BroadcastDelivery",
    "BroadcastJob",
    "Delegation",
    "DeliveryStatus",
    "DialogState",
    "Gender",
    "JobKind",
    "JobStatus",
    "ProcessedUpdate",
    "Question",
    "QuestionReply",
    "QuestionStatus",
    "Registration",
    "RegistrationStart",
    "RegistrationStatus",
    "StaffMember",
    "utcnow",
]
