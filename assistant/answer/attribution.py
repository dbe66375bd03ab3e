"""Who said it: follow-ups such as "Who said that?" or "Who made that claim?" (recognised by
`followups.asks_who_said`) answer with the speaker of the claim the previous answer quoted, found in the
cited sentence (for a quotation, the sentence before or after it), never by repeating the previous answer.

Speakers are found by the reporting patterns of news English, in order: "according to X", the inverted
"..., said X", and "X said / confirmed / warned ...". A clause between commas after the subject
("Kataib Hezbollah, based in Jurf al-Sakhar, confirmed ...") is not part of the speaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.answers import ABSTAIN_TEXT, Answer, Short
from ..core.text import sentence_spans, stems
from .evidence import Sentence
from .query import Query

SPEECH_VERBS = (r"said|says|told|stated|announced|confirmed|claimed|warned|revealed|detailed|noted|added|reported|"
          r"labell?ed|called|described|insisted|argued|denied|accused|blamed|condemned|declared|rejected|stressed|"
          r"emphasi[sz]ed|asserted|explained|acknowledged|admitted|pledged|vowed|urged|cautioned|threatened|"
          r"promised|estimated|suggested|indicated|maintained")
_ACCORDING = re.compile(r"\baccording to (?P<who>[^,.;:“”\"]+)", re.I)
_INVERTED = re.compile(rf"[,”\"]\s+(?:{SPEECH_VERBS})\s+(?P<who>[A-Z][^,.;:“”\"]+)")
_TRAILING = re.compile(rf"[,”\"]\s+(?P<who>[^,;“”\"]{{2,60}}?)\s+(?:has |have |had |also )?(?:{SPEECH_VERBS})\W*$")
_SUBJECT = re.compile(rf"^(?P<who>.+?)\s+(?:has |have |had |also |later |then )?(?:{SPEECH_VERBS})\b")
_APPOSITIVE = re.compile(r",[^,]*,")
SUBJECT_WORDS = 8  # a speaker before the verb is a short noun phrase once clauses between commas go (design bound)
_LEAD_WORDS = re.compile(r"^(?:however|meanwhile|additionally|notably|also|in response|on \w+)[, ]+", re.I)


@dataclass(frozen=True)
class Speaker:
    text: str
    start: int  # offsets in the article's text
    end: int


def speaker_in(text: str, offset: int = 0) -> Speaker | None:
    """The speaker a sentence names, with its span (article offsets when `offset` is the sentence start)."""
    for pattern in (_ACCORDING, _INVERTED, _TRAILING):
        if m := pattern.search(text):
            return _trimmed(text, m.start("who"), m.end("who"), offset)
    if m := _SUBJECT.search(text):
        start, end = m.start("who"), m.end("who")
        if len(_APPOSITIVE.sub(" ", text[start:end] + ",").split()) > SUBJECT_WORDS:
            return None  # the verb is far from the sentence's start: not "X said"
        lead = _LEAD_WORDS.match(text[start:end])
        if lead:
            start += lead.end()
        comma = text.find(",", start, end)
        if comma != -1:
            end = comma
        return _trimmed(text, start, end, offset)
    return None


def _trimmed(text: str, start: int, end: int, offset: int) -> Speaker | None:
    while end > start and text[end - 1] in " .,;:":
        end -= 1
    while start < end and text[start] in " “\"":
        start += 1
    return Speaker(text[start:end], offset + start, offset + end) if end > start else None


def claimed_sentence(claim: str, sentences: list[Sentence]) -> Sentence | None:
    """The evidence sentence that states the claim: the one sharing most of its words."""
    words = stems(claim)
    if not words or not sentences:
        return None
    best = max(sentences, key=lambda s: len(words & stems(s.text)) / len(words))
    return best if len(words & stems(best.text)) / len(words) >= CLAIM_MATCH else None


CLAIM_MATCH = 0.5  # the sentence must hold most (half) of the claim's words to state it; a design bound, not tuned


def attribute(sentence: Sentence) -> tuple[Sentence, Speaker] | None:
    """The speaker of `sentence`, with the sentence that names them: itself, else, for a quotation,
    the sentence before (“...,” Rasool added. “They could also ...”) or after it."""
    found = speaker_in(sentence.text, sentence.start)
    if found:
        return sentence, found
    text = sentence.meta.get("text") or ""
    spans = sentence_spans(text)
    before = [(s, e) for s, e in spans if e <= sentence.start][-1:]
    after = [(s, e) for s, e in spans if s >= sentence.end][:1]
    # only a quotation borrows its speaker from a neighbour: the next sentence's speaker is not
    # necessarily the speaker of this one (a wrong attribution is worse than none)
    neighbours = before + after if sentence.text.startswith(("“", '"')) else []
    for s, e in neighbours:
        found = speaker_in(text[s:e], s)
        if found:
            return Sentence(sentence.article_id, s, e, text[s:e], sentence.chunk_rank, sentence.meta), found
    return None


def attribution_answer(query: Query, sentences: list[Sentence], confidence: float) -> Answer:
    """"Who said that?": the speaker first (the short answer), then the sentence naming them, cited."""
    found = None
    claim = query.claim or ""
    for start, end in sentence_spans(claim):  # the previous answer's first attributable sentence
        said = claimed_sentence(claim[start:end], sentences)
        found = attribute(said) if said else None
        if found:
            break
    if found is None:
        answer = Answer(question=query.question, text=f"{ABSTAIN_TEXT} They don't say who said it.",
                        abstained=True)
        answer.confidence = confidence
        return answer
    sent, speaker = found
    who = speaker.text[:1].upper() + speaker.text[1:]
    return Answer(question=query.question, text=f"{who}: {sent.shown} [1]", citations=[sent.citation(1)],
                  answerer="extractive", confidence=confidence, kind="factoid",
                  short=Short(speaker.text, 1, speaker.start, speaker.end))
