"""The question, analysed once into a `Query` that everything downstream reads.

Validation (empty, too long, not text), the conversation so far, follow-up
resolution (what to search for), what the question asks for (a person, a date, a
number, a list, a briefing, ...), the names it uses as written, the date window and
publishers it names, hard filters and options. Like llama-index's `QueryBundle`:
built at the top of the engine, never re-derived from strings further down.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..core.dates import DateRange, date_key, parse_date, question_date_range
from ..core.errors import ConfigError, QuestionError
from ..core.text import tokenize
from .followups import asks_who_said, claim_of, resolve_followup
from .parse import Parsed


@dataclass(frozen=True)
class Filters:
    """Hard limits on what may be retrieved. Dates are ISO strings; undated articles fail date limits
    unless `include_undated`: a reader who limits the dates may still want the articles that state none
    (most of a scraped corpus can be undated), which no date range could otherwise reach."""

    publishers: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    include_undated: bool = False

    def where(self) -> dict[str, Any] | None:
        """The limits as a Chroma `where` (the lexical index evaluates the same dict), None when unlimited."""
        parts: list[dict[str, Any]] = []
        if self.publishers:
            parts.append({"publisher": {"$in": list(self.publishers)}})
        if self.article_ids:
            parts.append({"article_id": {"$in": list(self.article_ids)}})
        dates: list[dict[str, Any]] = []
        if self.since:
            dates.append({"date_key": {"$gte": date_key(self.since)}})
        if self.until:
            dates.append({"date_key": {"$lte": date_key(self.until)}})
            dates.append({"date_key": {"$gt": 0}})
        if dates and self.include_undated:  # Chroma wants two or more clauses under $and/$or
            parts.append({"$or": [dates[0] if len(dates) == 1 else {"$and": dates}, {"date_key": 0}]})
        else:
            parts += dates
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def allows(self, meta: dict[str, Any]) -> bool:
        """Whether a chunk's or article's metadata passes, exactly as `where()` decides in the store."""
        if self.publishers and meta.get("publisher") not in self.publishers:
            return False
        if self.article_ids and meta.get("article_id") not in self.article_ids:
            return False
        key = int(meta.get("date_key") or 0)
        if key == 0 and self.include_undated:
            return True
        if self.since and key < date_key(self.since):
            return False
        return not (self.until and (key == 0 or key > date_key(self.until)))


ANSWERERS = ("extractive", "llm", "hybrid")
HISTORY_MESSAGE_CHARS = 4000  # each earlier message is cut to this; only recent topic words matter


@dataclass(frozen=True)
class Query:
    """One question with everything the engine needs to answer it."""

    question: str  # as asked, cleaned of control characters and extra spaces
    search_text: str  # what is searched: the question, completed from the conversation when it refers back
    history: list[dict[str, str]] = field(default_factory=list)
    date_range: DateRange | None = None  # a date the question names ("in November 2023"): a boost, not a filter
    filters: Filters = field(default_factory=Filters)
    k: int = 8
    answerer: str = "extractive"
    asks: str = "other"  # what is asked for: one of ASKS
    item: str | None = None  # for lists and "which X": what each item is (person, organisation, place, ...)
    focus: tuple[str, ...] = ()  # what a "how many" question counts, as written: ("people", "were", "injured")
    names: dict[str, str] = field(default_factory=dict)  # stem -> word as written, of the names it uses
    name_phrases: tuple[str, ...] = ()  # its names of two or more words, as written ("Anthony Melone")
    parse: Parsed = field(default_factory=Parsed)  # its main verb, nouns and noun phrases (see parse.py)
    publishers: tuple[str, ...] = ()  # publishers of the store the question names ("as reported by Reuters")
    outlets: tuple[str, ...] = ()  # sources the question attributes claims to ("a Bloomberg article"), as written
    claim: str | None = None  # "Who said that?": the previous answer's claim, whose speaker is asked for
    parts: tuple[str, ...] = ()  # a yes/no or comparison question's parts as written (see question_parts)
    item_noun: str | None = None  # the noun that says what the answer is ("Which ministry ...": "ministry")
    asked_two: tuple[str, ...] = ()  # "Who won A, and who won B?": the two questions it asks (see two_questions)
    preposition: str | None = None  # "From which country ...?": "from", which the answer follows in its sentence

    @property
    def content_text(self) -> str:
        """What is searched, without the words that named a date ("in November 2023")."""
        return self.search_text.replace(self.date_range.phrase, " ") if self.date_range else self.search_text

    @property
    def kind(self) -> str | None:
        """The kind of thing a quoted sentence must hold to answer a factoid question, else None."""
        return self.asks if self.asks in FACTOID_KINDS else None


def clean_question(question: Any, limit: int) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > limit:
        raise QuestionError(f"the question is too long ({len(text):,} characters; the limit is {limit:,})")
    return text


def clean_history(history: Any) -> list[dict[str, str]]:
    if not history:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {'role', 'content'} messages")
    out = []
    for m in history:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str):
            out.append({"role": m["role"], "content": m["content"][:HISTORY_MESSAGE_CHARS]})
        else:
            raise QuestionError("history must be a list of {'role': 'user'|'assistant', 'content': str} messages")
    return out


def filter_date(value: str | None, name: str) -> str | None:
    """A --since/--until value as an ISO date (None when unset); QuestionError naming the option."""
    if not value:
        return None
    iso = parse_date(value)
    if iso is None:
        raise QuestionError(f"{name} must be a date such as 2023-11-22, got {value!r}")
    return iso


# --- what the question asks for ------------------------------------------------------------------
ASKS = ("person", "organisation", "place", "date", "number", "ordinal", "alias", "reason", "list", "yesno", "overview",
        "timeline", "comparison", "other")
FACTOID_KINDS = ("number", "date", "place", "person")  # what the extractive scorer matches sentences against
_OVERVIEW = re.compile(r"\bwhat (happened|was reported|is the (news|story)|is going on)\b|\bsummar|\bbrief me\b|"
                       r"\boverview\b|\b(a|the) briefing\b|\brecap\b|\brundown\b|\bcatch me up\b|\bkey points\b",
                       re.I)
_TIMELINE = re.compile(r"\btimeline\b|\bchronolog|\bin (what|which) order\b|\bwhat happened first\b|"
                       r"\bsequence of events\b", re.I)
# the four factoid rules the extractive scorer was calibrated with (see README, "Abstention")
_NUMBER = re.compile(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b|\bhow large\b", re.I)
_DATE = re.compile(r"\bwhen\b|\b(what|which) (\w+ )?(year|date|day|time|month)\b|\bsince when\b|\bhow long\b", re.I)
_PLACE = re.compile(r"\bwhere\b|\bwhich (city|town|province|country|base|place)\b", re.I)
_PERSON = re.compile(r"^\s*who\b|\bwho (is|was|were|are)\b", re.I)
# "Who is the individual that ...": a person, not a group (a role such as "the mayor" keeps its own rule)
_WHO_THE = re.compile(r"^\s*who (?:is|was|are|were) the\s+(individual|person|man|woman|celebrity|figure)\b", re.I)
_COMPARISON = re.compile(r"\b(more|fewer|less|larger|bigger|smaller|higher|lower|earlier|later|first)\b.*\bor\b|"
                         r"\bor\b.*\b(more|fewer|less|larger|bigger|smaller|higher|lower|earlier|later)\b|"
                         r"\bcompare", re.I)
# "Can you tell me when ...", "Do you know who ...": a question word asked through a yes/no frame
_INDIRECT = re.compile(r"^\s*(?:can|could|would|will|do|does|did)\s+(?:you|anyone|someone|the articles?|they)\s+"
                       r"(?:\w+\s+)?(?:tell|know|say|explain|remember|find|show|list|give)\b", re.I)
_YESNO = re.compile(r"^\s*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I)
# "What was Jurf al-Nasr formerly called?": the other name a thing goes by
_ALIAS = re.compile(r"^\s*what\b.*\b(?:formerly|previously|originally|once|also)\s+(?:called|named|known as)\b|"
                    r"^\s*what (?:else )?(?:is|was|were|are) .+ (?:called|known as) before\b", re.I)
_REASON = re.compile(r"^\s*why\b|\bwhat (caused|led to|prompted)\b", re.I)
# "which/what" and up to four words ("Which former Alameda Research CEO"), not "what did ..." (no item there)
_WHICH = re.compile(r"\b(?:which|what)\s+(?!(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|"
                    r"should)\b)((?:[\w'’.-]+\s+){0,3}[\w'’.-]+)", re.I)
_NAME_OF = re.compile(r"\bnames? of\s+((?:[\w'’.-]+\s+){0,4}[\w'’.-]+)", re.I)
_HOW_MANY_FOCUS = re.compile(r"\bhow (?:many|much)\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.I)
# nouns after "which"/"what" that say what each answer is; a plural one asks for a list
_ITEM_NOUNS = {
    "person": "official leader minister member commander spokesman spokesperson president analyst journalist "
              "lawmaker senator person man woman officer soldier fighter mayor governor chief head director "
              "founder executive ceo chairman envoy ambassador general prosecutor judge player coach author "
              "reporter candidate winner contractor activist secretary individual celebrity figure star singer "
              "athlete artist musician rapper entrepreneur billionaire investor businessman businesswoman "
              "scientist researcher economist politician",
    "organisation": "group militia organization organisation company faction agency party outlet publisher "
                    "ministry department firm bank exchange court university college school network startup "
                    "studio brand manufacturer retailer airline newspaper",
    "place": "city town country province base site place region location area village county island stadium "
             "venue",
    "ordinal": "anniversary edition round",  # "Which anniversary?" -- "its seventh"
}
_NOUN_TYPE = {n: t for t, nouns in _ITEM_NOUNS.items() for n in nouns.split()}
_IRREGULAR_PLURALS = {"people": "person", "men": "man", "women": "woman", "companies": "company",
                      "cities": "city", "countries": "country", "agencies": "agency", "parties": "party",
                      "militias": "militia"}


def asked_for(question: str) -> tuple[str, str | None]:
    """(what is asked for, what each item is) -- a classic question classifier on the question's words.

    Timelines and briefings first (they ask for several sentences whatever else they mention), then the
    four factoid kinds the scorer matches sentences against, then the rest."""
    if _TIMELINE.search(question):
        return "timeline", None
    if _OVERVIEW.search(question):
        return "overview", None
    if found := _item_in(_NAME_OF.search(question)):  # "What is the name of the base in Jordan where ...?"
        return _as_item(found)
    if _WHO_THE.search(question):
        return "person", "person"
    if _ALIAS.search(question):
        return "alias", None
    rules = (("number", _NUMBER), ("date", _DATE), ("place", _PLACE), ("person", _PERSON))
    asked = [(m.start(), kind) for kind, rule in rules if (m := rule.search(question))]
    closed = _YESNO.search(question) and not _INDIRECT.search(question)  # "Was anyone hurt when the roof fell?"
    if asked and not closed:  # the first question word asks; a later one opens a clause ("Who scored ... where")
        return min(asked)[1], None
    if _COMPARISON.search(question):
        return "comparison", None
    if _YESNO.search(question):
        return "yesno", None
    if ((m := _WHICH.search(question)) and not re.match(r"(type|kind|sort)s? of\b", m.group(1), re.I)
            and (found := _item_in(m))):
        return _as_item(found)
    if _REASON.search(question):
        return "reason", None
    return "other", None


def item_noun(question: str) -> str | None:
    """The noun after "which"/"what"/"name of" that says what the answer is, singular ("ministry")."""
    found = _item_in(_NAME_OF.search(question)) or _item_in(_WHICH.search(question))
    return found[2] if found else None


def _item_in(m: re.Match[str] | None) -> tuple[str, bool, str] | None:
    """(type, plural, singular noun) of the first item noun in a "which ..."/"name of ..." match."""
    for word in m.group(1).lower().split() if m else ():
        typed, plural, singular = _item_noun(word)
        if typed:
            return typed, plural, singular
    return None


def _as_item(found: tuple[str, bool, str]) -> tuple[str, str]:
    """What an item noun asks for: a list of its type when plural, else one of its type."""
    typed, plural, _ = found
    return ("list", typed) if plural else (typed, typed)


def item_type(lemma: str) -> str | None:
    """What a noun that names an answer's type is (person, organisation, place), else None."""
    return _NOUN_TYPE.get(lemma.lower())


