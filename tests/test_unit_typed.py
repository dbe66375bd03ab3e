"""Typed answers (assistant/answer/typed.py): the thing asked for, tied to the question, or a refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assistant.answer.evidence import Evidence, Sentence
from assistant.answer.parse import QuestionParser
from assistant.answer.query import analyse
from assistant.answer.typed import (
    Candidate,
    _answers,
    _common_word,
    _grouped,
    _holds_object,
    _in_headline,
    _is_duration,
    _named,
    asked_labels,
    expansions,
    full_names,
    multi_hop,
    role,
)
from assistant.core.documents import Entity, SentenceNote


@pytest.fixture(scope="module")
def parser() -> QuestionParser:
    return QuestionParser()


def query(question: str, parser: QuestionParser) -> Any:
    return analyse(question, [], today=date(2024, 6, 30), max_chars=2000, k=8, answerer="extractive",
                   parse=parser)


def assert_short(assistant: Any, question: str, short: str) -> None:
    """The answer to `question` leads with `short`, which stands inside its cited quote."""
    answer = assistant.ask(question)
    assert answer.short is not None and answer.short.text == short, answer.text
    assert short_is_inside_its_quote(answer)


def short_is_inside_its_quote(answer: Any) -> bool:
    cited = next(c for c in answer.citations if c.number == answer.short.citation)
    return cited.start <= answer.short.start < answer.short.end <= cited.end and \
        cited.quote[answer.short.start - cited.start:answer.short.end - cited.start] == answer.short.text


@pytest.mark.parametrize(("question", "short"), [
    ("How many books does the reading room hold?", "4,000"),
    ("Who said talks with the port operators would resume?", "Marta Quell"),
    ("How much did Mayor Elena Brandt's budget amount to?", "40 million"),
    ("How much is the pay rise the union is asking for?", "six percent"),  # "how much" counts no noun
])
def test_a_typed_question_leads_with_its_short_answer_inside_the_cited_quote(news_assistant: Any, question: str,
                                                                            short: str) -> None:
    answer = news_assistant.ask(question)
    assert answer.kind == "factoid" and answer.short is not None and answer.short.text == short
    assert answer.text.startswith(f"{short} — ")
    assert short_is_inside_its_quote(answer)


@pytest.mark.parametrize("question", [
    "Who bought the port operators?",  # the articles discuss them, not a sale
    "How many firefighters were injured in the blaze?",  # 12 *workers* were injured
    "How many workers were injured in the 2022 fire?",  # no article is about a 2022 fire
    "When did the library close its reading room?",  # it opened one
])
def test_on_topic_passages_without_the_asked_fact_are_declined(news_assistant: Any, question: str) -> None:
    answer = news_assistant.ask(question)
    assert answer.abstained and answer.citations == [] and answer.short is None


def test_a_refusal_says_what_the_passages_mention_in_the_questions_words(news_assistant: Any) -> None:
    answer = news_assistant.ask("Who bought the port operators?")
    assert "the port operators" in answer.text and "oper" not in answer.text.replace("operators", "")


def test_a_definition_asks_for_no_typed_answer_but_a_role_does(parser: QuestionParser) -> None:
    assert asked_labels(query("Who is Yehia Rasool?", parser)) == {}
    minister = query("Who is Iraq's foreign minister?", parser)
    assert asked_labels(minister) and role(minister) == ("minist", frozenset({"foreign", "minist"}))


def test_the_role_comes_from_the_which_phrase_not_from_any_person_noun(parser: QuestionParser) -> None:
    assert role(query("Which Iranian commander's assassination remains a sore point?", parser))[0] == "command"
    assert role(query("Who was arrested on accusations of killing a civil society activist?", parser)) is None
    assert role(query("Which US official met the minister?", parser)) is None  # a category, not a role


def test_a_question_joining_several_clauses_is_multi_hop(parser: QuestionParser) -> None:
    assert multi_hop(query("Which company, having faced a legal defeat as reported by one outlet, also underwent "
                           "a period of intense labor, and is now reducing its workforce?", parser))
    assert not multi_hop(query("How many workers were injured in the fire?", parser))
    # a past participle after a noun is a reduced relative ("the strikes ... carried out"), not a clause of its own
    assert not multi_hop(query("On which day were the strikes that killed 16 fighters carried out?", parser))


def _sentence(article_id: str, text: str, title: str) -> Any:
    return Sentence(article_id, 0, len(text), text, 0, {"title": title, "text": text})


def _note(*entities: tuple[str, str]) -> Any:
    return SentenceNote(0, 100, tuple(Entity(label, 0, len(text), text) for label, text in entities))


def test_a_bare_surname_is_the_person_the_articles_name_in_full() -> None:
    notes = {"a": [_note(("PERSON", "Marta Quell"), ("PERSON", "Quell"))], "b": [_note(("ORG", "Quell"))]}
    evidence = Evidence([_sentence("c", "Quell left.", "Why Elena Brandt's budget failed")], [], [])
    names = full_names(notes, evidence)
    assert names["quell"] == "Marta Quell" and names["brandt"] == "Elena Brandt"  # the headline's name too
    ent, shown = _named(Entity("ORG", 5, 10, "Quell"), names)  # spaCy tagged the surname an organisation
    assert (ent.label, ent.text, ent.start, shown) == ("PERSON", "Quell", 5, "Marta Quell")  # span kept exact
    assert _named(Entity("ORG", 0, 4, "Port"), names)[1] == "Port"


def test_a_surname_two_full_names_share_is_not_resolved() -> None:
    notes = {"a": [_note(("PERSON", "Travis Kelce"))], "b": [_note(("PERSON", "Jason Kelce"))]}
    assert "kelce" not in full_names(notes, Evidence([], [], []))


@pytest.mark.parametrize(("name", "title", "named"), [
    ("Sam Bankman-Fried", "SBF’s trial starts soon", True),  # initials, possessive
    ("Sam Altman", "A timeline of Sam Altman’s firing", True),
    ("Marta Quell", "Port strike talks resume", False),
    ("Al Bo", "AB test results", False),  # two initials are too short to tell
])
def test_a_headline_names_a_candidate_by_last_name_or_initials(name: str, title: str, named: bool) -> None:
    assert _in_headline(name, title) is named


def test_who_is_the_individual_asks_for_a_person_first(parser: QuestionParser) -> None:
    q = query("Who is the individual accused of using a colleague as a front?", parser)
    assert q.item == "person" and asked_labels(q)["PERSON"] > asked_labels(q)["ORG"]
    assert "GPE" not in asked_labels(q)  # a country is never "the individual"
    assert query("Who is the group behind the strike?", parser).item is None


def ingested(make_fake_assistant: Any, folder: Any, files: dict[str, str], **settings: Any) -> Any:
    """A fake-embedder assistant over `files` (name -> text) written into `folder`, ingested."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assistant = make_fake_assistant(folder, **settings)
    assistant.ingest()
    return assistant


