"""The event file's browsing sections: validation with clear errors, and `content-missing`."""

from __future__ import annotations

import pytest
import yaml

from bot.core.content_check import main as content_missing
from bot.core.content_check import missing
from bot.core.event import EventFileError, load_event
from tests.support.app import EVENT_FILE


def variant(tmp_path, change) -> object:
    data = yaml.safe_load(EVENT_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "event.yaml"
    path.write_text(yaml.dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_letter_facts_and_placeholders_are_in_the_event_file(event):
    assert (event.starts_on.isoformat(), event.ends_on.isoformat()) == ("2024-07-30", "2024-07-31")
    assert event.contact_email == "contact@progressive-alliance.info"
    assert "Machris" in event.contacts[0].name
    assert event.programme.provisional and all(s.placeholder for _, s in event.programme.sessions())
    assert event.venue.placeholder and event.hotel.placeholder and not event.venue.has_location
    assert {d.id for d in event.documents} == {"programme", "technical"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["faq"][0].update(answer={"en": "x"}), "either an answer or a topic"),
        (lambda d: d["faq"][3]["answer"].update(en="By {date}"), "unknown {date}"),
        (lambda d: d["programme"]["days"][0]["sessions"][0].update(starts_at=510), 'in quotes, e.g. "08:30"'),
        (lambda d: d["programme"]["days"][0].update(date="2024-08-02"), "distinct days of the event"),
        (lambda d: d["documents"][0].update(file="missing.pdf"), "no file missing.pdf"),
        (lambda d: d["venue"].update(latitude=123), "less than or equal to 90"),
    ],
)
def test_mistakes_in_the_event_file_are_named(tmp_path, change, message):
    with pytest.raises(EventFileError, match=message.replace("{", r"\{").replace("(", r"\(")):
        load_event(variant(tmp_path, change))


def test_content_missing_lists_texts_per_language(event, capsys):
    report = missing(event, ["en", "fr", "xx"])
    assert report["en"] == [] and report["fr"] == []
    assert "faq[dates].question" in report["xx"] and "faq[dates].variants" in report["xx"]
    assert "programme.days[2024-07-30].sessions[opening].title" in report["xx"]
    assert content_missing(EVENT_FILE, ["xx"]) == 0
    output = capsys.readouterr().out
    assert "xx:" in output and "faq[hotel].question" in output
