"""Who is staff (admins from ADMIN_IDS, staff granted by admins) and the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.core.db import SessionFactory
from bot.core.models import AuditEntry, StaffMember
from bot.core.users import UserService


class StaffService:
    def __init__(self, sessions: SessionFactory, admin_ids: frozenset[int], users: UserService):
        self._sessions = sessions
        self.admin_ids = admin_ids
        self._users = users  # keeps who is staff for a while: told of each change

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    async def is_staff(self, user_id: int) -> bool:
        if self.is_admin(user_id):
            return True
        async with self._sessions() as session:
            return await session.get(StaffMember, user_id) is not None

    async def staff_ids(self) -> list[int]:
        async with self._sessions() as session:
            granted = (await session.exec(select(StaffMember.user_id))).all()
        return sorted(self.admin_ids | set(granted))

    async def grant(self, actor_id: int, user_id: int) -> bool:
        """True when the user was not staff before."""
        async with self._sessions() as session:
            if await session.get(StaffMember, user_id) is not None or self.is_admin(user_id):
                return False
            session.add(StaffMember(user_id=user_id, granted_by=actor_id))
            session.add(AuditEntry(actor_id=actor_id, action="staff.grant", subject=f"user:{user_id}"))
            await session.commit()
        self._users.forget_kept(user_id)
        return True

    async def revoke(self, actor_id: int, user_id: int) -> bool:
        async with self._sessions() as session:
            member = await session.get(StaffMember, user_id)
            if member is None:
                return False
            await session.delete(member)
            session.add(AuditEntry(actor_id=actor_id, action="staff.revoke", subject=f"user:{user_id}"))
            await session.commit()
        self._users.forget_kept(user_id)
        return True

    async def audit(self, actor_id: int, action: str, subject: str | None = None, **details: Any) -> None:
        """Record a staff action on personal data (ids only, never the data itself)."""
        async with self._sessions() as session:
            session.add(
                AuditEntry(actor_id=actor_id, action=action, subject=subject, details=details or None)
            )
            await session.commit()
