"""The default, fully offline answerer: quote the sentences that answer the question.

The answer is one to three sentences copied verbatim from the articles, each
followed by its [n]; so every claim is grounded by construction. A "[9]" inside a
quoted sentence is written "(9)" in the answer's text (the citation's quote stays
exact), so only real citations look like citations. When the best
sentences come from different articles and disagree on the figure or date asked
for, each is introduced with its article and date, so separate events stay apart.
"""

from __future__ import annotations

from ..core.answers import ABSTAIN_TEXT, Answer
from ..core.text import stems
from .evidence import Evidence, Sentence, figures_in, numbers_in

MAX_SENTENCES = 3
RELATIVE_FLOOR = 0.8  # a further sentence must score at least this share of the best one
ADJACENT_FLOOR = 0.65  # ... or this share when it directly follows a chosen sentence (answers spill over)


def abstention(question: str, reason: str) -> Answer:
    return Answer(question=question, text=f"{ABSTAIN_TEXT} {reason}".strip(), abstained=True)


def select(evidence: Evidence, kind: str | None) -> list[Sentence]:
    """Best sentence, plus up to two that add something and score close to it. `kind` is the factoid
    kind asked for (`Query.kind`: number, date, place, person) or None."""
    if not evidence.sentences:
        return []
    best = evidence.sentences[0]
    chosen = [best]
    covered = stems(best.text)
    if kind and not best.kind_match:
        # the answer often spills into the next sentence: "...held a parade." "The ceremony in Diyala..."
        follow = next((c for c in evidence.sentences if c.article_id == best.article_id and c.kind_match
                       and 0 < c.start - best.end <= 3), None)
        if follow is not None:
            chosen.append(follow)
            covered |= stems(follow.text)
    for cand in evidence.sentences[1:]:
        if len(chosen) >= MAX_SENTENCES or cand.score < ADJACENT_FLOOR * best.score:
            break
        follows = any(c.article_id == cand.article_id and 0 < cand.start - c.end <= 3 for c in chosen)
        if cand in chosen or (cand.score < RELATIVE_FLOOR * best.score and not follows
                              and not _other_event(cand, best, chosen, kind)):
            continue
        cand_stems = stems(cand.text)
        other_event = _other_event(cand, best, chosen, kind)
        if _similar(cand_stems, covered) and not (other_event and _new_figure(cand, chosen, kind)):
            continue  # says the same again (a look-alike event's different figure is not the same)
        adds_question_words = bool((set(evidence.question_terms) & cand_stems) - covered)
        if other_event or adds_question_words:
            chosen.append(cand)
            covered |= cand_stems
    return chosen


def _other_event(cand: Sentence, best: Sentence, chosen: list[Sentence], kind: str | None) -> bool:
    """Another article's figure or date for the same question: a look-alike event to keep apart.
    It must match the question as well as the best sentence does, so a question that names its
    event ("the Friday strikes") does not pull in the others."""
    return (
        kind in ("number", "date")
        and cand.kind_match
        and best.kind_match
        and cand.article_id not in {c.article_id for c in chosen}
        and cand.overlap >= 0.8 * best.overlap
    )


def _new_figure(cand: Sentence, chosen: list[Sentence], kind: str | None) -> bool:
    """Whether `cand` states a figure (or date) for the asked thing that no chosen sentence states."""
    return bool(figures_in(cand.text, kind) - set().union(*(figures_in(c.text, kind) for c in chosen)))


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a) and len(a & b) / len(a) >= 0.7


def several_events(chosen: list[Sentence], kind: str | None) -> bool:
    """Different articles giving different figures/dates for the thing asked: keep them apart."""
    if kind not in ("number", "date") or len({s.article_id for s in chosen}) < 2:
        return False
    figures = [frozenset(numbers_in(s.text)) for s in chosen if s.kind_match]
    return len(set(figures)) > 1


def compose(question: str, chosen: list[Sentence], confidence: float, kind: str | None = None,
            dated: bool = False) -> Answer:
    """Quote the chosen sentences; name article and date where events must stay apart, a date is asked
    (`kind` "date") or the question names a date (`dated`)."""
    citations = []
    parts = []
    apart = several_events(chosen, kind)
    label_dates = apart or ((dated or kind == "date") and any(s.meta.get("date") for s in chosen))
    if apart:
        parts.append("The articles describe separate events:")
    for n, sent in enumerate(chosen, 1):
        citations.append(sent.citation(n))
        quoted = sent.shown  # only the answer's own [n] may look like a citation
        if label_dates:
            when = sent.meta.get("date") or "date not stated"
            parts.append(f"In “{sent.article_label}” ({when}): {quoted} [{n}]")
        else:
            parts.append(f"{quoted} [{n}]")
    return Answer(
        question=question,
        text="\n".join(parts) if label_dates else " ".join(parts),
        citations=citations,
        abstained=False,
        answerer="extractive",
        confidence=confidence,
    )
