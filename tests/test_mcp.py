"""`assistant serve --mcp`: the tools over Gradio's MCP server, called by an MCP client on loopback."""

from __future__ import annotations

import ast
import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from processes import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]



@pytest.fixture(scope="module")
def mcp_url(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Iterator[str]:
    pytest.importorskip("mcp", reason="the mcp extra (tests/run.sh installs it)")
    from assistant.api import Assistant
    from assistant.core.settings import Settings
    from assistant.ui.app import build_app, launch

    base = tmp_path_factory.mktemp("mcp")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    settings = Settings.from_env(env={}, corpus_dir=base / "corpus", store_dir=base / "store", port=free_port(),
                                 mcp_server=True)
    assistant = Assistant(settings, embed_model=embed_model)
    assistant.ingest()
    demo = build_app(assistant)
    launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/gradio_api/mcp/"
    finally:
        demo.close()


async def call(url: str, tool_suffix: str, arguments: dict[str, Any]) -> tuple[list[str], Any]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with streamablehttp_client(url) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        tool = next(t for t in tools if t.name == tool_suffix or t.name.endswith("_" + tool_suffix))
        result = await session.call_tool(tool.name, arguments)
        return [t.name for t in tools] + [tool.description or ""], result


def payload(result: Any) -> Any:
    text = "".join(getattr(c, "text", "") for c in result.content)
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # Gradio's MCP server sends a dict result as its Python repr
        return ast.literal_eval(text)


def test_an_mcp_client_asks_and_gets_a_cited_answer(mcp_url: str) -> None:
    names, result = asyncio.run(call(mcp_url, "ask", {"question": "Who is Yehia Rasool?"}))
    assert not result.isError
    answer = payload(result)
    assert isinstance(answer, dict), answer
    assert not answer["abstained"] and "[1]" in answer["text"]
    quote = answer["citations"][0]["quote"]
    assert "Yehia Rasool" in quote and quote in answer["text"]  # the cited sentence, exactly
    assert "numbered citations" in names[-1]  # the docstring documents the tool
    assert any(n.endswith("library") or n == "library" for n in names)
    assert any(n.endswith("article") or n == "article" for n in names)


def test_the_library_and_article_tools_find_and_open_an_article(mcp_url: str) -> None:
    _, found = asyncio.run(call(mcp_url, "library", {"query": "ICARO"}))
    rows = payload(found)
    assert [r["publisher"] for r in rows] == ["ICARO Media Group"]
    _, opened = asyncio.run(call(mcp_url, "article", {"source": rows[0]["id"]}))
    assert payload(opened)["publisher"] == "ICARO Media Group"
