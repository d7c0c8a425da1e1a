"""Check-in at the entrance: by the QR code's token or by the registration code typed by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select, update

from bot.core.db import SessionFactory
from bot.core.event import Event
from bot.core.models import Delegation, Registration
from bot.core.models.registration import ACTIVE_STATUSES
from bot.core.registration_codes import normalize_code


class CheckinOutcome(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # checked in before: when and by whom are on the registration
    INACTIVE = "inactive"  # withdrawn (or erased): not checked in


@dataclass
class Checkin:
    outcome: CheckinOutcome
    registration: Registration
    delegation: Delegation | None


class CheckinService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    async def by_token(self, token: str) -> Registration | None:
        return await self._find(Registration.checkin_token == token)

    async def by_code(self, text: str) -> Registration | None:
        code = normalize_code(text)
        return await self._find(Registration.code == code) if code else None

    async def card(self, registration_id: int) -> tuple[Registration, Delegation | None] | None:
        """A registration of this event with its delegation (what a delegate's card shows)."""
        async with self._sessions() as session:
            registration = await session.get(Registration, registration_id)
            if registration is None or registration.event_id != self.event.id:
                return None
            delegation = (
                await session.get(Delegation, registration.delegation_id)
                if registration.delegation_id
                else None
            )
        return registration, delegation

    async def _find(self, condition) -> Registration | None:
        async with self._sessions() as session:
            result = await session.exec(
                select(Registration).where(Registration.event_id == self.event.id, condition)
            )
            return result.first()

    async def check_in(self, registration_id: int, staff_id: int, now: datetime) -> Checkin:
        """Check in once: a single conditional UPDATE, so two simultaneous scans count one."""
        async with self._sessions() as session:
            result = await session.exec(
                update(Registration)
                .where(
                    col(Registration.id) == registration_id,
                    col(Registration.checked_in_at).is_(None),
                    col(Registration.status).in_(ACTIVE_STATUSES),
                )
                .values(checked_in_at=now, checked_in_by=staff_id)
            )
            await session.commit()
            registration = await session.get(Registration, registration_id)
            if registration is None:
                raise LookupError(registration_id)
            delegation = (
                await session.get(Delegation, registration.delegation_id)
                if registration.delegation_id
                else None
            )
        if result.rowcount == 1:
            outcome = CheckinOutcome.CHECKED_IN
        elif registration.status not in ACTIVE_STATUSES:
            outcome = CheckinOutcome.INACTIVE
        else:
            outcome = CheckinOutcome.ALREADY
        return Checkin(outcome, registration, delegation)