def _item_noun(word: str) -> tuple[str | None, bool, str]:
    """(type, plural, singular) of a word that may name an answer's type."""
    word = re.sub(r"['’]s$", "", word)  # "Which Iranian commander's assassination ..."
    if word in _IRREGULAR_PLURALS:
        return _NOUN_TYPE.get(_IRREGULAR_PLURALS[word]), True, _IRREGULAR_PLURALS[word]
    if word in _NOUN_TYPE:
        return _NOUN_TYPE[word], False, word
    if word.endswith("s") and word[:-1] in _NOUN_TYPE:
        return _NOUN_TYPE[word[:-1]], True, word[:-1]
    return None, False, word


def how_many_focus(text: str) -> tuple[str, ...]:
    """What a "how many" question counts and what happened to it: ("people", "were", "injured")."""
    m = _HOW_MANY_FOCUS.search(text)
    return tuple(m.group(1).split()) if m else ()


def name_words(text: str) -> dict[str, str]:
    """Stem -> word as written, for the names a question uses: capitalised words after the first,
    and acronyms (stems decide matching; the written words are what a refusal shows the user)."""
    words = re.findall(r"[\w'’-]+", text)
    out: dict[str, str] = {}
    for w in words[1:]:
        if w[:1].isupper() and not w.isdigit():
            for t in tokenize(w):
                out.setdefault(t, w)
    return out