SHARED = {
    "a.txt": "Harbour Chief Quits After Audit\nCoastal Herald\nMarch 1, 2024\n\n"
             "Harbour chief Dana Whitlock resigned on Monday after an audit of the port accounts.\n",
    "b.txt": "Port Audit Finds Missing Funds\nValley Times\nMarch 2, 2024\n\n"
             "The audit found that Whitlock had moved funds between port accounts without approval.\n",
    "c.txt": "New Ferry Line Planned\nRiver Post\nMarch 3, 2024\n\n"
             "Whitlock had planned a ferry line to the islands before the audit began.\n",
    "d.txt": "Library Opens Reading Room\nRiver Post\nMarch 4, 2024\n\n"
             "The city library opened a reading room with 4,000 books on Friday.\n",
}


def test_a_multi_hop_question_is_answered_by_the_person_several_articles_share(make_fake_assistant: Any,
                                                                              tmp_path: Any) -> None:
    # every passage "too weak" alone
    assistant = ingested(make_fake_assistant, tmp_path / "shared", SHARED, abstain_threshold=0.99)
    answer = assistant.ask("Who is the individual who resigned after an audit, as reported by the Coastal Herald, "
                           "moved funds between accounts according to the Valley Times, and planned a ferry "
                           "line, as the River Post reported?")
    assert answer.kind == "factoid" and answer.text.startswith("Dana Whitlock — ")
    assert short_is_inside_its_quote(answer)


def test_a_question_citing_an_outlet_the_store_lacks_is_declined(make_fake_assistant: Any, tmp_path: Any) -> None:
    assistant = ingested(make_fake_assistant, tmp_path / "shared", SHARED)
    answer = assistant.ask("Who resigned after the audit of the port accounts, according to a Bloomberg article?")
    assert answer.abstained and "Bloomberg" in answer.text
    assert not assistant.ask("Who moved funds between port accounts, according to the Valley Times?"
                             ).abstained  # a publisher of the store


