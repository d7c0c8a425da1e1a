"""Delegations: invitation links, membership, the head, and the balance between women and men.

Membership rules:
- A delegate joins by registering through the delegation's link (`/start inv_<token>`), or by
  opening it once registered. `max_size` counts active members (registered or pending).
- The head is the member designated by staff; without one (or once they withdraw), the earliest
  active member.
- Gender balance (`gender_balance` in the event file) compares the women and the men among the
  active members; a delegation is balanced while they differ by at most BALANCE_TOLERANCE (one,
  so that delegations of odd size can be balanced). Members of another gender, or who prefer not
  to say, never count against the balance.
- With `require`, a member whose joining would take the confirmed members (status registered)
  beyond the tolerance is kept pending (`held_for_balance`); each later join confirms the
  earliest held members as soon as the balance allows. Nobody confirmed is ever set back to
  pending, and a registration pending for another reason (after the deadline) is left alone.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import col, select

from bot.core.db import SessionFactory
from bot.core.event import Event, GenderBalancePolicy
from bot.core.models import Delegation, Gender, Registration, RegistrationStatus
from bot.core.models.registration import ACTIVE_STATUSES

BALANCE_TOLERANCE = 1
MAX_SIZE_LIMIT = 500


def new_invite_token() -> str:
    # 128 bits in 22 URL-safe characters: `inv_<token>` fits Telegram's 64-character payload.
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Balance:
    women: int = 0
    men: int = 0
    others: int = 0

    @property
    def balanced(self) -> bool:
        return abs(self.women - self.men) <= BALANCE_TOLERANCE

    def adding(self, gender: str) -> Balance:
        if gender == Gender.WOMAN:
            return Balance(self.women + 1, self.men, self.others)
        if gender == Gender.MAN:
            return Balance(self.women, self.men + 1, self.others)
        return Balance(self.women, self.men, self.others + 1)

    @classmethod
    def of(cls, members: list[Registration]) -> Balance:
        balance = cls()
        for member in members:
            balance = balance.adding(member.gender)
        return balance


@dataclass
class Roster:
    delegation: Delegation
    members: list[Registration]  # active, in the order they joined
    head: Registration | None

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def balance(self) -> Balance:
        return Balance.of(self.members)

    @property
    def held(self) -> int:
        return sum(member.held_for_balance for member in self.members)

    @property
    def full(self) -> bool:
        return self.delegation.max_size is not None and self.size >= self.delegation.max_size


@dataclass
class DelegationSummary:
    delegation: Delegation
    size: int
    balance: Balance


class JoinOutcome(StrEnum):
    JOINED = "joined"
    HELD = "held"  # joined, pending until the delegation is balanced
    FULL = "full"
    GONE = "gone"  # the delegation or the registration no longer exists


@dataclass
class Membership:
    outcome: JoinOutcome
    registration: Registration | None
    roster: Roster | None = None
    promoted: list[Registration] = field(default_factory=list)


def _head(members: list[Registration]) -> Registration | None:
    return next((member for member in members if member.delegation_head), members[0] if members else None)


class DelegationService:
    def __init__(self, sessions: SessionFactory, event: Event):
        self._sessions = sessions
        self.event = event

    async def create(
        self, party: str, country: str, max_size: int | None, created_by: int, now: datetime
    ) -> Delegation:
        delegation = Delegation(
            event_id=self.event.id,
            party=party,
            country=country,
            max_size=max_size,
            token=new_invite_token(),
            created_by=created_by,
            created_at=now,
        )
        async with self._sessions() as session:
            session.add(delegation)
            await session.commit()
            await session.refresh(delegation)
        return delegation

    async def get(self, delegation_id: int) -> Delegation | None:
        async with self._sessions() as session:
            delegation = await session.get(Delegation, delegation_id)
        return delegation if delegation is not None and delegation.event_id == self.event.id else None

    async def by_token(self, token: str) -> Delegation | None:
        async with self._sessions() as session:
            result = await session.exec(
                select(Delegation).where(Delegation.token == token, Delegation.event_id == self.event.id)
            )
            return result.first()

    async def roster(self, delegation_id: int) -> Roster | None:
        async with self._sessions() as session:
            delegation = await session.get(Delegation, delegation_id)
            if delegation is None or delegation.event_id != self.event.id:
                return None
            members = await self._members(session, delegation_id)
        return Roster(delegation, members, _head(members))

    @staticmethod
    async def _members(session, delegation_id: int) -> list[Registration]:
        result = await session.exec(
            select(Registration)
            .where(
                Registration.delegation_id == delegation_id,
                col(Registration.status).in_(ACTIVE_STATUSES),
            )
            .order_by(col(Registration.id))
        )
        return list(result.all())

    async def roster_of_member(self, user_id: int) -> tuple[Registration, Roster] | None:
        """The user's active registration and its delegation, when they belong to one."""
        async with self._sessions() as session:
            result = await session.exec(
                select(Registration).where(
                    Registration.event_id == self.event.id,
                    Registration.user_id == user_id,
                    col(Registration.status).in_(ACTIVE_STATUSES),
                    col(Registration.delegation_id).is_not(None),
                )
            )
            registration = result.first()
        if registration is None:
            return None
        roster = await self.roster(registration.delegation_id)
        return (registration, roster) if roster is not None else None

    async def summaries(self) -> list[DelegationSummary]:
        """Every delegation of the event with its size and balance (one GROUP BY query)."""
        async with self._sessions() as session:
            delegations = (
                await session.exec(
                    select(Delegation)
                    .where(Delegation.event_id == self.event.id)
                    .order_by(col(Delegation.country), col(Delegation.party), col(Delegation.id))
                )
            ).all()
            counts = await session.exec(
                select(Registration.delegation_id, Registration.gender, func.count())
                .where(
                    Registration.event_id == self.event.id,
                    col(Registration.delegation_id).is_not(None),
                    col(Registration.status).in_(ACTIVE_STATUSES),
                )
                .group_by(Registration.delegation_id, Registration.gender)
            )
            by_delegation: dict[int, dict[str, int]] = defaultdict(dict)
            for delegation_id, gender, count in counts.all():
                by_delegation[delegation_id][gender] = count
        summaries = []
        for delegation in delegations:
            genders = by_delegation.get(delegation.id, {})
            balance = Balance(
                women=genders.get(Gender.WOMAN, 0),
                men=genders.get(Gender.MAN, 0),
                others=sum(n for g, n in genders.items() if g not in (Gender.WOMAN, Gender.MAN)),
            )
            summaries.append(DelegationSummary(delegation, sum(genders.values()), balance))
        return summaries

    async def join(self, registration_id: int, delegation_id: int) -> Membership:
        """Place a registration in a delegation as a newcomer: size limit, then balance.

        Concurrent joins are serialised: the delegation row is locked on PostgreSQL, and on SQLite
        the first write takes the database's write lock; members are counted after that write.
        """
        policy = self.event.gender_balance
        async with self._sessions() as session:
            delegation = (
                await session.exec(select(Delegation).where(Delegation.id == delegation_id).with_for_update())
            ).first()
            registration = await session.get(Registration, registration_id)
            if (
                delegation is None
                or delegation.event_id != self.event.id
                or registration is None
                or registration.status not in ACTIVE_STATUSES
            ):
                return Membership(JoinOutcome.GONE, registration)
            if registration.delegation_id != delegation.id:
                registration.delegation_head = False
            registration.delegation_id = delegation.id
            # A flag left from before a withdrawal: the status was just set again by registering.
            registration.held_for_balance = False
            session.add(registration)
            await session.flush()
            members = await self._members(session, delegation.id)
            others = [member for member in members if member.id != registration.id]
            if delegation.max_size is not None and len(others) >= delegation.max_size:
                registration.delegation_id = None
                registration.delegation_head = False
                session.add(registration)
                await session.commit()
                return Membership(JoinOutcome.FULL, registration, Roster(delegation, others, _head(others)))
            outcome = JoinOutcome.JOINED
            confirmed = Balance.of([m for m in others if m.status == RegistrationStatus.REGISTERED])
            requires_balance = policy == GenderBalancePolicy.REQUIRE
            if (
                requires_balance
                and registration.status == RegistrationStatus.REGISTERED
                and _unbalances(confirmed, registration.gender)
            ):
                registration.status = RegistrationStatus.PENDING
                registration.held_for_balance = True
                session.add(registration)
                outcome = JoinOutcome.HELD
            else:
                confirmed = confirmed.adding(registration.gender)
            promoted = []
            for member in others:
                if not member.held_for_balance:
                    continue
                if requires_balance and _unbalances(confirmed, member.gender):
                    continue
                member.held_for_balance = False
                member.status = RegistrationStatus.REGISTERED
                confirmed = confirmed.adding(member.gender)
                session.add(member)
                promoted.append(member)
            await session.commit()
            members = await self._members(session, delegation.id)
        return Membership(outcome, registration, Roster(delegation, members, _head(members)), promoted)

    async def designate_head(self, delegation_id: int, registration_id: int) -> Registration | None:
        """Make an active member the head; None when they are not an active member."""
        async with self._sessions() as session:
            members = await self._members(session, delegation_id)
            chosen = next((member for member in members if member.id == registration_id), None)
            if chosen is None:
                return None
            for member in members:
                member.delegation_head = member.id == registration_id
                session.add(member)
            await session.commit()
            await session.refresh(chosen)
            return chosen


def _unbalances(confirmed: Balance, gender: str) -> bool:
    """True when one more member of this gender takes the confirmed members beyond the tolerance
    (a member who narrows the gap is always welcome)."""
    after = confirmed.adding(gender)
    return not after.balanced and abs(after.women - after.men) > abs(confirmed.women - confirmed.men)
