"""The form in the event file (bot/core/form.py): what organisers are told when it is wrong, its
conditions, and a property test that registers through random valid forms."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_dispatcher
from bot.core.event import EventFileError, load_event
from bot.core.form import Condition, QuestionType
from bot.core.settings import PROJECT_ROOT
from tests.support.app import make_settings
from tests.support.chat import Chat
from tests.support.walk import register, stored

SUMMER_SCHOOL = PROJECT_ROOT / "events" / "example-summer-school.yaml"
OPEN = "2025-05-30T10:00:00+07:00"


def _raw() -> dict:
    return yaml.safe_load(SUMMER_SCHOOL.read_text(encoding="utf-8"))


def _write(raw: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _question(raw: dict, question_id: str) -> dict:
    return next(question for question in raw["form"] if question["id"] == question_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: _question(raw, "workshop")["options"][1]["label"].pop("en"),
            "form[9].options[1].label: needs an English text (en)",
        ),
        (
            lambda raw: _question(raw, "photo_notes")["when"].update(missing_question=True),
            "form[13].when.missing_question: names no question before this one",
        ),
        (
            lambda raw: _question(raw, "country").update(type="text"),
            "form[3].type: country is a built-in kind",
        ),
        (lambda raw: raw["form"].pop(0), "the form needs a full_name question"),
        (
            lambda raw: _question(raw, "age")["text"].update(en="How <a href='x'>old</a>?"),
            "form[5].text: en: tag <a> is not allowed",
        ),
        (
            lambda raw: _question(raw, "tshirt").update(options=[]),
            "form[10]: a choice question needs options",
        ),
        (
            lambda raw: _question(raw, "emergency")["questions"][0].pop("text"),
            "form[11].questions[0].text: a question needs its text",
        ),
        (
            lambda raw: _question(raw, "age").update(type="date"),
            "form[5]: min and max are for number questions",
        ),
        (
            lambda raw: _question(raw, "phone").update(sensitive=True),
            "phone is a built-in kind read in clear: it cannot be sensitive",
        ),
    ],
)
def test_a_wrong_form_stops_start_up_naming_where(tmp_path, change, message):
    raw = _raw()
    change(raw)
    with pytest.raises(EventFileError) as error:
        load_event(_write(raw, tmp_path / "wrong.yaml"))
    assert message in str(error.value)


def test_conditions_read_one_value_a_list_or_its_opposite():
    assert Condition.model_validate(True).holds(True) and not Condition.model_validate(True).holds(None)
    assert Condition.model_validate(["PH", "ID"]).holds("ID")
    not_host = Condition.model_validate({"not": "PH"})
    assert not_host.holds("VN") and not_host.holds(None) and not not_host.holds("PH")
    assert Condition.model_validate("vegan").holds(["halal", "vegan"]), "a multiple choice: any tick"


def test_the_manila_form_asks_the_visa_question_only_of_delegates_from_abroad():
    form = load_event(PROJECT_ROOT / "events" / "manila-2024.yaml").form
    visa, passport = form.step("visa_needed"), form.step("passport_number")
    assert not form.applies(visa, {"country": "PH"}) and form.applies(visa, {"country": "ID"})
    assert form.applies(passport, {"country": "ID", "visa_needed": True})
    assert form.without_unasked({"country": "PH", "visa_needed": True, "passport_number": "x"}) == {
        "country": "PH",
        "visa_needed": None,
        "passport_number": None,
    }


# --- random forms -----------------------------------------------------------------------------

# Types a random question takes (groups come with their own).
_TYPES = [kind for kind in QuestionType if kind is not QuestionType.GROUP]


@st.composite
def forms(draw) -> list[dict]:
    """A valid form: the name, then random questions of every type, some optional, some asked
    only after a yes."""
    form = [{"id": "full_name", "type": "name", "text": {"en": "Your name?"}}]
    yes_no: list[str] = []
    for index in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from([*_TYPES, QuestionType.GROUP]))
        question: dict = {"id": f"q{index}", "type": kind.value, "text": {"en": f"Question {index}?"}}
        if kind in (QuestionType.CHOICE, QuestionType.MULTI):
            count = draw(st.integers(1, 4))
            question["options"] = [{"id": f"o{n}", "label": {"en": f"Option {n}"}} for n in range(count)]
            question["other"] = kind is QuestionType.MULTI and draw(st.booleans())
        if kind is QuestionType.NUMBER:
            question.update(min=draw(st.integers(-5, 5)), max=draw(st.integers(6, 100)))
        if kind is QuestionType.DATE and draw(st.booleans()):
            question["days"] = "event"
        if kind is QuestionType.GROUP:
            del question["text"]
            question["questions"] = [
                {"id": "when", "type": "date", "text": {"en": "Which day?"}, "days": "event"},
                {"id": "what", "type": "text", "text": {"en": "What?"}, "required": draw(st.booleans())},
            ]
        question["required"] = draw(st.booleans())
        if yes_no and draw(st.booleans()):
            question["when"] = {draw(st.sampled_from(yes_no)): True}
        if kind is QuestionType.YES_NO:
            yes_no.append(question["id"])
        form.append(question)
    return form


_users = itertools.count(30_000)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=forms())
async def test_any_valid_form_can_be_registered_through(form, fake, engine, tmp_path_factory):
    raw = _raw()
    raw["form"] = form
    path = _write(raw, tmp_path_factory.mktemp("form") / "random.yaml")
    event = load_event(path)
    settings_ = make_settings(telegram_api_base=fake.base_url, event_file=path, event_clock=OPEN)
    from bot.app import build_bot

    bot = build_bot(settings_)
    dp = build_dispatcher(settings_, engine=engine)
    user = next(_users)
    fake.user(user, first_name="Ana", language_code="en")
    chat = Chat(fake, dp, bot, user)
    try:
        await register(chat, event=event)
    finally:
        await bot.session.close()
    [registration] = [r for r in await stored(engine) if r.user_id == user]
    assert registration.full_name == "Ana Reyes"
    asked = {step.key for step in event.form.steps if not step.question.when}  # whatever the answers
    for step in event.form.steps:
        if step.key != "full_name" and step.key in asked and not step.group:
            assert step.key in registration.custom_answers, (step.key, registration.custom_answers)


async def _registered(engine, event, people: list[dict], first_user: int):
    """The people's answers (with the name, language and consent) registered; the sessions."""
    from bot.core.answers import Answers
    from bot.core.crypto import PassportCipher, new_key
    from bot.core.db import create_session_factory
    from bot.registration.service import RegistrationService

    sessions = create_session_factory(engine)
    registrations = RegistrationService(sessions, event, PassportCipher([new_key()]))
    for user, answered in enumerate(people, start=first_user):
        answers = {
            "language": "en",
            "consent_version": "2025-05-01",
            "consent_at": OPEN,
            "full_name": f"Person {user}",
            **answered,
        }
        await registrations.register(
            user, Answers.of_dialogue(answers, event.form), event.registration_deadline
        )
    return sessions


