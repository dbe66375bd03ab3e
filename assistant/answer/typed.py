"""Typed answers: who / when / where / how many / which-X questions answered with the thing asked for.

The classic question-answering recipe, on what ingest stored: the candidates are the named
entities of the asked type (spaCy's labels, `LABELS`) in the evidence sentences; a candidate
counts only in a sentence *tied* to the question -- one that holds the question's main verb in
some form ("bought" is not answered by "founded"), the names it uses (in the sentence, the few
before it or the headline), a date it names, and for "how many" the thing counted ("how many
fighters" is not answered by "one civilian contractor"). Candidates are scored by their sentence's
evidence score, by how close they stand to the question's words, and by agreement across articles.

No tied candidate means the articles do not say it, however on-topic they are: the answer
declines and says what the passages do mention. Two articles giving different figures or dates
for the asked thing are both shown, each with its article and date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.answers import Answer, Short
from ..core.dates import DateRange
from ..core.documents import Entity, SentenceNote
from ..core.text import STOPWORDS, fold, stem, stems, tokenize
from .attribution import SPEECH_VERBS
from .evidence import GENERIC, NUMBER_WORDS, Cited, Evidence, Sentence
from .extractive import abstention
from .query import Query, item_type

# spaCy's OntoNotes labels that answer each kind of question, with a prior: "who" is most often a person,
# but "Who claimed the attack?" is answered by a group. Design values (not calibrated). "PLACE", "TIME" and
# "CARDINAL" also label what the NER missed: a capitalised name after "in/at/near/of" ("in Diyala"), a clock
# time ("00:15"), a figure.
LABELS: dict[str, dict[str, float]] = {
    "person": {"PERSON": 1.0, "ORG": 0.8, "NORP": 0.7, "GPE": 0.5},
    "organisation": {"ORG": 1.0, "NORP": 0.8, "GPE": 0.5, "FAC": 0.5},  # FAC: spaCy's "Jane Street" (a firm)
    "place": {"GPE": 1.0, "LOC": 1.0, "FAC": 1.0, "PLACE": 0.9},
    "date": {"DATE": 1.0, "TIME": 0.8},
    "number": {"CARDINAL": 1.0, "QUANTITY": 1.0, "MONEY": 1.0, "PERCENT": 1.0},
    "ordinal": {"ORDINAL": 1.0},
    "alias": {"ALIAS": 1.0},  # found by _ALIAS below: spaCy has no label for "the other name"
}
PERSON_NOUN_LABELS = {"PERSON": 1.0, "ORG": 0.4, "NORP": 0.3}  # design, like LABELS
TIME_UNITS = frozenset(tokenize("second minute hour day week month year decade"))  # "how many weeks" -> DATE
# nouns that count people: "how many people were killed" is answered by "eight members", "16 fighters"
PEOPLE = frozenset(tokenize(
    "people person individual civilian member fighter militant militiaman soldier troop officer "
    "personnel worker resident child adult student employee staff victim contractor marine sailor"
))
CANDIDATE_SENTENCES = 16  # design bound: how far down the scored evidence candidates are looked for
CANDIDATE_SHARE = 0.4  # own set: a candidate's sentence scores this share of the best (0.55 missed q29's date)
CONTEXT_CHARS = 300  # "just before" a sentence: about two sentences of news prose (design)
NOUN_SHARE = 0.5  # own set, issue 9: half the question's other nouns (0.67 declined 3 more answerable, caught 1 more)
HEADLINE_VERB = 0.7  # design: a sentence whose headline, not itself, names the asked event is less sure
MULTI_CLAUSES = 3  # MultiHop dev slice (qid > 389): its inference questions have three or more clauses
FULLER_SHARE = 0.7  # design: "Taylor Swift" names the answer better than "Swift" when it scores this close
SPILL = 0.8  # design: an answer in the sentence after the tied one is a little less sure
# item nouns that news names with a plain-word phrase the NER does not tag ("Iraq's defence ministry"): the
# phrase is a candidate, below a named organisation (design)
PHRASE_NOUNS = frozenset({"ministry", "department", "committee"})
PHRASE_PRIOR = 0.9
APPOSED_PRIOR = 0.9  # design, as PHRASE_PRIOR: the article's own word for it, whatever the tagger said
PHRASE_WORDS = 3  # design: "from a base in Kuwait": words between a preposition and the name its phrase holds
COUNT_WINDOW = 4  # design: words after a number in which the counted noun must stand ("16 Iraqi militia fighters")
NEAR_WORDS = 4.0  # design: proximity halves at this many words from the nearest question word
AGREE_BONUS = 0.1  # design: per further article that states the same answer as firmly as the best mention
CONFLICT_SHARE = 0.8  # design: another article's tied, different figure whose sentence scores this close is shown too
LIST_MAX = 8  # design bound on list items
LIST_SHARE = 0.5  # design: an item scores at least half the best one (own set lists k21-k24 kept whole)
STEM_PREFIX = 5  # design: "acquire"/"acquisition": stems sharing this many leading letters are one word
_WORD = re.compile(r"\w+")
# Near-synonym groups of news verbs (with their nouns), like WordNet synsets: a sentence holding any word of
# the question verb's group is about that event. A design list of general English, not calibrated; the own
# set's paraphrased questions showed the need ("treated as" / "designated", "met" / "deliberated").
VERB_GROUPS = [
    "meet meeting talk talks confer deliberate discuss",
    "treat designate classify label regard consider deem brand",
    "invade invasion incursion",
    "buy acquire acquisition purchase takeover",
    "injure injury wound hurt",
    "accuse blame attribute implicate allege charge",
    "arrest detain detention seize capture",
    "resign resignation quit",
    "found establish create form",
    "win victory",
    "announce declare",
]
_GROUP_OF = {stem(w): frozenset(stem(x) for x in g.split()) for g in VERB_GROUPS for w in g.split()}
# item nouns that name a category, not a role: "Which US official" is answered by "Secretary Lloyd Austin"
# without the word "official"; a role ("the mayor", "its spokesman") must stand beside its answer
CATEGORY_NOUNS = frozenset(tokenize(
    "person people individual celebrity figure man woman official executive leader member group organization "
    "organisation country city town place region location area site company agency party faction firm bank exchange "
    "university college school network startup studio brand manufacturer retailer airline newspaper"
))
ROLE_GAP = 2  # design: other words allowed between a role and its holder ("Qassem Musleh, a senior PMF leader")
_FILLER = frozenset("s the a an of".split())


@dataclass
class Candidate:
    text: str
    key: str  # folded, for grouping the same answer across sentences
    sentence: Sentence
    entity: Entity
    score: float
    articles: set[str] = field(default_factory=set)
    lead: Sentence | None = None  # the tied sentence, when the answer stands next to it (after it, or the
    # sentence opening the quotation it closes)
    iso: str | None = None  # a date answer placed on the calendar ("Wednesday" -> "2023-11-22")


def asked_labels(query: Query) -> dict[str, float]:
    """The entity labels (with priors) that answer the query; none for definitions ("Who is Yehia
    Rasool?" asks what he is) and for questions that ask for no typed thing."""
    if query.parse.names_subject and not item_type(query.parse.subject):
        return {}
    kind = query.item if query.asks == "list" else (query.item or query.asks)
    labels = dict(LABELS.get(kind or "", {}))
    if kind == "person" and (query.item == "person" or item_type(query.parse.subject) == "person"):
        labels = PERSON_NOUN_LABELS  # "Which official", "Who is the individual ...": a person first
    if kind == "number" and _counted(query) & TIME_UNITS:
        labels["DATE"] = 1.0
    if query.item_noun in PHRASE_NOUNS:
        labels["ITEM"] = PHRASE_PRIOR
    return labels


def role(query: Query) -> tuple[str, frozenset[str]] | None:
    """The role a who/which question asks the holder of -- (its noun's stem, the stems of its phrase:
    "Iraq's foreign minister" -> minist, {foreign, minist}) -- or None for a category ("which official")."""
    if (query.item or query.asks) not in ("person", "organisation", "place"):
        return None
    kind = query.item or query.asks
    if query.item:  # "Which Iranian commander ...", "the name of the mayor ...": the first noun of its type
        noun = next((n for n in query.parse.nouns if item_type(n.lemma) == kind), None)
    else:  # "Who is Iraq's foreign minister?"; not "Who was arrested ... killing an activist?"
        noun = next((n for n in query.parse.nouns if n.lemma == query.parse.subject and item_type(n.lemma) == kind),
                    None)
    if noun is None or stem(noun.lemma) in CATEGORY_NOUNS:
        return None
    phrase = next((c for c in query.parse.chunks if noun.text in c.split()), noun.text)
    return stem(noun.lemma), frozenset(stems(phrase) - set(query.names) - GENERIC)


def candidates(query: Query, evidence: Evidence, notes: dict[str, list[SentenceNote]]) -> list[Candidate]:
    """Every candidate of the asked type in tied evidence sentences (or in the sentence right after
    one: "...held a military parade." "The ceremony in Diyala..."), grouped by answer, best first."""
    labels = asked_labels(query)
    if not labels or not evidence.sentences:
        return []
    floor = CANDIDATE_SHARE * evidence.sentences[0].score
    found: list[Candidate] = []
    multi = multi_hop(query)
    if multi and not _covers_nouns(query, *evidence.sentences[:CANDIDATE_SENTENCES]):
        return []
    names = full_names(notes, evidence) if "PERSON" in labels else {}
    if "ORG" in labels:
        names = {**expansions(notes), **names}  # a person's name wins over initials it shares
    for sent in evidence.sentences[:CANDIDATE_SENTENCES]:
        note = sent.note(notes)
        if sent.score < floor or not (multi or tied(query, sent, note)):
            continue
        own = _in_sentence(query, sent, note, labels, names)
        if not own and (opener := _quote_opener(sent, evidence)) is not None:
            own = _in_sentence(query, opener, opener.note(notes), labels, names, SPILL)  # who is being quoted
            for cand in own:
                cand.lead = sent
        if not own and (after := _next(sent, evidence)) is not None:
            own = _in_sentence(query, after, after.note(notes), labels, names, SPILL)
            for cand in own:
                cand.lead = sent
        found += own
    headlines = {s.article_id: s.meta.get("title") or "" for s in evidence.sentences} if multi else {}
    grouped = _grouped(found, multi, headlines)
    governs = query.preposition and (query.item or query.asks) in ("place", "organisation", "person")
    if governs and (governed := [c for c in grouped if _named_as_item(query, c)]
                    or [c for c in grouped if _follows(query.preposition, c)]):
        grouped = governed  # "From which country was it launched?": "launched from a base in Kuwait"
    if outside := _outside_outlets(query):  # "a Bloomberg article" in a store without Bloomberg: an answer found
        fits = from_outlets(outside, evidence)  # only in other outlets' reports is not what Bloomberg said
        grouped = [c for c in grouped if c.articles & fits]
    return grouped


def _follows(preposition: str, cand: Candidate) -> bool:
    """Whether the candidate stands in a phrase the preposition opens, within PHRASE_WORDS words of it."""
    before = cand.sentence.text[:cand.entity.start - cand.sentence.start]
    return re.search(rf"\b{preposition}\b(?:\W+\w+){{0,{PHRASE_WORDS}}}\W*$", before, re.I) is not None


def _named_as_item(query: Query, cand: Candidate) -> bool:
    """The sentence itself calls the candidate what the question asks for: "Jane Street, the high-frequency
    trading firm where he got his start" answers "At which trading firm did he get his start?" with no
    "at" before it."""
    if not query.item_noun:
        return False
    return _beside(query, cand.sentence, cand.entity, (stem(query.item_noun), frozenset(stems(query.question))))


def _outside_outlets(query: Query) -> tuple[str, ...]:
    """The outlets the question cites that are not publishers of the store (a store publisher it names is
    already what retrieval favours; a question often cites several, and only some are caught as outlets)."""
    return tuple(o for o in query.outlets
                 if not any(fold(o) in fold(p) or fold(p) in fold(o) for p in query.publishers))


def from_outlets(outlets: tuple[str, ...], evidence: Evidence) -> set[str]:
    """The evidence articles that may be the cited outlets' reports: theirs, of an unstated publisher, or
    naming the outlet (a report that quotes "according to Bloomberg")."""
    wanted = [(fold(o), re.compile(rf"(?<!\w){re.escape(fold(o))}(?!\w)")) for o in outlets]
    out = set()
    for s in evidence.sentences:
        publisher = fold(s.meta.get("publisher") or "")
        text = fold(" ".join((s.meta.get("title") or "", s.meta.get("text") or s.text)))
        if not publisher or any(w in publisher or publisher in w or named.search(text) for w, named in wanted):
            out.add(s.article_id)
    return out


def _in_sentence(query: Query, sent: Sentence, note: SentenceNote | None, labels: dict[str, float],
                 names: dict[str, str], weight: float = 1.0) -> list[Candidate]:
    out = []
    # "Who is the pop star that ..." in a multi-hop question: the role is one more fact of the description
    # spread across the articles, not a title each states beside the name ("Which CEO ..." still is)
    held = None if multi_hop(query) and query.asks == "person" and not query.item else role(query)
    ents = _entities(sent, note, labels, query.item_noun)
    figures = sorted((e for e in ents if e.label in LABELS["number"]), key=lambda e: e.start) \
        if query.asks == "number" else []
    for found in ents:
        ent, name = _named(found, names)
        prior = labels.get(ent.label) or (APPOSED_PRIOR if _apposed(query, sent, ent) else None)
        if not prior or not (sent.start <= ent.start and ent.end <= sent.end) or not _answers(query, sent, ent):
            continue
        if held and not _beside(query, sent, ent, held):
            continue
        if figures and _placed_elsewhere(query, sent, ent, figures, note):
            continue
        score = weight * sent.score * prior * _proximity(query, sent, ent) * _acts_here(query, sent)
        iso = next((d.iso for d in (note.dates if note else ()) if d.start <= ent.start < d.end), None)
        out.append(Candidate(name, _key(name), sent, ent, score, {sent.article_id}, iso=iso))
    return out


def _apposed(query: Query, sent: Sentence, ent: Entity) -> bool:
    """The sentence calls a name of another type what is asked for, in apposition: "the mayor of al-Qaim,
    a city close to the Syrian border" makes al-Qaim (which spaCy tags a person) an answer to "which city"."""
    if not query.item_noun or ent.label not in NAMED_AS:
        return False
    after = sent.text[ent.end - sent.start:]
    return re.match(rf",\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,{PHRASE_WORDS}}}?{re.escape(query.item_noun)}\b(?!['’])",
                    after, re.I) is not None


_POSSESSIVE = re.compile(r"['’]s?$")
NAMED_AS = frozenset({"PERSON", "ORG", "NORP", "GPE", "PLACE"})  # labels spaCy gives bare surnames


def full_names(notes: dict[str, list[SentenceNote]], evidence: Evidence) -> dict[str, str]:
    """Surname -> the one full name the retrieved articles give it ("bankman-fried" -> "Sam Bankman-Fried"):
    from the people their sentences name in full, and from the "First Last" pairs of their headlines,
    which the NER never saw. News names a person in full once and by surname after, and spaCy often tags
    a bare surname as an organisation or place; a surname two different full names share ("Kelce") is
    left alone."""
    seen: dict[str, set[str]] = {}
    firsts: dict[str, set[str]] = {}  # a quotation calls a person by first name ("Sam is one of ...")
    for ent in _note_entities(notes):
        words = _POSSESSIVE.sub("", ent.text).split()
        if ent.label == "PERSON" and len(words) >= 2:
            seen.setdefault(fold(words[-1]), set()).add(" ".join(words))
            firsts.setdefault(fold(words[0]), set()).add(" ".join(words))
    for title in {s.meta.get("title") or "" for s in evidence.sentences}:
        for first, last in _HEADLINE_NAME.findall(title):
            if fold(first) not in STOPWORDS:
                seen.setdefault(fold(_POSSESSIVE.sub("", last)), set()).add(f"{first} {_POSSESSIVE.sub('', last)}")
    named = {first: full for first, full in firsts.items() if first not in seen and first not in STOPWORDS}
    return {key: next(iter(full)) for key, full in (named | seen).items() if len(full) == 1}


def expansions(notes: dict[str, list[SentenceNote]]) -> dict[str, str]:
    """Acronym -> the one name of several words the articles spell it out as ("ra" -> "Rugby Australia"):
    news spells an organisation out once and uses its initials after."""
    seen: dict[str, set[str]] = {}
    for ent in _note_entities(notes):
        words = [w for w in _POSSESSIVE.sub("", ent.text).split() if fold(w) not in STOPWORDS]
        if ent.label in NAMED_AS and len(words) >= 2 and all(w[:1].isupper() for w in words):
            seen.setdefault(fold("".join(w[0] for w in words)), set()).add(_POSSESSIVE.sub("", ent.text))
    return {short: next(iter(full)) for short, full in seen.items() if len(full) == 1}


def _note_entities(notes: dict[str, list[SentenceNote]]) -> Iterator[Entity]:
    return (ent for sentence_notes in notes.values() for note in sentence_notes for ent in note.entities)


_ACRONYM_WORD = re.compile(r"^[A-Z]{2,}$")
_HEADLINE_NAME = re.compile(r"(?=\b([A-Z][a-z]+) ([A-Z][\w’'-]*[a-z][\w’'-]*)\b)")


def _named(ent: Entity, names: dict[str, str]) -> tuple[Entity, str]:
    """The entity as a person when it is a known surname (with the full name to show), else as tagged,
    without a possessive ending ("Kenneth Walker III's oblique injury" answers "Kenneth Walker III")."""
    bare = _POSSESSIVE.sub("", ent.text).rstrip()
    full = names.get(fold(bare)) if " " not in bare and ent.label in NAMED_AS else None
    if full is not None:  # an acronym stays what it was tagged; a bare name is a person
        return Entity(ent.label if _ACRONYM_WORD.match(bare) else "PERSON", ent.start, ent.end, ent.text), full
    if bare and bare != ent.text:
        return Entity(ent.label, ent.start, ent.start + len(bare), bare), bare
    return ent, ent.text


_CONTINUES = frozenset("the it its they their he his she her this these those".split())


def _acts_here(query: Query, sent: Sentence) -> float:
    """1 when the main verb stands in the sentence itself, HEADLINE_VERB when only its headline holds it."""
    verbs = query.parse.verb_forms()
    return 1.0 if not verbs or verbs & stems(sent.text) else HEADLINE_VERB


def _next(sent: Sentence, evidence: Evidence) -> Sentence | None:
    """The evidence sentence right after `sent` in its article, when it goes on about the same thing
    (it opens with "The", "It", "They", ...: "The ceremony in Diyala ..."; not "As of Saturday, ...")."""
    return next((s for s in evidence.sentences if s.article_id == sent.article_id
                 and 0 <= s.start - sent.end <= 3 and fold(s.text.split()[0]) in _CONTINUES), None)


def _quote_opener(sent: Sentence, evidence: Evidence) -> Sentence | None:
    """The evidence sentence right before `sent` that opens the quotation `sent` closes ("Iran's foreign
    ministry said: “The US ... region." then "What we see ... administration.”"): its speaker is there."""
    if sent.text.count("”") <= sent.text.count("“"):
        return None
    return next((s for s in evidence.sentences if s.article_id == sent.article_id
                 and 0 <= sent.start - s.end <= 3 and s.text.count("“") > s.text.count("”")), None)


def _beside(query: Query, sent: Sentence, ent: Entity, held: tuple[str, frozenset[str]]) -> bool:
    """The role noun stands beside the entity, with at most ROLE_GAP other words between them besides
    the role's own phrase and names: "Iranian commander Qasem Soleimani", "Kadhimi, Iraq's interim prime
    minister"; not "a civilian contractor with similar strikes on PMF"."""
    noun, phrase = held
    words = _words(sent)
    at = _inside(words, ent)
    if not at:
        return False
    skip = phrase | set(query.names) | _FILLER
    for n, (_, w) in enumerate(words):
        if w == noun:
            lo, hi = sorted((n, at[0] if n < at[0] else at[-1]))
            between = [x for _, x in words[lo + 1:hi] if x not in skip]
            if len(between) <= ROLE_GAP and not (n > at[-1] and _APART & set(between)):
                return True
    return False


# a preposition between a name and the role after it puts them in different phrases: "three U.S. soldiers at
# a remote base" does not call the U.S. a base (after the role it places it: "the US base in Erbil")
_APART = frozenset(stem(w) for w in "at in on from to for with near by after before during against into over under "
                   "between across since".split())


# the other name a sentence gives: "Jurf al-Nasr (formerly Jurf al-Sakhr)", "X, previously known as Y"
_ALIAS = re.compile(r"\b(?:formerly|previously|originally|once)\s+(?:known\s+as\s+|called\s+|named\s+)?"
                    r"((?:[A-Z][\w'’]*(?:-[\w'’]+)*)(?:\s+(?:[A-Z]|al-|el-)[\w'’]*(?:-[\w'’]+)*){0,3})")
_CLOCK = re.compile(r"\b(\d{1,2}:\d{2}(?:\s?[ap]\.?m\.?)?)")
_FIGURE = re.compile(r"\b(\d[\d,.]*)\b")
_PLACE = re.compile(r"\b(?:in|at|near|of)\s+(?:the\s+)?((?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})")


def _entities(sent: Sentence, note: SentenceNote | None, labels: dict[str, float], item: str | None = None
              ) -> list[Entity]:
    """The sentence's entities, plus what the NER missed: for "where" names after "in/at/near" ("in
    Diyala"), for "when" clock times ("00:15"), for "how many" figures."""
    found = [e for e in note.entities if not _common_word(sent, e)] if note else []
    missed = [(rx, label) for rx, label in ((_PLACE, "PLACE"), (_CLOCK, "TIME"), (_FIGURE, "CARDINAL"),
                                            (_ALIAS, "ALIAS")) if label in labels]
    if "ITEM" in labels and item:
        missed.append((re.compile(rf"\b((?:(?!(?:the|a|an|its|their|his|her|of|and)\b)[a-z][\w-]+\s+){{1,2}}"
                                  rf"{re.escape(item)})\b"), "ITEM"))
    for rx, label in missed:
        taken = [(e.start, e.end) for e in found if e.label in labels]  # "in Jurf al-Sakhar", tagged PERSON
        for m in rx.finditer(sent.text):
            start, end = sent.start + m.start(1), sent.start + m.end(1)
            if not any(s < end and start < e for s, e in taken):
                found.append(Entity(label, start, end, m.group(1)))
    return found


def _common_word(sent: Sentence, ent: Entity) -> bool:
    """A one-word name opening its sentence that its article also writes in lower case ("Harbour
    authority names new chief of pilots" beside "into the harbour"): a capital that only starts the
    sentence, which the NER took for a name. A name is seldom written in lower case."""
    word = ent.text.strip()
    if ent.start != sent.start or " " in word or not word[:1].isupper() or not word[1:].islower():
        return False
    text = sent.meta.get("text") or sent.text
    return re.search(rf"\b{re.escape(word.lower())}\b", text) is not None


def tied(query: Query, sent: Sentence, note: SentenceNote | None) -> bool:
    """Whether the sentence is about what is asked: the main verb in some form (in it or its headline),
    the role asked about, the names (in its article), most of the other nouns (near it), and a date the
    question names (the sentence's or its article's)."""
    own = stems(sent.text) | stems(sent.meta.get("title") or "")  # the headline states the event too
    verbs = query.parse.verb_forms()
    verbs = verbs.union(*(_GROUP_OF.get(v, ()) for v in verbs))
    if verbs and not any(_same_word(v, w) for v in verbs for w in own) and not _quoted_speech(query, sent):
        return False
    if (held := role(query)) and held[1] - own:
        return False  # "Who is Iraq's foreign minister?": a sentence on its prime minister is not about it
    if (names := set(query.names) - GENERIC) and names - _article_names(sent):  # "the Friday strikes" too
        return False
    if not _covers_nouns(query, sent) or not _years_fit(query, sent) or not _holds_object(query, sent):
        return False
    return query.date_range is None or _dated_within(query, sent, note)


def _quoted_speech(query: Query, sent: Sentence) -> bool:
    """A question about a speech act ("Which ministry accused X of Y?") is answered by a quotation of it:
    accusations, warnings and denials are reported in the speaker's words, without the question's verb."""
    return _asks_speech(query) and ("”" in sent.text or "“" in sent.text or '"' in sent.text)


def _dated_within(query: Query, sent: Sentence, note: SentenceNote | None) -> bool:
    """The question's date window holds the article's date, a date the sentence states, or the
    sentence repeats the question's date words ("in 2011")."""
    window = query.date_range
    assert window is not None
    stated = [d.iso for d in note.dates] if note else []
    return (window.contains(sent.meta.get("date") or None) or any(_overlaps(window, d) for d in stated if d)
            or fold(window.phrase) in fold(sent.text))


def _overlaps(window: DateRange, iso: str) -> bool:
    """A day, month ("2023-11") or year ("2023") overlapping the window."""
    return window.start[:len(iso)] <= iso <= window.end[:len(iso)]


_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")


_STATED = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


def _years_fit(query: Query, sent: Sentence) -> bool:
    """A year or figure the question names to say which event it means ("the 2023 fire", "the strikes that
    killed 16 fighters") is the article's year or stands in the article."""
    meta = sent.meta
    text = meta.get("text") or sent.text
    return all(figure == (meta.get("date") or "")[:4] or re.search(rf"\b{re.escape(figure)}\b", text)
               for figure in _STATED.findall(query.content_text))


def multi_hop(query: Query) -> bool:
    """A question that joins facts from several articles ("Which company, having faced a legal defeat as
    reported by TechCrunch, also underwent ... as described by Polygon?"): no one sentence holds all it
    says, so it is tied to the evidence as a whole, and its answer is the entity the articles share."""
    return query.parse.clauses >= MULTI_CLAUSES or len(query.publishers) >= 2


def _covers_nouns(query: Query, *sents: Sentence) -> bool:
    """At least NOUN_SHARE of the question's other nouns stand in the sentence, just before it or in the
    headline ("How many
    fighters does the PMF have *in total*?" is not answered by a death toll of fighters)."""
    asked = {stem(n.lemma) for n in query.parse.nouns if not n.proper} - _counted(query) - GENERIC - CATEGORY_NOUNS
    if query.asks == "date":
        asked -= TIME_UNITS  # "On which day of the week ...": the question's words, not its topic
    if held := role(query):
        asked.discard(held[0])
    if not asked:
        return True
    near: set[str] = set().union(*(_near(sent) for sent in sents))
    return len(asked & near) >= NOUN_SHARE * len(asked)


def _holds_object(query: Query, sent: Sentence) -> bool:
    """The main verb's object stands in the sentence, just before it or in its headline: "When did Kataib
    Hezbollah announce its *suspension* of attacks?" is not answered by the date of another announcement."""
    objects = {stem(o) for o in query.parse.objects} - GENERIC - CATEGORY_NOUNS - _counted(query)
    return not objects or bool(objects & _near(sent))


def _near(sent: Sentence) -> set[str]:
    """Stems of the sentence, the CONTEXT_CHARS before it and its headline."""
    text = sent.meta.get("text") or sent.text
    return stems(text[max(0, sent.start - CONTEXT_CHARS):sent.end]) | stems(sent.meta.get("title") or "")


def _article_names(sent: Sentence) -> frozenset[str]:
    """Stems of the sentence's article (text, headline, publisher), dotted acronyms joined ("U.S." is
    the question's "US"): the names a question uses may stand anywhere in the article it asks about."""
    meta = sent.meta
    return _name_stems(meta.get("text") or sent.text, meta.get("title") or "", meta.get("publisher") or "")


@lru_cache(maxsize=256)
def _name_stems(*parts: str) -> frozenset[str]:
    """Once per article, not once per sentence of it: stemming a whole article is the costly part."""
    return frozenset(stems(_ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", " ".join(parts))))


def _same_word(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a == b or (n >= STEM_PREFIX and a[:STEM_PREFIX] == b[:STEM_PREFIX])


def _answers(query: Query, sent: Sentence, ent: Entity) -> bool:
    """The entity is not the question's own words, not a modifier ("Iran-backed"), and, for "how
    many", counts the asked thing."""
    if stems(ent.text.replace(".", "")) <= _name_stems(query.search_text):  # "U.S." is the question's "U.S."
        return False
    if query.asks == "person" and _SPEAKS_FOR.search(sent.text[:ent.start - sent.start]):
        return False  # "A spokesperson for Prime Minister al-Sudani asserted ...": he did not assert it
    after = sent.text[ent.end - sent.start:]
    if after.startswith("-") and not after.startswith("- "):
        return False
    if query.asks == "date" and _SPOKEN_ON.search(sent.text[:ent.start - sent.start]) \
            and not _asks_speech(query):
        return False  # "..., Rasool stated on Wednesday": the day he spoke, not the day of the strikes
    if query.asks == "date" and _is_duration(ent.text):
        return False  # "years of cooperation" says how long, not when
    if query.asks != "number" or not (counted := _counted(query)):
        return True
    wanted = (PEOPLE if counted & {stem("people"), stem("person")} else counted) | counted
    if _ELIDED.match(after):  # "2,500 service members in Iraq and another 900 in Syria": 900 of the same
        before = list(_FIGURE.finditer(sent.text[:ent.start - sent.start]))
        after = sent.text[before[-1].end():] if before else after
    return bool(set(_counted_words(after) + tokenize(ent.text)) & wanted)


def _is_duration(text: str) -> bool:
    """A span of time with nothing placing it ("years", "the past two seasons", "three weeks"), which
    answers "how long" but not "when" ("two years ago" and "last week" place it)."""
    words = [stem(w) for w in re.findall(r"[\w-]+", fold(text))]
    return bool(words) and words[-1] in TIME_UNITS | _SPANS and not set(words) & _PLACING


_SPANS = frozenset(stem(w) for w in "season seasons".split())
_PLACING = frozenset(stem(w) for w in "ago last next this early late earlier later previous past following coming "
                     "yesterday today tomorrow first second third fourth fifth final".split())


# a figure whose noun is left out: a preposition or the clause's end right after it ("another 900 in Syria")
_ELIDED = re.compile(r"\s*(?:[,.;:)]|$|(?:in|at|on|from|to|for|across|inside|near)\b)", re.I)


def _counted_words(after: str) -> list[str]:
    """The words that say what a figure counts: those right after it, up to the next figure."""
    window = []
    for word in _WORD.findall(after)[:COUNT_WINDOW]:
        if word[0].isdigit() or fold(word) in NUMBER_WORDS:
            break  # "16 fighters, including five medics": the medics are five, not 16
        window.append(word)
    return tokenize(" ".join(window))


# "..., Rasool stated on Wednesday": a reporting verb (and at most one word) right before a date
_SPOKEN_ON = re.compile(r"\b(?:said|says|told|stated|states|added|adds|noted|announced|confirmed|declared|claimed|"
                        r"reported|wrote|tweeted|posted)(?:\s+\w+)?\s+(?:on\s+)?$", re.I)


_SAID = tuple(SPEECH_VERBS.split("|"))


def _asks_speech(query: Query) -> bool:
    """Whether the question's verb is a speech act ("When did Iraq condemn ...?": the day it spoke)."""
    return any(len(v) >= 3 and any(w.startswith(v) for w in _SAID) for v in query.parse.verb_forms())


_SPEAKS_FOR = re.compile(r"\b(?:spokes(?:person|man|woman)|aide|adviser|advisor|office|lawyer|attorney)s?\s+"
                         r"(?:for|of|to)\s+(?:the\s+)?(?:[\w'’.-]+\s+){0,4}$", re.I)


def _placed_elsewhere(query: Query, sent: Sentence, ent: Entity, figures: list[Entity],
                      note: SentenceNote | None) -> bool:
    """A figure that belongs to another place than the one asked about: in "2,500 service members in Iraq
    and another 900 in neighboring Syria", 2,500 is Iraq's, so "How many troops in Syria?" is 900. A
    figure's place is one named after it and before the next figure; it counts only when the sentence
    also names the question's place."""
    asked = set(query.names)
    places = [e for e in (note.entities if note else ()) if e.label in ("GPE", "LOC")]
    if not any(stems(p.text) & asked for p in places):
        return False
    end = next((f.start for f in figures if f.start >= ent.end), None)
    own = [p for p in places if ent.end <= p.start and (end is None or p.start < end)
           and _LOCATIVE.search(sent.text[:p.start - sent.start])]
    return bool(own) and not any(stems(p.text) & asked for p in own)


# a place a figure is attached to stands in a locative phrase ("in neighboring Syria"), not as a modifier
_LOCATIVE = re.compile(r"\b(?:in|at|near|inside|across|within|throughout)\s+(?:[\w'’-]+\s+){0,2}$", re.I)


def _counted(query: Query) -> set[str]:
    """What a "how many" question counts: its first noun after "how many" ("fighters")."""
    if not re.search(r"\bhow many\b", query.search_text, re.I):
        return set()  # "how much will the toll be?" counts nothing: any amount answers
    focus = {fold(w) for w in query.focus}
    return next(({stem(n.lemma)} for n in query.parse.nouns if not n.proper and fold(n.text) in focus), set())


def _proximity(query: Query, sent: Sentence, ent: Entity) -> float:
    """1 beside a question word and the main verb ("arresting a senior PMF leader, Qassem Musleh, on
    accusations of killing ... Ihab al-Wazni": the arrested is Musleh), halving every NEAR_WORDS words away."""
    words = _words(sent)
    asked = stems(query.search_text) - GENERIC
    at = _inside(words, ent)
    near = [n for n, (pos, s) in enumerate(words) if s in asked and n not in at]
    verbs = query.parse.verb_forms()
    acts = [n for n, (_, s) in enumerate(words) if s in verbs]
    return 0.5 * _closeness(at, near) + 0.5 * _closeness(at, acts or near)


def _words(sent: Sentence) -> list[tuple[int, str]]:
    """The sentence's words as (article offset, stem), for measuring distances in words."""
    return [(m.start() + sent.start, stem(fold(m.group()))) for m in _WORD.finditer(sent.text)]


def _inside(words: list[tuple[int, str]], ent: Entity) -> list[int]:
    """Indexes of the words that start inside the entity."""
    return [n for n, (pos, _) in enumerate(words) if ent.start <= pos < ent.end]


def _closeness(at: list[int], near: list[int]) -> float:
    if not at or not near:
        return 0.5
    gap = min(abs(i - j) for i in at for j in near)
    return 1.0 / (1.0 + gap / NEAR_WORDS)


def _key(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", fold(text)).strip()


def _grouped(found: list[Candidate], multi: bool = False, headlines: dict[str, str] | None = None
             ) -> list[Candidate]:
    """One candidate per answer: its best mention, plus a bonus for every further article stating it
    (for a multi-hop question, whose answer is what the articles share, each further article counts as
    much as the best mention, and an article counts when its headline names the candidate: what the
    articles are about). "Austin" and "Lloyd Austin III" are one answer (the words of one are all
    in the other); it is named by its fullest mention that scores nearly as well."""
    found.sort(key=lambda c: -c.score)
    top = (found[0].score if found else 0.0) or 1.0
    groups: list[Candidate] = []
    per_article: dict[int, dict[str, float]] = {}  # group -> article -> its best mention's score there
    for cand in found:
        words = set(cand.key.split())
        same = next((g for g in groups if words <= set(g.key.split()) or set(g.key.split()) <= words), None)
        if same is None:
            groups.append(cand)
            per_article[id(cand)] = {cand.sentence.article_id: cand.score}
            continue
        same.articles.add(cand.sentence.article_id)
        per_article[id(same)].setdefault(cand.sentence.article_id, cand.score)
        if len(cand.text) > len(same.text) and cand.score >= FULLER_SHARE * same.score:
            same.text, same.sentence, same.entity, same.lead, same.iso = (
                cand.text, cand.sentence, cand.entity, cand.lead, cand.iso)
            same.key = cand.key
    for g in groups:
        named = {aid for aid, title in (headlines or {}).items() if _in_headline(g.text, title)} - g.articles
        g.articles |= named
        if multi:  # each article's own best mention of it, and a headline naming it counts as the best mention
            g.score = sum(per_article[id(g)].values()) + g.score * len(named)
        else:  # a further article agrees as firmly as its own mention answers the question
            others = sorted(per_article[id(g)].values())[:-1]
            g.score += AGREE_BONUS * sum(min(1.0, s / top) for s in others)
    return sorted(groups, key=lambda c: -c.score)


def _in_headline(name: str, title: str) -> bool:
    """The headline names the candidate: by its last word ("Bankman-Fried") or, for a name of three or
    more parts, by its initials ("SBF" for "Sam Bankman-Fried", as headlines shorten it)."""
    parts = re.split(r"[\s-]+", _POSSESSIVE.sub("", name))
    words = {fold(_POSSESSIVE.sub("", w)) for w in re.findall(r"[\w’'-]+", title)}
    initials = "".join(p[0] for p in parts if p).lower()
    return fold(name).split()[-1] in words or (len(initials) >= 3 and initials in words)


def typed_answer(query: Query, found: list[Candidate], strength: float) -> Answer:
    """The short answer and its sentence; each article's figure when they differ; else a refusal."""
    if not found:
        return declined(query, strength)
    best = found[0]
    rivals = [c for c in found[1:] if query.asks in ("number", "date") and c.sentence.article_id not in best.articles
              and c.sentence.score >= CONFLICT_SHARE * best.sentence.score]
    if rivals:
        return _conflicting(query, [best, *rivals[:2]], strength)
    said = f"{best.text} ({best.iso})" if best.iso and len(best.iso) == 10 and best.iso not in best.text else best.text
    quoted = sorted([best.lead, best.sentence], key=lambda s: s.start) if best.lead else [best.sentence]
    text = " ".join(f"{s.shown} [{n}]" for n, s in enumerate(quoted, 1))
    short = Short(best.entity.text, quoted.index(best.sentence) + 1, best.entity.start, best.entity.end)
    return Answer(question=query.question, text=f"{said} — {text}", citations=[s.citation(n) for n, s in
                  enumerate(quoted, 1)], confidence=strength, kind="factoid", short=short)


def _conflicting(query: Query, chosen: list[Candidate], strength: float) -> Answer:
    """Articles giving different figures or dates for the asked thing (look-alike events, or reports
    that disagree): each answer with its article and date, no single short answer."""
    lines = ["The articles differ:"]
    for n, cand in enumerate(chosen, 1):
        when = cand.sentence.meta.get("date") or "date not stated"
        lines.append(f"- {cand.text}, in “{cand.sentence.article_label}” ({when}): {cand.sentence.shown} [{n}]")
    return Answer(question=query.question, text="\n".join(lines),
                  citations=[c.sentence.citation(n) for n, c in enumerate(chosen, 1)], confidence=strength,
                  kind="list")


def list_answer(query: Query, found: list[Candidate], strength: float) -> Answer | None:
    """Every distinct answer, each cited to its sentence (items of one sentence share its number)."""
    if not found:
        return None
    cited, lines = Cited(), []
    sure = [c for c in found if c.score >= LIST_SHARE * found[0].score
            and asked_labels(query).get(c.entity.label, 0.0) >= 1.0]  # only the asked type itself: people
    if not sure:
        return None
    for cand in sure[:LIST_MAX]:
        lines.append(f"- {cand.text} [{cited.number(cand.sentence)}]")
    return Answer(question=query.question, text="\n".join(lines), citations=cited.citations, confidence=strength,
                  kind="list")


_WHAT = {"person": "who", "organisation": "which group", "place": "where", "date": "when", "number": "how many"}


def declined(query: Query, strength: float) -> Answer:
    """'The articles don't say', with what the passages do mention, in the question's own words:
    "The passages found mention the PMF military parade, but none of them says where." """
    asked = _WHAT.get(query.item or query.asks, "that")
    noun = next((n.text for n in query.parse.nouns if query.item and item_type(n.lemma) == query.item), None)
    if noun:
        asked = f"the {noun}'s name" if re.search(r"\bname of\b", query.question, re.I) else f"which {noun}"
    elif query.asks == "number" and (counted := next((n.text for n in query.parse.nouns if not n.proper
                                                      and {stem(n.lemma)} == _counted(query)), None)):
        asked = f"how many {counted}"
    mentioned = [c for c in query.parse.chunks if stems(c) - GENERIC - TIME_UNITS]
    if mentioned:
        reason = f"The passages found mention {_joined(mentioned[:3])}, but none of them says {asked}."
    else:
        reason = "The closest passages do not answer this question."
    answer = abstention(query.question, reason)
    answer.confidence = strength
    return answer


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