_LEAD_PREPOSITION = re.compile(r"\s*(from|in|into|to|at|on|near|inside|outside)\s+(?:which|what)\b", re.I)


_WH_START = re.compile(r"^\s*(?:which|who|whom|when|where|what|how)\b", re.I)
_SECOND_ASK = re.compile(r",?\s+and\s+(which|who|when|where|what|how many|how much)\s+(?P<tail>[^?]+)\??\s*$", re.I)
_ELLIPTIC = re.compile(r"^(during|in|on|at|after|before|under|for|from|by|since|until)\b", re.I)


def two_questions(question: str) -> tuple[str, str] | None:
    """A question that asks two things ("Which prime minister was in office during A, and which during
    B?") as two questions, the second completed from the first when it leaves out all but a phrase
    ("which during B" -> "Which prime minister was in office during B?"); else None."""
    m = _SECOND_ASK.search(question)
    if not m or not _WH_START.match(question):
        return None
    first = question[:m.start()].strip(" ,") + "?"
    tail = m.group("tail").strip()
    if short := _ELLIPTIC.match(tail):
        cut = list(re.finditer(rf"\b{short.group(1)}\b", first, re.I))
        if not cut:
            return None
        second = first[:cut[-1].start()] + tail + "?"
    else:
        second = f"{m.group(1)[0].upper()}{m.group(1)[1:]} {tail}?"
    return first, second