def test_an_outlet_the_store_lacks_is_not_answered_from_other_outlets_reports(make_fake_assistant: Any,
                                                                             tmp_path: Any) -> None:
    """A passage of no stated publisher might be the cited outlet's report, so the question is not declined
    outright; but the answer must come from such a report, not only from outlets the question cites for
    its other parts (a multi-hop question is tied to the evidence as a whole, not sentence by sentence)."""
    unstated = ("Port Accounts Audit\n\nAuditors checked the port accounts after the resignation and found no "
                "missing funds.\n")  # no publisher line
    assistant = ingested(make_fake_assistant, tmp_path / "shared", {**SHARED, "e.txt": unstated},
                         abstain_threshold=0.99)
    question = ("Who is the individual who resigned after an audit, as reported by {}, moved funds between accounts "
                "according to the Valley Times, and planned a ferry line, as the River Post reported?")
    answer = assistant.ask(question.format("a Bloomberg article"))
    assert answer.abstained, answer.text  # Dana Whitlock's resignation is in the Coastal Herald's report only
    assert assistant.ask(question.format("the Coastal Herald")).text.startswith("Dana Whitlock — ")


def test_a_sentence_answers_only_when_it_holds_the_object_of_the_asked_event(parser: QuestionParser) -> None:
    q = query("When did the union announce its suspension of the strike?", parser)
    assert q.parse.objects == ("suspension",)
    other = "The union announced on Wednesday that talks with the port operators would resume."
    same = "The union had announced a suspension of the strike after the vote."
    assert not _holds_object(q, _sentence("a", other, "Port talks resume"))
    assert _holds_object(q, _sentence("b", same, "Union vote"))


@pytest.mark.parametrize(("before", "rejected"), [
    ("A spokesperson for Prime Minister ", True),  # the spokesperson spoke, not the prime minister
    ("An aide to the mayor, ", False),  # a comma: the name stands apart from the phrase
    ("Lawyers for ", True),
    ("Prime Minister ", False),
])
def test_the_person_someone_speaks_for_is_not_who_spoke(parser: QuestionParser, before: str, rejected: bool) -> None:
    q = query("Who called the strikes a violation of sovereignty?", parser)
    text = f"{before}Dana Whitlock called the strikes a violation of sovereignty."
    start = len(before)
    ent = Entity("PERSON", start, start + len("Dana Whitlock"), "Dana Whitlock")
    assert _answers(q, _sentence("a", text, "Strikes"), ent) is not rejected


FORMS = {
    "navy.txt": "Navy Keeps Ships Abroad\nRiver Post\nMarch 5, 2024\n\n"
                "The navy keeps about 2,500 sailors in Portugal and another 900 in neighboring Spain. "
                "Ana Ruiz, Portugal's fisheries ministry spokesperson, said the sailors were safe.\n",
    "raid.txt": "Radar Station Raid\nRiver Post\nMarch 6, 2024\n\n"
                "The Northport rebels claimed that the navy strike hit a group of radar experts near Faro. "
                "The attack was launched from a base in Morocco, the rebels said.\n",
    "depot.txt": "Depot Fire Confirmed\nValley Times\nMarch 8, 2024\n\n"
                 "Port officials said on Tuesday that a fire had destroyed the old fuel depot.\n",
    "quote.txt": "Talks Stall Again\nValley Times\nMarch 9, 2024\n\n"
                 "In a statement, Portugal's fisheries ministry said: “The talks go nowhere. "
                 "What we see is the port board repeating the old mistakes of its founders.”\n",
    "ferry.txt": "Ferry Festival Returns\nCoastal Herald\nMarch 7, 2024\n\n"
                 "The ferry festival at Port Nova (formerly Port Vale) marked its tenth anniversary on Sunday.\n",
}


@pytest.mark.parametrize(("question", "short"), [
    ("How many sailors does the navy keep in Spain?", "900"),  # "another 900": the noun left out, Spain's figure
    ("How many sailors does the navy keep in Portugal?", "about 2,500"),
    ("From which country was the strike on the radar experts launched?", "Morocco"),  # not the striker
    ("What was Port Nova formerly called?", "Port Vale"),
    ("Which anniversary did the ferry festival mark?", "tenth"),
    ("Which ministry is Ana Ruiz the spokesperson for?", "fisheries ministry"),
    # an accusation made in a quotation: the speaker stands in the sentence that opens it
    ("Which country's ministry accused the port board of repeating its founders' mistakes?", "Portugal"),
])
def test_the_short_answer_is_the_part_of_the_sentence_the_question_asks_for(make_fake_assistant: Any, tmp_path: Any,
                                                                            question: str, short: str) -> None:
    assert_short(ingested(make_fake_assistant, tmp_path / "forms", FORMS), question, short)


