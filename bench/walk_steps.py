"""A simulated delegate's registration as JSON, from the tests' walk of the checkout it runs in.

bench/dialogue.py imports it for this tree's bot. For the bot of another checkout
(`--compare-with`) it runs this file in a process with that checkout as working directory and
PYTHONPATH: the button ids and questions change between commits (`g:woman` became `o:woman`), so
each bot is walked by its own tests' walk. Only `plan`, `prompt` and `Typed` are used, which the
walk has offered since before the form moved to the event file.
"""

from __future__ import annotations

import json

from tests.support.walk import Typed, plan, prompt

EMAIL = "delegate{delegate}@example.org"  # bench/dialogue.py puts the delegate's number in


def steps() -> list[dict[str, str]]:
    """Each update (kind "text" or "tap", value) and what the bot shows once it has handled it:
    the start of the next question in English ("asks"), or the confirmed registration's widget
    ("shows")."""
    walk = plan(organisation="Akbayan Citizens' Action Party", email=EMAIL)
    # One action per question: one update, one awaited reply.
    updates = [Typed("/start"), *(action for _place, (action,) in walk)]
    replies = [*({"asks": prompt(place, "en")} for place, _actions in walk), {"shows": "change"}]
    return [
        (
            {"kind": "text", "value": update.text}
            if isinstance(update, Typed)
            else {"kind": "tap", "value": update.widget}
        )
        | reply
        for update, reply in zip(updates, replies, strict=True)
    ]


if __name__ == "__main__":
    print(json.dumps(steps()))
