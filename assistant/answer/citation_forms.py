"""What language models write instead of the prompt's `[n]`, made plain before the check reads it.

The check (`llm_answerer`) reads `[n]` markers. Models write others: `[1, 2]`, `[Source 1]`,
`(Source 2)`, a bare `(1)` before the full stop, "According to [1], ..." at the front, and a
preamble such as "According to the articles," or "The article states that" in front of the claim
(Qwen2.5-Coder-0.5B wrote the last two in this project's runs; tests/test_unit_citation_forms.py
keeps its outputs). Each form is rewritten to `[n]` or removed; nothing here judges support.
"""

from __future__ import annotations

import re

_LIST = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*(?:and\s+)?\d{1,3})+)\s*\]")  # [1, 2] -> [1][2]
_NAMED = re.compile(r"[\[(]\s*(?:sources?|src|articles?|docs?|documents?)\s*:?\s*#?(\d{1,3})\s*[\])]", re.I)
# "(1)" closing a sentence or clause; an enumeration "(1) the port" is left alone
_PAREN = re.compile(r"(?<=[\w\"”’%)])\s*\((\d{1,3})\)(?=[.,;!?]|\s*$)")
_ACCORDING = re.compile(r"^(?:according to|as (?:reported|stated|noted) (?:in|by)|per)\s+((?:\[\d{1,3}\]\s*)+),?\s*",
                        re.I)
_PREAMBLE = re.compile(
    r"^(?:according to (?:the )?(?:provided )?(?:articles?|sources?|reports?|texts?|passages?)"
    r"|(?:the|this|one) (?:provided )?(?:articles?|sources?|texts?|reports?|passages?) "
    r"(?:states?|says?|reports?|mentions?|notes?|indicates?)(?: that)?)\s*[,:]?\s+", re.I)


def normal_markers(text: str) -> str:
    """The text with every citation form above written as `[n]` (one per source)."""
    text = _LIST.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)
    text = _NAMED.sub(lambda m: f"[{m.group(1)}]", text)
    return _PAREN.sub(lambda m: f" [{m.group(1)}]", text)


def bare_claim(sentence: str) -> str:
    """The sentence without a lead-in that only says where it comes from ("According to [1], ...",
    "The article states that ..."), its first letter raised; markers elsewhere are kept."""
    lead = _ACCORDING.match(sentence)
    if lead:
        sentence = sentence[lead.end():].rstrip() + " " + lead.group(1).strip()
    preamble = _PREAMBLE.match(sentence)
    if preamble and len(sentence) > preamble.end():
        sentence = sentence[preamble.end():]
    return sentence[:1].upper() + sentence[1:]