def test_the_day_someone_spoke_is_not_the_day_of_the_event_they_spoke_of(make_fake_assistant: Any,
                                                                          tmp_path: Any) -> None:
    assistant = ingested(make_fake_assistant, tmp_path / "forms", FORMS)
    assert assistant.ask("When did the fire destroy the old fuel depot?").abstained  # said on Tuesday; the fire?
    spoke = assistant.ask("When did port officials confirm the fire at the fuel depot?")  # a speech act: its day
    assert spoke.short is not None and spoke.short.text == "Tuesday", spoke.text


def test_a_multi_hop_answer_is_weighed_by_how_well_each_article_states_it() -> None:
    """Summed per article: a name one article stresses and others only mention in passing does not
    outweigh the name every article states."""
    def mention(name: str, article: str, score: float) -> Candidate:
        sent = _sentence(article, f"{name} was there.", "")
        return Candidate(name, name.lower(), sent, Entity("PERSON", 0, len(name), name), score, {article})
    found = [mention("Ann Lee", "a", 0.6), mention("Ann Lee", "b", 0.1), mention("Ann Lee", "c", 0.1),
             *(mention("Bo Day", art, 0.3) for art in "abcd")]
    ranked = _grouped(found, multi=True)
    assert [c.text for c in ranked] == ["Bo Day", "Ann Lee"]
    assert ranked[0].score == pytest.approx(1.2) and ranked[1].score == pytest.approx(0.8)


def test_an_answer_another_article_states_only_in_passing_does_not_outweigh_a_firmly_stated_one() -> None:
    """A single-event answer gains from a second article as firmly as that article's own mention answers
    the question: a weak mention of the same day elsewhere (another event that day) adds little."""
    def mention(name: str, article: str, score: float) -> Candidate:
        sent = _sentence(article, f"It happened {name}.", "")
        return Candidate(name, name.lower(), sent, Entity("DATE", 0, len(name), name), score, {article})
    found = [mention("late Tuesday", "a", 0.27), mention("Wednesday", "b", 0.18), mention("Wednesday", "a", 0.09)]
    ranked = _grouped(found)
    assert [c.text for c in ranked] == ["late Tuesday", "Wednesday"]
    firm = _grouped([mention("late Tuesday", "a", 0.27), mention("Wednesday", "b", 0.18),
                     mention("Wednesday", "a", 0.27)])
    assert firm[0].text == "Wednesday"  # stated as firmly in both articles: agreement decides


def test_the_role_in_who_is_the_x_that_of_a_multi_hop_question_need_not_stand_beside_the_name(
        make_fake_assistant: Any, tmp_path: Any) -> None:
    """"Who is the port director that ..." joining several reports: being the port director is one more fact
    of the description (no article calls her that beside her name); "Which port director ..." asks for a
    name the articles give that title."""
    assistant = ingested(make_fake_assistant, tmp_path / "shared", SHARED, abstain_threshold=0.99)
    facts = ("resigned after an audit, as reported by the Coastal Herald, moved funds between accounts according "
             "to the Valley Times, and planned a ferry line, as the River Post reported?")
    described = assistant.ask(f"Who is the port director that {facts}")
    assert described.kind == "factoid" and described.text.startswith("Dana Whitlock — "), described.text
    assert assistant.ask(f"Which port director {facts}").abstained


def test_a_possessive_ending_is_not_part_of_the_short_answer() -> None:
    text = "With Kenneth Walker III's oblique injury comes a chance for the rookie."
    ent, name = _named(Entity("PERSON", 5, 25, "Kenneth Walker III's"), {})
    assert name == "Kenneth Walker III" and text[ent.start:ent.end] == name


def test_a_first_name_alone_is_the_one_person_the_articles_name_in_full_with_it() -> None:
    """A quotation calls a person by first name ("Marta is one of the most generous ...")."""
    notes = {"a": [_note(("PERSON", "Marta Quell"), ("PERSON", "Dana Whitlock"), ("PERSON", "Dana Ruiz"))]}
    names = full_names(notes, Evidence([], [], []))
    assert names["marta"] == "Marta Quell" and "dana" not in names  # two Danas: left alone
    assert _named(Entity("PERSON", 0, 5, "Marta"), names)[1] == "Marta Quell"


