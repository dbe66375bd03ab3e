"""The question's grammar: its main verbs, its nouns and noun phrases, from spaCy's parser.

Answering parses nothing but the question (sentences were annotated at ingest). What the parse
gives that word lists cannot: which words are the verbs the answer must be about ("Who *bought*
the port operator?" is not answered by who founded it), whether "Who is X?" names a person
("Who is Yehia Rasool?": a definition) or a role ("Who is Iraq's foreign minister?": a person),
and the noun phrases a refusal names ("They mention the port operator, but ...").

The pipeline is en_core_web_sm 3.8.0 without its NER (the names come from capitalisation, see
`query.name_words`); its files are checked against the pinned hashes (`ingest.annotate.PINNED`).
Loaded once per process on first use (about 0.5 s); a question takes about 3 ms.

A verb's other forms come from lemminflect (MIT, a maintained inflection table): "win" is also
"won" and "winning", "strike" also "struck" -- what a Porter stem cannot know.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.text import stem, tokenize

# verbs that carry no event of their own: auxiliaries, "say"-type reporting verbs, light verbs and verbs
# of order ("Which group's invasion preceded ..." asks about the invasion) and support verbs whose noun
# names the event ("carried out strikes"). A design list (not calibrated):
# an answer need not repeat them ("What did X say" is answered by "X stated").
LIGHT_VERBS = frozenset(
    "be do have say tell state report mention describe according know happen make take get give go "
    "call name accord include mean seem become remain use precede follow carry conduct undertake perform "
    "stage".split()
)
# verbs heading a clause; a past participle modifying a noun ("the strikes ... carried out", acl/VBN) is a
# reduced relative of that noun, not a fact of its own (own set q33, which it made "multi-hop")
_CLAUSE_HEADS = frozenset({"ROOT", "relcl", "advcl", "acl", "conj", "ccomp", "xcomp", "pcomp"})
PARSE_EXCLUDE = ("ner", "senter")  # everything else: tok2vec, tagger, parser, attribute_ruler, lemmatizer


@dataclass(frozen=True)
class Word:
    lemma: str
    text: str  # as the question wrote it
    proper: bool = False  # a capitalised noun ("Minister" in "Iraq's Minister of Defense")


@dataclass(frozen=True)
class Parsed:
    """What the parse says about one question (empty when no parser is given)."""

    verbs: tuple[Word, ...] = ()  # the main content verb and those joined to it by "or"/"and": the event asked about
    nouns: tuple[Word, ...] = ()  # nouns in order, capitalised ones marked `proper`
    chunks: tuple[str, ...] = ()  # noun phrases as written, without the question word
    names_subject: bool = False  # "Who/What is <a name>?": a definition, unless the name is a role
    clauses: int = 1  # verbs heading a clause: "Which company, having faced ..., also underwent ..." has three
    subject: str = ""  # that subject's lemma, lower case ("minister" in "Who is Iraq's Minister of Defense?")
    objects: tuple[str, ...] = ()  # lemmas of the main verbs' common-noun objects: "announce its *suspension*"

    def verb_forms(self) -> frozenset[str]:
        """Stems of every form of the main verbs: an answering sentence holds one of them."""
        return frozenset().union(*(forms(v.lemma) for v in self.verbs))


@lru_cache(maxsize=4096)
def forms(lemma: str) -> frozenset[str]:
    """Stems of every inflection of a verb ("win" -> win, won, winning)."""
    from lemminflect import getAllInflections

    words = {lemma} | {w for group in getAllInflections(lemma, upos="VERB").values() for w in group}
    return frozenset(stem(t) for w in words for t in tokenize(w)) or frozenset({stem(lemma)})


def parse(nlp: Any, question: str) -> Parsed:
    doc = nlp(question)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    main = [root, *root.conjuncts] if root is not None else []
    verbs = [t for t in main if t.pos_ == "VERB" and t.lemma_.lower() not in LIGHT_VERBS]
    nouns = [Word(t.lemma_.lower(), t.text, t.pos_ == "PROPN") for t in doc if t.pos_ in ("NOUN", "PROPN")]
    chunks = [c for c in doc.noun_chunks if c.root.tag_ not in ("WP", "WDT", "PRP")]
    subject = next((t for t in doc if t.dep_ in ("nsubj", "attr") and t.head.dep_ == "ROOT"
                    and t.head.lemma_ == "be" and t.tag_ not in ("WP", "WDT")), None)
    return Parsed(
        verbs=tuple(Word(t.lemma_.lower(), t.text) for t in verbs),
        nouns=tuple(nouns),
        chunks=tuple(t for c in chunks if (t := _chunk_text(c))),
        names_subject=subject is not None and subject.pos_ == "PROPN",
        subject=subject.lemma_.lower() if subject is not None else "",
        clauses=max(1, sum(1 for t in doc if t.pos_ in ("VERB", "AUX") and t.dep_ in _CLAUSE_HEADS
                           and not (t.dep_ == "acl" and t.tag_ == "VBN"))),
        objects=tuple(c.lemma_.lower() for v in verbs for c in v.children if c.dep_ == "dobj" and c.pos_ == "NOUN"),
    )


def _chunk_text(chunk: Any) -> str:
    """A noun phrase as written, without a leading question word ("which US officials" -> "US officials")."""
    tokens = [t for t in chunk if t.tag_ not in ("WDT", "WP", "WP$", "WRB") and t.lower_ not in ("many", "much")]
    return chunk.doc.text[tokens[0].idx:chunk.end_char] if tokens else ""


class QuestionParser:
    """Parses questions with the pinned spaCy model, loaded on first use; safe across threads."""

    def __init__(self, nlp: Any = None) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()

    def __call__(self, question: str) -> Parsed:
        with self._lock:
            if self._nlp is None:
                from ..ingest.annotate import load_pipeline

                self._nlp = load_pipeline(exclude=PARSE_EXCLUDE)
            return parse(self._nlp, question)
