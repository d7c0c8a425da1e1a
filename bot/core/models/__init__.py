"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from bot.core.models.base import utcnow
from bot.core.models.broadcast import (
    BroadcastDelivery,
    BroadcastJob,
    DeliveryStatus,
    JobKind,
    JobStatus,
    RegistrationStart,
)
from bot.core.models.delegation import Delegation
from bot.core.models.dialog_state import DialogState
from bot.core.models.form import FormQuestion
from bot.core.models.processed_update import ProcessedUpdate
from bot.core.models.question import Question, QuestionReply, QuestionStatus
from bot.core.models.registration import Gender, Registration, RegistrationStatus
from bot.core.models.staff import AuditEntry, StaffMember
from bot.core.models.user import BotUser

__all__ = [
    "AuditEntry",
    "BotUser",
    "BroadcastDelivery",
    "BroadcastJob",
    "Delegation",
    "DeliveryStatus",
    "DialogState",
    "FormQuestion",
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
