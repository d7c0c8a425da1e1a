"""What people read for the bot's enumerations: statuses, genders, yes/no, broadcast states.

Defined once here and used by the summary, /me, exports, headcounts, cards and broadcasts. Each
value is marked for translation (`N_`); `label()` gives it in the current language.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.i18n import N_
from bot.core.i18n import gettext as _
from bot.core.models import Gender, JobStatus, RegistrationStatus

GENDERS: Mapping[str, str] = {
    Gender.WOMAN: N_("Woman"),
    Gender.MAN: N_("Man"),
    Gender.ANOTHER: N_("Another gender"),
    Gender.UNDISCLOSED: N_("Prefer not to say"),
}

# The status's name, as staff read it in cards, lists, headcounts, exports and audiences.
STATUSES: Mapping[str, str] = {
    RegistrationStatus.REGISTERED: N_("registered"),
    RegistrationStatus.PENDING: N_("pending"),
    RegistrationStatus.WITHDRAWN: N_("withdrawn"),
    RegistrationStatus.ERASED: N_("erased"),
}

# The status as the delegate reads it on /me: a pending one says what it waits for.
STATUSES_FOR_DELEGATES: Mapping[str, str] = {
    **STATUSES,
    RegistrationStatus.PENDING: N_("pending: received after the deadline, the organisers will confirm"),
}

# Headcounts list the statuses in this order; erased registrations are counted apart.
STATUS_ORDER = (RegistrationStatus.REGISTERED, RegistrationStatus.PENDING, RegistrationStatus.WITHDRAWN)

# A broadcast's state on its progress message.
JOB_STATUSES: Mapping[str, str] = {
    JobStatus.SCHEDULED: N_("⏰ Scheduled for {when}"),
    JobStatus.RUNNING: N_("⏳ Sending…"),
    JobStatus.PAUSED: N_("⏸ Paused"),
    JobStatus.DONE: N_("✅ Finished"),
    JobStatus.CANCELLED: N_("🛑 Cancelled"),
}

YES, NO = N_("Yes"), N_("No")

# Between the parts of one line (name · code · status).
SEPARATOR = " · "


def label(labels: Mapping[str, str], value: str | None) -> str:
    """The label of `value` in the current language; a value without one is given as stored (the
    caller escapes it for HTML, as any stored value)."""
    if value is None:
        return ""
    return _(labels[value]) if value in labels else str(value)


def yes_no(value: bool) -> str:
    return _(YES) if value else _(NO)


def flag(country: str | None) -> str:
    """🇵🇭 for PH (regional indicator letters)."""
    if not country or len(country) != 2 or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())
