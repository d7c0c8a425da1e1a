""" "Now" for the whole bot: real time, or the instant frozen by EVENT_CLOCK for demos and tests."""

from datetime import UTC, datetime


class Clock:
    def __init__(self, frozen_at: datetime | None = None):
        self.frozen_at = frozen_at

    def now(self) -> datetime:
        return self.frozen_at if self.frozen_at is not None else datetime.now(UTC)
