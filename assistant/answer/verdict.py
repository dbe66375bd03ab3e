"""Yes/no and comparison questions: a verdict only when a cited sentence states it or dates settle it.

Each part of the question (`Query.parts`: "A says P" / "while B says Q", "the X report" / "before the
Y report", one side of "more in A or in B") gets its best supporting sentence, from the articles of the
publisher the part names when the store has that publisher. A part is *clearly supported* when its
sentence holds most of the part's content words, weighted by rarity (see `coverage`), and agrees with it
on negation. Then:

- an order question ("Was the X report published before the Y report?") is settled by the publication
  dates of the two clearly supporting sentences' articles;
- any other question is "Yes" only when every part is clearly supported; otherwise there is no verdict (a
  part without support is never a "No"): the answer says which part the articles do not settle and quotes
  what they do say;
- a comparison of figures ("more in A or in B?") names the larger only when each side's sentence states
  one figure of the same kind.

Every quote is a `Sentence` as gathered (an exact span of its article), cited by `Sentence.citation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.answers import Answer
from ..core.text import fold, stems, tokenize
from .evidence import CALENDAR, GENERIC, Cited, Evidence, Sentence
from .query import Query

# Share of a part's weighted content words its sentence must hold to support it clearly, and how many of
# them at least. Calibrated on the MultiHop-RAG dev slice (600 non-null queries with qid > 389, never
# subset_250): on its 164 two-or-more-part yes/no comparisons (63% "Yes"), "every part at least 0.4"
# gave 43 Yeses of which 23 right (the base rate: paraphrase defeats word overlap), 0.5 gave 15 of 19,
# 0.6 with 3 words gave 8 of 8; 0.6 with 2 words 8 of 9.
SUPPORT = 0.6
MIN_MATCHED = 3
UNSETTLED = "The articles don't settle this; what each says:"
ORDINALS = ("first", "second", "third", "fourth", "fifth")
# words that frame a claim (who says it, how, in what kind of text) rather than state it
FRAME = frozenset(tokenize(
    "article articles report reports reported reporting piece story source outlet publication news published "
    "suggest suggests indicate indicates state states stated claim claims claimed describe describes discuss "
    "discusses mention mentions focus focuses imply implies say says said while whereas contrast compared "
    "compare similar same manner way another second first other also both respective respectively align agree "
    "portray portrays highlight highlights note notes detail details credit credits attribute attributes "
    "before after prior later earlier"
    # indefinite pronouns ask whether any such thing is stated ("Was anyone killed?"), they are not stated
    " anyone anybody someone somebody anything something everyone everybody"
))
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|without|fail(?:s|ed)?|n't|cannot|lack(?:s|ed)?|neither|"
                       r"no longer|denied|denies|deny)\b|n['’]t\b", re.I)
_ORDER = re.compile(r"^(before or after|before|after|prior to)\b", re.I)
_YEAR = re.compile(r"^(19|20)\d\d$")
_FIGURE = re.compile(r"(?<![\w.])\$?\d[\d,]*(?:\.\d+)?\s*(?:%|percent|per cent|million|billion|trillion)?", re.I)
_MORE = re.compile(r"\b(more|larger|bigger|higher|greater)\b", re.I)
_LESS = re.compile(r"\b(fewer|less|smaller|lower)\b", re.I)


@dataclass(frozen=True)
class Side:
    """One part of the question with its best sentence and how well that sentence supports it."""

    part: str
    sentence: Sentence | None
    coverage: float  # weighted share of the part's content words the sentence holds (see `coverage`)
    matched: int  # how many of them
    polarity_agrees: bool  # both negated, or neither
    publishers: tuple[str, ...] = ()  # the store's publishers the part names (its sentence is theirs)

    @property
    def clear(self) -> bool:
        """Whether the sentence clearly states the part (enough of its words, same negation)."""
        return self.sentence is not None and self.strong and self.polarity_agrees

    @property
    def strong(self) -> bool:
        return self.coverage >= SUPPORT and self.matched >= MIN_MATCHED


def verdict_answer(query: Query, evidence: Evidence, strength: float) -> Answer | None:
    """A yes/no or comparison answer for `query` from `evidence`, or None to quote the evidence instead
    (a one-part question without a verdict: quoting its best sentences is already "what it says")."""
    parts = query.parts or (query.question,)
    publishers = _publishers_of(evidence)
    sides = [side_for(part, query, evidence, publishers) for part in parts]
    order = _ORDER.match(parts[1]) if len(parts) == 2 else None
    if order:
        verdict = date_verdict(order.group(1).lower(), sides)
    elif query.asks == "comparison":
        verdict = figure_verdict(query.question, sides)
    else:
        verdict = claim_verdict(sides)
    if verdict is None and len(sides) == 1:
        return None
    return _answer(query.question, verdict, sides, strength)


# --- one part ------------------------------------------------------------------------------------

def side_for(part: str, query: Query, evidence: Evidence, publishers: set[str]) -> Side:
    """The part's best sentence: the highest coverage of its content words (evidence score breaks ties),
    among the sentences of the publishers the part names when the store has them."""
    named = {p for p in query.publishers if _names(part, p)} & publishers
    content = content_stems(part, named)
    pool = [s for s in evidence.sentences if not named or s.meta.get("publisher") in named]
    if not content or not pool:
        return Side(part, pool[0] if pool else None, 0.0, 0, True, tuple(sorted(named)))
    best = max(pool, key=lambda s: (coverage(content, s, evidence.weights)[0], s.score))
    share, matched = coverage(content, best, evidence.weights)
    agrees = _negated(_ORDER.sub("", part)) == _negated(best.text)
    return Side(part, best, share, matched, agrees, tuple(sorted(named)))


def content_stems(part: str, publishers: set[str]) -> set[str]:
    """What the part claims: its stems less question and framing words, month and weekday names, years,
    and the names of the publishers it names (those pick the articles, they are not the claim)."""
    out = stems(_ORDER.sub("", part)) - GENERIC - FRAME - CALENDAR
    for name in publishers:
        out -= stems(name)
    return {t for t in out if not _YEAR.match(t)}


def coverage(content: set[str], sentence: Sentence, weights: dict[str, float]) -> tuple[float, int]:
    """(weighted share, count) of `content` the sentence or its headline holds. Weights are the question's
    idf weights (rare words count most); a stem without one weighs as the median question word."""
    if not content:
        return 0.0, 0
    fallback = sorted(weights.values())[len(weights) // 2] if weights else 1.0
    held = content & (stems(sentence.text) | stems(sentence.meta.get("title") or ""))
    total = sum(weights.get(t, fallback) for t in content)
    return sum(weights.get(t, fallback) for t in held) / total, len(held)


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _publishers_of(evidence: Evidence) -> set[str]:
    return {s.meta.get("publisher") for s in evidence.sentences if s.meta.get("publisher")}


def _names(part: str, publisher: str) -> bool:
    """Whether `part` names `publisher`, as whole words, ignoring case and accents."""
    return re.search(r"(?<!\w)" + re.escape(fold(publisher)) + r"(?!\w)", fold(part)) is not None


# --- verdicts ------------------------------------------------------------------------------------

def date_verdict(order: str, sides: list[Side]) -> str | None:
    """Settle "was the first report before/after the second" by its articles' publication dates, when
    both reports are clearly found, both dated, on different days. A part that asks the negation ("did
    X fail to report ... before ...") turns the answer over."""
    first, second = sides
    if not (first.strong and second.strong and first.sentence and second.sentence):
        return None
    d1, d2 = first.sentence.meta.get("date"), second.sentence.meta.get("date")
    if not d1 or not d2 or d1 == d2 or first.sentence.article_id == second.sentence.article_id:
        return None
    earlier = d1 < d2
    if order == "before or after":
        return "Before" if earlier else "After"
    holds = earlier if order in ("before", "prior to") else not earlier
    if _negated(first.part) != _negated(first.sentence.text):
        holds = not holds
    return "Yes" if holds else "No"


def claim_verdict(sides: list[Side]) -> str | None:
    """Yes when every part is clearly stated; otherwise none. An unsupported part is not a No; and a
    sentence that covers a part but disagrees on negation is not taken as stating the opposite, because
    on the dev slice that rule was right about half the time (12 of 26 at the support bound): a "not" in a
    sentence is seldom about the very claim asked."""
    return "Yes" if all(s.clear for s in sides) else None


def figure_verdict(question: str, sides: list[Side]) -> str | None:
    """For "more in A or in B": the side with more (or fewer, as asked), when each side's sentence clearly
    states one figure of the same kind (both money, both percent, both plain counts); None otherwise."""
    if len(sides) != 2 or not all(s.strong and s.sentence for s in sides):
        return None
    figures = [_figures(s.sentence.text) for s in sides if s.sentence]
    if any(len(f) != 1 for f in figures) or figures[0][0][1] != figures[1][0][1]:
        return None
    (a, _), (b, _) = figures[0][0], figures[1][0]
    if a == b or not (_MORE.search(question) or _LESS.search(question)):
        return None
    more = bool(_MORE.search(question))
    winner = sides[0] if (a > b) == more else sides[1]
    return f"{'More' if more else 'Fewer'}: “{_as_asked(winner.part)}”, by the figures the articles state"


def _figures(text: str) -> list[tuple[float, str]]:
    """(value, kind) of each figure a sentence states; kind is "$", "%" or "" (a count)."""
    out = []
    for m in _FIGURE.finditer(text):
        raw = m.group(0).lower()
        number = re.search(r"\d[\d,]*(?:\.\d+)?", raw)
        if not number:
            continue
        value = float(number.group(0).replace(",", ""))
        for word, times in (("million", 1e6), ("billion", 1e9), ("trillion", 1e12)):
            value *= times if word in raw else 1
        kind = "$" if raw.startswith("$") else "%" if ("%" in raw or "per" in raw) else ""
        out.append((value, kind))
    return out


# --- the answer ----------------------------------------------------------------------------------

def _answer(question: str, verdict: str | None, sides: list[Side], strength: float) -> Answer:
    """The verdict (or "don't settle") line, then one line per part quoting its sentence with [n]; a part
    without clear support is named (by its place) as unsettled beside what the articles do say about it."""
    lines = [f"{verdict}." if verdict else UNSETTLED]
    cited = Cited()
    for n, side in enumerate(sides):
        sent = side.sentence
        prefix = "" if verdict or side.clear else f"Not settled: {_which(n, side)}. "
        if sent is None:
            lines.append(f"Not settled: {_which(n, side)}. Nothing in them speaks to it.")
            continue
        where = ", ".join(x for x in (sent.meta.get("publisher"), sent.meta.get("date")) if x)
        label = f"In “{sent.article_label}”" + (f" ({where})" if where else "")
        lines.append(f"{prefix}{label}: {sent.shown} [{cited.number(sent)}]")
    return Answer(question=question, text="\n".join(lines), citations=cited.citations, abstained=False,
                  answerer="extractive", confidence=strength, kind="yesno")


def _which(n: int, side: Side) -> str:
    """A part named by its place in the question and the publishers it names, not by echoing its words:
    an echo would put the question's own words ("was there no change") into the answer as if stated."""
    place = ORDINALS[n] if n < len(ORDINALS) else f"number {n + 1}"
    return f"the {place} part of the question" + (f" ({', '.join(side.publishers)})" if side.publishers else "")


def _as_asked(part: str) -> str:
    return _ORDER.sub("", part).strip(" ,") or part