def lead_preposition(question: str) -> str | None:
    """"From which country ...?": "from" (the answer stands in a phrase it opens), else None."""
    m = _LEAD_PREPOSITION.match(question)
    return m.group(1).lower() if m else None


def name_phrases(text: str) -> tuple[str, ...]:
    """The names of two or more capitalised words a question uses after its first word ("Anthony
    Melone", "Wall Street Journal"): a person or thing named in full, which the articles either
    mention in some part or not at all."""
    words = re.findall(r"[\w'’-]+", text)[1:]
    runs: list[list[str]] = [[]]
    for w in words:
        if w[:1].isupper() and not w.isdigit():
            runs[-1].append(re.sub(r"['’]s$", "", w))
        elif runs[-1]:
            runs.append([])
    return tuple(dict.fromkeys(" ".join(r) for r in runs if len(r) >= 2))


# --- the sources a question attributes its claims to ----------------------------------------------
_NAME = r"['‘“\"]?(?:[Tt]he\s+)?(?P<{}>[A-Z][\w&.’'-]*(?:\s+[A-Z][\w&.’'-]*){{0,4}})"
_OUTLET = re.compile(
    r"\b(?:(?:as )?reported by|published by|(?:article|report|piece|story|coverage)s? "
    r"(?:from|by|in))\s+(?:an?\s+|the\s+)?(?:(?:article|report)\s+(?:from|by|in)\s+)?" + _NAME.format("after")
    + r"|\b(?:[Aa]n?|[Tt]he)\s+" + _NAME.format("before")
    + r"(?:['’]s)?\s+(?:(?:first|second|third|latest|recent|earlier|later|other)\s+)?"
    r"(?:article|report|piece|story)s?\b")