def test_an_acronym_is_the_name_the_articles_spell_out_with_those_initials() -> None:
    notes = {"a": [_note(("ORG", "Rugby Australia"), ("ORG", "the Queensland Rugby Union"), ("ORG", "RA"))]}
    names = expansions(notes)
    assert names["ra"] == "Rugby Australia" and names["qru"] == "the Queensland Rugby Union"
    ent, shown = _named(Entity("ORG", 10, 12, "RA"), names)
    assert (ent.label, ent.text, shown) == ("ORG", "RA", "Rugby Australia")  # the span stays the acronym's


CALLED = {
    "court.txt": "Search Deal Testimony\nRiver Post\nMarch 10, 2024\n\n"
                 "When the port's search head Lena Ortiz testified in court on Monday, she revealed the payments.\n",
    "start.txt": "Trader Turned Founder\nValley Times\nMarch 11, 2024\n\n"
                 "After Tom Reyes left Harbor Capital, the trading firm where he got his start in finance, he "
                 "worked as a trader at Alameda and then as a developer at Northwind.\n",
}


@pytest.mark.parametrize(("question", "short"), [
    ("Which port executive testified in court on Monday?", "Lena Ortiz"),  # "executive" is any title
    ("At which trading firm did Tom Reyes get his start in finance?", "Harbor Capital"),  # no "at" before it
])
def test_a_sentence_calling_the_candidate_what_is_asked_for_answers_it(make_fake_assistant: Any, tmp_path: Any,
                                                                       question: str, short: str) -> None:
    assert_short(ingested(make_fake_assistant, tmp_path / "called", CALLED), question, short)


BASES = {
    "base.txt": "Strikes Answer Drone Attack\nRiver Post\nMarch 12, 2024\n\n"
                "The strikes answered the drone attack that killed three U.S. soldiers at a remote base in Norland. "
                "In May, an attack on the U.S. base in Erbil killed one contractor.\n",
}


def test_a_name_before_a_preposition_is_not_what_the_role_after_it_names(make_fake_assistant: Any,
                                                                        tmp_path: Any) -> None:
    """"three U.S. soldiers at a remote base" does not call the U.S. a base; "the U.S. base in Erbil" places
    the base in Erbil."""
    assistant = ingested(make_fake_assistant, tmp_path / "bases", BASES)
    assert assistant.ask("What is the name of the remote base in Norland?").abstained  # the article never names it
    placed = assistant.ask("Where was the U.S. base that was hit in the attack that killed a contractor?")
    assert placed.short is not None and placed.short.text == "Erbil", placed.text


def test_a_name_the_sentence_calls_the_asked_thing_answers_whatever_the_tagger_said(make_fake_assistant: Any,
                                                                                      tmp_path: Any) -> None:
    """spaCy tags "al-Rawi" a person; "al-Rawi, a town close to the northern border" makes it a town."""
    files = {"town.txt": "Mayor Reports Damage\nRiver Post\nMarch 13, 2024\n\n"
                         "The mayor of al-Rawi, a town close to the northern border, said one civilian was killed.\n"}
    assistant = ingested(make_fake_assistant, tmp_path / "town", files)
    answer = assistant.ask("Which town close to the northern border has a mayor who said a civilian was killed?")
    assert answer.short is not None and answer.short.text == "al-Rawi", answer.text
    assert short_is_inside_its_quote(answer)
    assert assistant.ask("Which river runs close to the northern border?").short is None  # not called a river


@pytest.mark.parametrize(("span", "duration"), [
    ("years", True), ("three weeks", True), ("decades", True),
    ("two years ago", False), ("last week", False), ("the second week", False), ("2009", False),
    ("late Tuesday", False),
])
def test_a_span_of_time_with_nothing_placing_it_does_not_answer_when(span: str, duration: bool) -> None:
    assert _is_duration(span) is duration


def test_a_one_word_name_opening_a_sentence_is_no_name_when_its_article_writes_it_in_lower_case() -> None:
    text = "Harbour authority names new chief of pilots\nShe guided ships into the harbour. Varnow said so."
    headline = Sentence("a", 0, 43, text[:43], 0, {"text": text})
    assert _common_word(headline, Entity("PERSON", 0, 7, "Harbour"))
    said = Sentence("a", 79, 95, text[79:95], 0, {"text": text})
    assert not _common_word(said, Entity("PERSON", 79, 85, "Varnow"))  # never written in lower case
    inside = Sentence("a", 44, 78, text[44:78], 0, {"text": text})
    assert not _common_word(inside, Entity("PERSON", 70, 77, "harbour"))  # not a capital opening a sentence
