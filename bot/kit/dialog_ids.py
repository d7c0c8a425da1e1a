"""Dialogue ids that do not collide.

aiogram-dialog 2.6 makes each stack and intent id from the current second plus one of 100 random
values (`aiogram_dialog.api.entities.stack.new_int_id`). Two dialogues opened over each other
within one second (the language picker over a registration, over /me) got the same id one time
in a hundred: the second dialogue's context overwrote the first's, aiogram-dialog logged "Stack
is broken" and refused the user's buttons as stale. Same alphabet and length (at most six
characters inside the 64-byte callback data), 62**6 random values.
"""

from __future__ import annotations

import secrets

from aiogram_dialog.api.entities import stack

_ID_VALUES = len(stack._ID_SYMS) ** 6


def _new_int_id() -> int:
    return 1 + secrets.randbelow(_ID_VALUES - 1)


def install() -> None:
    """`stack.new_id`, used for every new stack and intent, reads `new_int_id` when it runs."""
    stack.new_int_id = _new_int_id