def outlets_named(question: str) -> tuple[str, ...]:
    """The sources a question attributes what it asks about to: "according to a Bloomberg article", "as
    reported by The Age", "an article from The Guardian" (names as written, in order). Not "according to
    Eddy Cue": that names a speaker, whom the articles may quote by surname."""
    found = (m.group("after") or m.group("before") for m in _OUTLET.finditer(question))
    names = (re.sub(r"['’]s$", "", name.strip(" '’\"”")) for name in found if name)
    return tuple(dict.fromkeys(n for n in names if not _CALENDAR.match(n)))  # "an article from December"


_CALENDAR = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)


# --- the parts of a yes/no or comparison question -------------------------------------------------
# what joins two claims ("A says P, while B says Q"); each later part keeps the words that join it
_JOINS = re.compile(r",?\s+(?=(?:while|whereas|in contrast to|contrasting with|as opposed to|compared (?:to|with)|"
                    r"in the same (?:manner|way) (?:that|as)|similar to how)\b)|"
                    r",?\s+(?=and (?:does|did|do|is|was|were|has|have|had|the second|another)\b)|"
                    r"\s+(?=and (?:the|an?|another) (?:[\w'’.|&-]+ ){0,6}?(?:article|report|piece)s?\b)", re.I)
_ORDER_WORD = r"(?:before or after|before|after|prior to)\b"
_REPORTED = r"\b(?:report|publish|mention|discuss|cover|announc|releas|wr[io]t|said|stat|highlight|not|detail)\w*"
# "... reported before X" or "... before <someone> reported Y": an order of two reports, which dates can settle
_ORDER = (re.compile(_REPORTED + r"(\s+)(?=" + _ORDER_WORD + ")", re.I),
          re.compile(r"(\s+)(?=" + _ORDER_WORD + r"\s+(?:[\w'’.|&-]+\s+){0,12}?" + _REPORTED + r"\b)", re.I))
# only a question about whether a report came before another is an order question, not one about whether
# the reporting stayed consistent or changed in between
_ORDER_ASKED = re.compile(r"^\s*(?:did|was|were|is|had|has)\b(?!.*\b(?:consisten|inconsisten|chang|contradict|"
                          r"agree|disagree|differ|shift|remain|align)\w*)", re.I)
