"""The llama-index face (fast tier, fake embedder): `Assistant.as_retriever` nodes are exact slices of
their articles and obey `ask`'s filters; `Assistant.as_query_engine` responses carry exactly the answer's
citations; both compose with stock llama-index components; the README's example runs as written."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fake_llm import ScriptedLLM
from fakes import FIRE_2023, FIRE_2024, STATED
from llama_index.core.query_engine import CustomQueryEngine, RouterQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode
from llama_index.core.selectors import LLMSingleSelector
from llama_index.core.tools import QueryEngineTool

from assistant.core.errors import FilterError

ROOT = Path(__file__).resolve().parent.parent
FIRES = "fire at Northport harbour workers injured"


def _ids(nodes: list[Any]) -> set[str]:
    return {n.node.metadata["article_id"] for n in nodes}


def test_retriever_nodes_are_exact_slices_with_the_articles_metadata(news_assistant: Any) -> None:
    retriever = news_assistant.as_retriever()
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(FIRES)
    assert {FIRE_2023, FIRE_2024} <= _ids(nodes)
    for n in nodes:
        m = n.node.metadata
        assert news_assistant.article(m["article_id"])["text"][m["start"]:m["end"]] == n.node.get_content()
        assert (m["title"], m["publisher"], m["date"]) == STATED[m["article_id"]]
        assert "start" not in n.node.get_content(MetadataMode.LLM)  # offsets are not the LLM's to read
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)


def test_retriever_filters_narrow_the_nodes(news_assistant: Any) -> None:
    everything = _ids(news_assistant.as_retriever().retrieve(FIRES))
    valley = news_assistant.as_retriever(publishers=["Valley Times"]).retrieve(FIRES)
    assert valley and {n.node.metadata["publisher"] for n in valley} == {"Valley Times"}
    recent = news_assistant.as_retriever(since="2024-01-01").retrieve(FIRES)
    assert recent and all(n.node.metadata["date"] >= "2024-01-01" for n in recent)
    one = news_assistant.as_retriever(article_ids=[FIRE_2023]).retrieve(FIRES)
    assert _ids(one) == {FIRE_2023} and _ids(one) < everything
    assert len(news_assistant.as_retriever(k=1).retrieve(FIRES)) == 1


def test_retriever_refuses_what_ask_refuses(news_assistant: Any) -> None:
    with pytest.raises(FilterError):
        news_assistant.as_retriever(publishers=["Valley Times"], article_ids=[FIRE_2023])
    with pytest.raises(TypeError, match="answerer"):
        news_assistant.as_retriever(answerer="llm")


def _same_as_ask(response: Any, answer: Any) -> None:
    assert response.response == answer.text
    assert [n.node.get_content() for n in response.source_nodes] == [c.quote for c in answer.citations]
    for n, c in zip(response.source_nodes, answer.citations):
        m = n.node.metadata
        assert (m["citation"], m["article_id"], m["start"], m["end"]) == (c.number, c.source, c.start, c.end)
        assert (m["title"], m["publisher"], m["date"]) == (c.title, c.publisher, c.date)
    assert response.metadata["citations"] == [c.to_dict() for c in answer.citations]


def test_query_engine_source_nodes_are_exactly_the_citations(news_assistant: Any) -> None:
    question = "How many workers were injured in the Northport fuel depot fire?"
    engine = news_assistant.as_query_engine(publishers=["Valley Times"])
    response = engine.query(question)
    answer = news_assistant.ask(question, publishers=["Valley Times"])
    assert answer.citations and not answer.abstained
    _same_as_ask(response, answer)
    assert response.metadata["kind"] == answer.kind
    _same_as_ask(asyncio.run(engine.aquery(question)), answer)


class _Weather(CustomQueryEngine):
    """A second, unrelated engine for the router to choose against."""

    def custom_query(self, query_str: str) -> str:
        return "Sunny, 21 degrees."


def _selector_script(prompt: str) -> str:
    """Choose the numbered choice whose summary shares a word with the question, as JSON."""
    question = re.search(r"question: '(.*)'", prompt, re.S).group(1).lower()  # type: ignore[union-attr]
    choices = re.findall(r"^\((\d+)\) (.*)$", prompt, re.M)
    picked = next(int(n) for n, summary in choices if "weather" in summary.lower() and "weather" in question
                  or "news" in summary.lower() and "weather" not in question)
    return json.dumps([{"choice": picked, "reason": "scripted"}])


def test_router_with_an_llm_selector_routes_to_our_engine(news_assistant: Any) -> None:
    llm = ScriptedLLM(_selector_script)
    news = QueryEngineTool.from_defaults(news_assistant.as_query_engine(), name="news",
                                         description="News articles; answers cite their sentences")
    weather = QueryEngineTool.from_defaults(_Weather(), name="weather", description="Today's weather forecast")
    router = RouterQueryEngine(selector=LLMSingleSelector.from_defaults(llm=llm),
                               query_engine_tools=[weather, news], llm=llm)
    question = "How many workers were injured in the fire at Northport harbour in 2023?"
    response = router.query(question)
    assert llm.prompts and "News articles" in llm.prompts[-1]  # the selector really read our tool
    assert response.metadata["selector_result"].ind == 1
    _same_as_ask(response, news_assistant.ask(question))
    assert str(router.query("What is the weather today?")) == "Sunny, 21 degrees."


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- llama-index example -->\n```python\n(.*?)```", text, re.S)
    assert m, "README.md lost its llama-index example"
    return m.group(1)


def test_readme_llamaindex_example_runs(fake_seed_assistant: Any) -> None:
    scope: dict[str, Any] = {"assistant": fake_seed_assistant}
    exec(compile(_readme_example(), "README.md:llama-index example", "exec"), scope)  # noqa: S102
    assert scope["response"].source_nodes, "the example's question should be answered with citations"
    assert scope["news"].metadata.name == "news"