# --- audiences by answer ----------------------------------------------------------------------


async def test_broadcasts_reach_those_who_gave_an_answer_built_in_or_the_forms_own(engine):
    from bot.broadcasts.audiences import Audience, AudienceKind, AudienceService

    event = load_event(SUMMER_SCHOOL)
    people = [
        {"workshop": "climate", "photo_consent": True, "dietary": ["vegan"]},
        {"workshop": "climate", "photo_consent": False, "dietary": ["vegan", "halal"]},
        {"workshop": "media", "photo_consent": False, "dietary": None},
    ]
    sessions = await _registered(engine, event, people, 40_000)
    audiences = AudienceService(sessions, event)
    options = {option.value: option.count for option in await audiences.options(AudienceKind.ANSWER)}
    assert options["workshop=climate"] == 2 and options["workshop=media"] == 1
    assert (
        options["photo_consent=no"] == 2 and options["dietary=vegan"] == 2 and options["dietary=halal"] == 1
    )
    for value, count in (
        ("workshop=climate", 2),
        ("photo_consent=yes", 1),
        ("photo_consent=no", 2),
        ("dietary=halal", 1),
    ):
        assert await audiences.count(Audience(AudienceKind.ANSWER, value)) == count, value
    assert await audiences.count(Audience(AudienceKind.ANSWER, "nothing=at_all")) == 0