_REPORTS = re.compile(_REPORTED + r"|\barticle", re.I)
# "Do both A and B report P?": one part per source, each asking P
_BOTH = re.compile(r"\bboth\s+(?P<a>[^,]+?)\s+and\s+(?P<b>[^,]+?)(?=\s+(?:report|say|said|suggest|indicat|mention|"
                   r"describ|discuss|state|claim|cover|highlight|note|agree|imply|acknowledg|attribut|portray|"
                   r"focus|express|detail)\w*\b)", re.I)
_OR = (re.compile(r",?(\s+or\s+)(?=\S)", re.I),)


def question_parts(question: str) -> tuple[str, ...]:
    """The parts of a yes/no or comparison question as written: each claim it joins ("A says P" /
    "while B says Q"), each report an order question compares ("the X report" / "before the Y report"),
    each source of "both A and B", each side of "more in A or in B". One part when nothing joins."""
    body = question.strip().rstrip("?").strip()
    if both := _BOTH.search(body):
        whole = both.group(0)
        return tuple(body.replace(whole, both.group(name), 1) for name in ("a", "b"))
    parts = [p.strip(" ,") for p in _JOINS.split(body) if p.strip(" ,")]
    if len(parts) == 1 and _ORDER_ASKED.search(body) and _REPORTS.search(body):
        parts = _split_once(body, _ORDER)
    if len(parts) == 1 and _COMPARISON.search(body):
        parts = _split_once(body, _OR)
    return tuple(parts)


def _split_once(text: str, joints: tuple[re.Pattern[str], ...]) -> list[str]:
    """`text` cut in two at its first joint (the span of group 1 of the first pattern that matches)
    with words on both sides, else `text` whole."""
    for joint in joints:
        m = joint.search(text)
        if m and text[: m.start(1)].strip() and text[m.end(1):].strip():
            return [text[: m.start(1)].strip(" ,"), text[m.end(1):].strip(" ,")]
    return [text]


def analyse(
    question: Any,
    history: Any,
    *,
    today: date,
    max_chars: int,
    k: int,
    answerer: str,
    since: str | None = None,
    until: str | None = None,
    publishers: list[str] | None = None,
    article_ids: list[str] | None = None,
    include_undated: bool = False,
    rewrite: Callable[[str, list[dict[str, str]]], str] | None = None,
    named_publishers: Callable[[str], set[str]] | None = None,
    parse: Callable[[str], Parsed] | None = None,
) -> Query:
    """Validate and analyse a question. `rewrite` (the LLM's condense step) replaces the
    rule-based follow-up resolution when given; `named_publishers` finds the store's publishers
    a text names; `parse` the question's grammar (see parse.py)."""
    text = clean_question(question, max_chars)
    turns = clean_history(history)
    if answerer not in ANSWERERS:
        raise ConfigError(f"answerer must be 'extractive', 'llm' or 'hybrid', got {answerer!r}")
    filters = Filters(tuple(publishers or ()), tuple(article_ids or ()),
                      filter_date(since, "since"), filter_date(until, "until"), bool(include_undated))
    claim = claim_of(turns) if asks_who_said(text) else None
    if claim:  # the claim is what to find; its speaker is the answer
        search = claim
    else:
        search = rewrite(text, turns) if rewrite is not None else resolve_followup(text, turns)
    date_range = question_date_range(search, today)
    content = search.replace(date_range.phrase, " ") if date_range else search
    asks, item = ("person", "person") if claim else asked_for(text)
    named = tuple(sorted(named_publishers(search))) if named_publishers else ()
    return Query(text, search, turns, date_range, filters, k, answerer, asks=asks, item=item,
                 focus=how_many_focus(content), names=name_words(content), name_phrases=name_phrases(content),
                 publishers=named, claim=claim,
                 outlets=outlets_named(text),
                 parts=question_parts(text) if asks in ("yesno", "comparison") else (),
                 item_noun=item_noun(text), preposition=lead_preposition(text),
                 asked_two=two_questions(text) or (),
                 parse=parse(text) if parse is not None else Parsed())
