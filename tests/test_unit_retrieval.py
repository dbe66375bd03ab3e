"""Hybrid retrieval over the synthetic corpus with the fake embedder: hard filters (undated articles fail
date limits), and the boosts a named date or a named publisher give, checked against the documented
fusion formula (reciprocal rank, plus a boost in units of rank 1)."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import FIRE_2023, FIRE_2024, LIBRARY, STATED
from queries import query_for

from assistant.answer.query import Filters
from assistant.answer.retrieval import DATE_BOOST, PUBLISHER_BOOST, RRF_K
from assistant.core.dates import DateRange, date_key

FIRE_QUESTION = "How many workers were injured in the fire at Northport harbour?"


def retrieve(assistant: Any, text: str, k: int = 10, **changes: Any) -> list[Any]:
    query = query_for(assistant, text, k, **changes)
    return assistant.retriever.retrieve(query, assistant.embed_model.get_query_embedding(query.search_text))


def boost_of(hit: Any) -> float:
    """What the fused score holds beyond the reciprocal ranks of the two halves."""
    return hit.score - sum(1.0 / (RRF_K + rank) for rank in hit.ranks.values())


def meta(publisher: str = "", article_id: str = "a.txt", date: str | None = None) -> dict[str, Any]:
    return {"publisher": publisher, "article_id": article_id, "date": date or "", "date_key": date_key(date)}


# --- Filters ------------------------------------------------------------------------------------------

def test_no_filter_allows_everything_and_adds_no_where_clause() -> None:
    assert Filters().where() is None
    assert Filters().allows(meta()) and Filters().allows({})


def test_publisher_and_article_filters_allow_only_what_they_name() -> None:
    by_publisher = Filters(publishers=("Valley Times",))
    assert by_publisher.allows(meta("Valley Times")) and not by_publisher.allows(meta("Coastal Herald"))
    assert by_publisher.where() == {"publisher": {"$in": ["Valley Times"]}}
    by_id = Filters(article_ids=("a.txt", "b.txt"))
    assert by_id.allows(meta(article_id="b.txt")) and not by_id.allows(meta(article_id="c.txt"))


def test_date_limits_are_inclusive_and_undated_articles_fail_them() -> None:
    since, until = Filters(since="2023-11-01"), Filters(until="2023-11-30")
    both = Filters(since="2023-11-01", until="2023-11-30")
    assert both.allows(meta(date="2023-11-01")) and both.allows(meta(date="2023-11-30"))
    assert not both.allows(meta(date="2023-10-31")) and not both.allows(meta(date="2023-12-01"))
    for limit in (since, until, both):
        assert not limit.allows(meta(date=None)), f"undated article passed {limit}"


def test_several_filters_combine_with_and_in_the_where_clause() -> None:
    where = Filters(publishers=("Valley Times",), since="2023-11-01", until="2023-11-30").where()
    assert set(where) == {"$and"}
    clauses = where["$and"]
    assert {"publisher": {"$in": ["Valley Times"]}} in clauses
    assert {"date_key": {"$gte": date_key("2023-11-01")}} in clauses
    assert {"date_key": {"$lte": date_key("2023-11-30")}} in clauses
    assert {"date_key": {"$gt": 0}} in clauses, "undated chunks (date_key 0) must not pass an until limit"


def test_include_undated_lets_articles_without_a_date_pass_every_date_limit_and_nothing_else() -> None:
    for limits in ({"since": "2023-11-01"}, {"until": "2023-11-30"}, {"since": "2023-11-01", "until": "2023-11-30"}):
        wide = Filters(include_undated=True, **limits)
        assert wide.allows(meta(date=None)), f"an undated article failed {wide}"
        assert wide.allows(meta(date="2023-11-15"))
        assert wide.allows(meta(date="2023-10-31")) == ("since" not in limits), "dated ones still obey the limits"
        assert wide.allows(meta(date="2023-12-01")) == ("until" not in limits)
    kept_out = Filters(publishers=("Valley Times",), since="2023-11-01", include_undated=True)
    assert not kept_out.allows(meta("Coastal Herald", date=None)), "the publisher limit still applies"
    assert not Filters(article_ids=("a.txt",), include_undated=True).allows(meta(article_id="b.txt"))


def test_include_undated_puts_the_date_conditions_in_an_or_with_date_key_zero() -> None:
    assert Filters(include_undated=True).where() is None  # without a date limit it changes nothing
    assert Filters(since="2023-11-01", include_undated=True).where() == {
        "$or": [{"date_key": {"$gte": date_key("2023-11-01")}}, {"date_key": 0}]}
    where = Filters(publishers=("Valley Times",), since="2023-11-01", until="2023-11-30",
                    include_undated=True).where()
    assert where == {"$and": [
        {"publisher": {"$in": ["Valley Times"]}},
        {"$or": [{"$and": [{"date_key": {"$gte": date_key("2023-11-01")}},
                           {"date_key": {"$lte": date_key("2023-11-30")}}, {"date_key": {"$gt": 0}}]},
                 {"date_key": 0}]},
    ]}


# --- retrieval over a real store ------------------------------------------------------------------------

def test_retrieval_ranks_the_articles_sharing_the_question_words_first(news_assistant: Any) -> None:
    hits = retrieve(news_assistant, FIRE_QUESTION)
    assert {h.article_id for h in hits[:2]} == {FIRE_2023, FIRE_2024}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        assert h.text == news_assistant.article(h.article_id)["text"][h.start:h.end]


def test_retrieval_returns_at_most_k_hits(news_assistant: Any) -> None:
    assert len(retrieve(news_assistant, FIRE_QUESTION, k=2)) == 2


def test_publisher_filter_keeps_other_publishers_out_of_both_halves(news_assistant: Any) -> None:
    hits = retrieve(news_assistant, FIRE_QUESTION, filters=Filters(publishers=("Valley Times",)))
    assert hits and {h.meta["publisher"] for h in hits} == {"Valley Times"}
    assert FIRE_2023 not in {h.article_id for h in hits}  # the best lexical match of another publisher


def test_date_filter_drops_undated_and_out_of_range_articles(news_assistant: Any) -> None:
    hits = retrieve(news_assistant, "library reading room books", filters=Filters(since="2023-01-01"))
    ids = {h.article_id for h in hits}
    assert LIBRARY not in ids, "the undated article has no date to be after 2023-01-01"
    assert ids == {aid for aid, (_, _, day) in STATED.items() if day}
    window = retrieve(news_assistant, FIRE_QUESTION, filters=Filters(since="2023-03-01", until="2023-12-31"))
    inside = {aid for aid, (_, _, day) in STATED.items() if day and "2023-03-01" <= day <= "2023-12-31"}
    assert inside and {h.article_id for h in window} == inside


def test_include_undated_brings_undated_articles_back_into_both_halves_of_a_date_filtered_search(
    news_assistant: Any,
) -> None:
    question = "library reading room books"
    wide = Filters(since="2023-01-01", include_undated=True)
    query = query_for(news_assistant, question, 10, filters=wide)
    vector = news_assistant.embed_model.get_query_embedding(query.search_text)
    dense = {meta["article_id"] for _, _, meta in news_assistant.store.dense_query(vector, 30, wide.where())}
    lexical = {f.article_id for f in news_assistant.retriever.index.top(query.search_text, 30, wide.where())}
    assert LIBRARY in dense and LIBRARY in lexical, "Chroma and the lexical index both let the undated one pass"
    ids = {h.article_id for h in retrieve(news_assistant, question, filters=wide)}
    assert ids == {aid for aid, (_, _, day) in STATED.items() if not day or day >= "2023-01-01"}
    narrow = retrieve(news_assistant, question, filters=Filters(since="2024-01-01", include_undated=True))
    assert {h.article_id for h in narrow} == {aid for aid, (_, _, day) in STATED.items()
                                              if not day or day >= "2024-01-01"}


def test_article_filter_limits_retrieval_to_those_articles(news_assistant: Any) -> None:
    hits = retrieve(news_assistant, FIRE_QUESTION, filters=Filters(article_ids=(LIBRARY,)))
    assert {h.article_id for h in hits} == {LIBRARY}


def test_a_named_date_boosts_articles_dated_in_it_and_nothing_else(news_assistant: Any) -> None:
    plain = retrieve(news_assistant, FIRE_QUESTION)
    window = DateRange("2024-06-01", "2024-06-30", "June 2024")
    boosted = retrieve(news_assistant, FIRE_QUESTION, date_range=window)
    for h in plain:
        assert boost_of(h) == pytest.approx(0.0, abs=1e-12)
    for h in boosted:
        expected = DATE_BOOST / (RRF_K + 1) if window.contains(h.meta["date"] or None) else 0.0
        assert boost_of(h) == pytest.approx(expected, abs=1e-12), h.article_id
    assert boosted[0].article_id == FIRE_2024


def test_which_look_alike_comes_first_follows_the_named_date(news_assistant: Any) -> None:
    first = {}
    for year, window in (("2023", DateRange("2023-03-01", "2023-03-31", "March 2023")),
                         ("2024", DateRange("2024-06-01", "2024-06-30", "June 2024"))):
        first[year] = retrieve(news_assistant, FIRE_QUESTION, date_range=window)[0].article_id
    assert first == {"2023": FIRE_2023, "2024": FIRE_2024}


def test_undated_article_is_neither_boosted_nor_dropped_by_a_named_date(news_assistant: Any) -> None:
    window = DateRange("2023-01-01", "2024-12-31", "2023 or 2024")
    hits = retrieve(news_assistant, "library reading room books", date_range=window)
    library = [h for h in hits if h.article_id == LIBRARY]
    assert library and boost_of(library[0]) == pytest.approx(0.0, abs=1e-12)


def test_a_named_publisher_boosts_its_articles_whole_words_any_case(news_assistant: Any) -> None:
    retriever = news_assistant.retriever
    assert retriever.named_publishers("what did the valley times report?") == {"Valley Times"}
    assert retriever.named_publishers("what did Valley Timeshare report?") == set()
    query = "How many workers were injured at Northport harbour according to the Valley Times?"
    hits = retrieve(news_assistant, query)
    for h in hits:
        expected = PUBLISHER_BOOST / (RRF_K + 1) if h.meta["publisher"] == "Valley Times" else 0.0
        assert boost_of(h) == pytest.approx(expected, abs=1e-12), h.article_id
    assert hits[0].article_id == FIRE_2024


def test_lexical_index_follows_the_store_after_an_ingest(make_fake_assistant: Any, news_corpus: Any) -> None:
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    assert not assistant.retriever.index.knows("volcano")
    (news_corpus / "volcano.txt").write_text("A volcano erupted near the harbour on Monday.\n", encoding="utf-8")
    assistant.ingest()
    hits = retrieve(assistant, "volcano erupted")
    assert hits[0].article_id == "volcano.txt" and hits[0].ranks.get("lexical") == 1


class Counting:
    """A collection whose reads are counted (what crosses to Chroma, or to a server, per question)."""

    def __init__(self, inner: Any, calls: list[str], name: str) -> None:
        self.inner, self.calls, self.name = inner, calls, name

    def __getattr__(self, attr: str) -> Any:
        method = getattr(self.inner, attr)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(f"{self.name}.{attr}")
            return method(*args, **kwargs)

        return call if callable(method) else method


@pytest.mark.parametrize("question", ["How many workers were injured in the fire at Northport harbour?",
                                      "Who opened the new library reading room?"])
def test_a_question_costs_at_most_three_store_round_trips(make_fake_assistant: Any, news_corpus: Any,
                                                          question: str) -> None:
    """Dense search, the hits' articles, their sentences (notes and vectors); the lexical index is in memory,
    and the change check (two small reads) runs at most once per CHECK_SECONDS, not per question."""
    assistant = make_fake_assistant(news_corpus)
    assistant.ingest()
    assistant.ask(question)  # everything loaded
    assistant.retriever.keeper.check_seconds = 3600.0
    store, calls = assistant.store, []
    for name in ("_chunks", "_articles", "_sentences", "_control"):
        setattr(store, name, Counting(getattr(store, name), calls, name.strip("_")))
    answer = assistant.ask(question)
    assert answer.citations and len(calls) <= 3, calls
    assert not any(c.endswith(("add", "upsert", "delete", "update")) for c in calls)