async def test_staff_can_remind_those_who_lack_an_answer_to_a_new_question(engine, tmp_path):
    """Questions added after people registered: the audience is who is asked them (their
    conditions, in SQL) and has not answered them yet."""
    from bot.broadcasts.audiences import Audience, AudienceKind, AudienceService

    raw = _raw()
    english = {"en": "?"}
    raw["form"] += [
        {"id": "bus", "type": "yes_no", "text": english, "when": {"country": {"not": "TH"}}},
        {
            "id": "photo_use",
            "type": "choice",
            "text": english,
            "options": [{"id": "web", "label": english}, {"id": "print", "label": english}],
            "when": {"photo_consent": True},
        },
    ]
    event = load_event(_write(raw, tmp_path / "more-questions.yaml"))
    people = [
        {"country": "TH", "photo_consent": True},
        {"country": "PH", "photo_consent": False},
        {"country": "VN", "photo_consent": True, "bus": True},
    ]
    sessions = await _registered(engine, event, people, 41_000)
    audiences = AudienceService(sessions, event)
    options = {option.value: option.count for option in await audiences.options(AudienceKind.MISSING)}
    assert (options["bus"], options["photo_use"]) == (1, 2)  # (the rest of the form is not answered here)
    recipients = audiences.recipients(Audience(AudienceKind.MISSING, "bus"))
    async with sessions() as session:
        assert [row.chat_id for row in await session.exec(recipients)] == [41_001]
    assert await audiences.count(Audience(AudienceKind.MISSING, "full_name")) == 0
    assert await audiences.count(Audience(AudienceKind.MISSING, "no_such_question")) == 0


async def test_headcount_counts_a_date_question_of_the_forms_own_by_day(engine, tmp_path):
    from bot.staff.headcount_service import HeadcountService
    from bot.staff.views import answer_items

    raw = _raw()
    raw["form"].append({"id": "excursion_day", "type": "date", "text": {"en": "?"}, "days": "event"})
    event = load_event(_write(raw, tmp_path / "with-a-date.yaml"))
    days = ["2025-08-06", "2025-08-05", "2025-08-06"]
    sessions = await _registered(engine, event, [{"excursion_day": day} for day in days], 42_000)
    headcount = await HeadcountService(sessions, event).count()
    assert headcount.answers["excursion_day"] == [("2025-08-05", 1), ("2025-08-06", 2)]  # in date order
    [counts] = [counts for label, counts in answer_items(headcount, event, "en") if label == "?"]
    assert counts == [("Tue, Aug 5", 1), ("Wed, Aug 6", 2)]


def test_the_number_of_questions_only_goes_down_as_branches_close():
    """ "Question 10 of 16" after "Question 8 of 14" reads as if the form grew: questions that may
    still be asked count until what decides them is answered."""
    form = load_event(PROJECT_ROOT / "events" / "manila-2024.yaml").form
    walk = [
        ("full_name", "Linh"),
        ("country", "VN"),
        ("arrival_date", "2024-07-29"),
        ("departure_date", None),  # no transfer: its time and flight close
        ("visa_needed", True),
        ("nationality", "VN"),
    ]
    answers: dict = {}
    counts = [len(form.may_ask(answers))]
    for key, value in walk:
        answers[key] = value
        counts.append(len(form.may_ask(answers)))
    assert counts[0] == len(form.steps) == 23
    # Travel dates given: no hotel dates (the arrival's) but the check-out (no departure given).
    assert counts == sorted(counts, reverse=True) and counts[-1] == 20
    assert len(form.may_ask({"country": "PH"})) == 19, "no visa questions for the host country"


async def test_an_answer_asked_by_a_tick_is_stored(engine, tmp_path):
    """A question asked because of a multiple choice's tick keeps its answer when stored (the
    service checks the conditions again, on the ticks as a list)."""
    raw = _raw()
    raw["form"].append(
        {"id": "vegan_kind", "type": "text", "text": {"en": "?"}, "when": {"dietary": "vegan"}}
    )
    event = load_event(_write(raw, tmp_path / "vegan.yaml"))
    people = [
        {"dietary": ["vegan", "halal"], "vegan_kind": "strict"},
        {"dietary": ["halal"], "vegan_kind": "x"},
    ]
    await _registered(engine, event, people, 43_000)
    first, second = sorted(await stored(engine), key=lambda registration: registration.user_id)
    assert first.custom_answers["vegan_kind"] == "strict" and first.dietary == "vegan,halal"
    assert second.custom_answers.get("vegan_kind") is None, "not asked: not kept"


def test_every_built_in_kind_has_its_column_in_the_stored_answers():
    """A built-in kind is declared in form.BUILT_IN, in Answers and in the model: they agree."""
    from bot.core.answers import COLUMNS
    from bot.core.form import BUILT_IN, COLUMN_KEYS, RESERVED_KEYS
    from bot.core.models import Registration

    groups = {key for key, kinds in BUILT_IN.items() if kinds == {QuestionType.GROUP}}
    assert COLUMNS == (COLUMN_KEYS - groups) | RESERVED_KEYS
    assert COLUMNS <= set(Registration.model_fields)
