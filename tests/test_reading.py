"""Reading articles: metadata the articles state, boilerplate stripped, no story sentence lost.

Covers the five seed articles in corpus/, HTML pages and JSON/JSONL records (MultiHop-RAG layout).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import ArticleError
from assistant.core.text import sentences
from assistant.ingest.reading import read_path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus"

# What each seed article states at its top (None: the article does not state it).
STATED = {
    "000_f19390a96d0bfcc2.txt": {
        "title": "Iraqi Officials Condemn U.S. Airstrikes on Iran-Linked Targets, "
        "Urging Departure of U.S.-Led Coalition",
        "date": None,
        "publisher": "ICARO Media Group",
    },
    "001_d0b1d9f66b66a1cb.txt": {"title": None, "date": None, "publisher": None},
    "002_f3682412e17b471f.txt": {
        "title": "Iraq Condemns US Airstrikes That Targeted Iran-Backed Militias",
        "date": None,
        "publisher": None,
    },
    "003_0de35cad8aa68667.txt": {
        "title": "Iraq Condemns US Airstrikes That Killed Iran-Linked Militants",
        "date": "2023-11-22",  # the line "Wednesday, 11/22/2023" under the headline
        "publisher": None,
    },
    "004_9d055321525b4e51.txt": {
        "title": "Iraqi PM Condemns US-led Airstrikes on Iran-backed Forces in Babil Province",
        "date": None,
        "publisher": None,
    },
}

# Lines of the raw files that are not story: headline, publisher and date lines, the photo
# caption above 003's headline, trailing link lists and tag lines.
CAPTION_003 = (
    "A US army soldier stands with his weapon at a military base in the Makhmour area near Mosul during "
    "an operation to attack Islamic State militants in Mosul, Iraq, October 18, 2016."
)
TAGS_002 = "Syria, Iran, iraqi militias, kataib hezbollah, worldnews"
LIKE_THIS_002 = [
    "Elite Iranian Colonel Assassinated by Mystery Gunmen on Motorbikes",
    "Senior ISIS Leader in Syria Killed by Drone Strike, US Says",
    "Protesters Stormed an Iraqi Palace and Jumped in the Swimming Pool",
    "Meth, Money, Militias: Welcome to Iraq’s Hottest Narco Town",
    "Hezbollah’s Grip on Lebanese Politics Weakens in First Election Since Beirut Blast",
    "New ISIS Leader Reportedly Captured in Turkey",
    "Salman Rushdie Stabbing Suspect ‘Had Contact With Iran’s Revolutionary Guard’",
    "‘Pablo Escobar of Heroin’ Released in US Prisoner Exchange",
]
NOT_STORY = {
    "000_f19390a96d0bfcc2.txt": [STATED["000_f19390a96d0bfcc2.txt"]["title"], "ICARO Media Group"],
    "001_d0b1d9f66b66a1cb.txt": [],
    "002_f3682412e17b471f.txt": [STATED["002_f3682412e17b471f.txt"]["title"], TAGS_002, "like this",
                                 *LIKE_THIS_002],
    "003_0de35cad8aa68667.txt": [CAPTION_003, STATED["003_0de35cad8aa68667.txt"]["title"],
                                 "Wednesday, 11/22/2023", "More News"],
    "004_9d055321525b4e51.txt": [STATED["004_9d055321525b4e51.txt"]["title"]],
}

FIRST_AND_LAST = {
    "000_f19390a96d0bfcc2.txt": (
        "Baghdad officials have strongly condemned the recent U.S. airstrikes on Iran-linked targets in Iraq, "
        "viewing them as a threat to their country and further prompting calls for the U.S.-led military "
        "coalition to leave.",
        "Awadh al-Taie contributed reporting from Baghdad.",
    ),
    "001_d0b1d9f66b66a1cb.txt": (
        "The Iraqi government has vehemently condemned the US airstrikes conducted on Wednesday, targeting "
        "sites utilized by Iranian-backed groups within Iraq.",
        "The recent events add to the escalating tensions between Iran-aligned groups and the US, with a "
        "backdrop of ongoing conflicts in the region, including Gaza, Yemen, and Syria.",
    ),
    "002_f3682412e17b471f.txt": (
        "A spokesperson for Iraq’s government called the strikes an assault on the country’s sovereignty.",
        "However, after a two-week saga that saw the PMF besiege the Green Zone, Musleh was released for "
        "“lack of evidence.”",
    ),
    "003_0de35cad8aa68667.txt": (
        'Iraq says overnight US airstrikes south of Baghdad that killed eight members of Iran-aligned Iraqi '
        'armed group Kataib Hezbollah was a "dangerous escalation."',
        "The diverse views among these factions regarding actions against US forces further complicate the "
        "situation.",
    ),
    "004_9d055321525b4e51.txt": (
        "The office of Iraqi Prime Minister Mohammed Shia' al-Sudani has strongly condemned recent airstrikes "
        "targeting Iran-backed paramilitary forces in Babil province.",
        "Notably, the assassination of Iranian commander Qasem Soleimani and deputy chief of Iraq’s PMF, Abu "
        "Mahdi al-Muhandis, in early 2020 remains a sore point in US-Iraq relations, underscoring the delicate "
        "balance in their security partnership.",
    ),
}


def read_one(path: Path):
    result = read_path(path, root=path.parent)
    assert len(result.articles) == 1
    return result.articles[0]


def raw_paragraphs(path: Path) -> list[str]:
    """Every non-blank line of the raw file, whitespace (incl. no-break spaces) collapsed."""
    lines = (" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def test_seed_corpus_is_the_five_articles_these_tests_describe():
    assert sorted(p.name for p in SEED.iterdir()) == sorted(STATED)


@pytest.mark.parametrize("name", sorted(STATED))
def test_seed_article_metadata_is_what_the_article_states(name):
    article = read_one(SEED / name)
    assert article.id == name
    assert (article.title, article.date, article.publisher) == (
        STATED[name]["title"], STATED[name]["date"], STATED[name]["publisher"],
    )
    assert article.author is None and article.url is None  # none of them names an author or URL


@pytest.mark.parametrize("name", sorted(STATED))
def test_seed_article_keeps_every_story_paragraph_and_nothing_else(name):
    raw = raw_paragraphs(SEED / name)
    for line in NOT_STORY[name]:
        assert line in raw, f"test data out of date: {line!r} is not a line of {name}"
    story = [p for p in raw if p not in NOT_STORY[name]]
    text = read_one(SEED / name).text
    assert text.split("\n\n") == story
    for paragraph in story:  # and so every sentence of the story, verbatim
        for sentence in sentences(paragraph):
            assert sentence in text


@pytest.mark.parametrize("name", sorted(STATED))
def test_seed_article_first_and_last_story_sentences_survive_cleaning(name):
    text = read_one(SEED / name).text
    first, last = FIRST_AND_LAST[name]
    found = sentences(text)
    assert found[0] == first
    assert found[-1] == last


def test_photo_caption_date_line_and_more_news_are_stripped_from_003():
    article = read_one(SEED / "003_0de35cad8aa68667.txt")
    assert "Makhmour" not in article.text  # only the caption mentions it
    assert "11/22/2023" not in article.text
    assert "More News" not in article.text
    assert not article.text.startswith(STATED["003_0de35cad8aa68667.txt"]["title"])


def test_tag_line_and_like_this_headlines_are_stripped_from_002():
    article = read_one(SEED / "002_f3682412e17b471f.txt")
    assert "worldnews" not in article.text
    assert "like this" not in article.text
    for headline in LIKE_THIS_002:
        assert headline not in article.text


def test_unstated_title_and_date_stay_none_even_when_the_body_names_dates(tmp_path):
    # 001 names "Wednesday" and years in its body; an article that mentions a full date in a sentence
    # still has no date of its own.
    path = tmp_path / "nodate.txt"
    path.write_text(
        "Officials said on November 22, 2023 that the talks would resume. Nothing else was agreed.\n\n"
        "The next round is planned for January.\n",
        encoding="utf-8",
    )
    article = read_one(path)
    assert article.title is None
    assert article.date is None
    assert article.text.startswith("Officials said on November 22, 2023")


def test_byline_and_prefixed_date_under_headline_become_author_and_date(tmp_path):
    path = tmp_path / "byline.md"
    path.write_text(
        "# Bridge Reopens After Two Years Of Repairs\n\nBy Jane Doe and John Roe\n\n"
        "Published: 3 March 2024\n\nThe bridge reopened on Sunday. Traffic was light.\n",
        encoding="utf-8",
    )
    article = read_one(path)
    assert article.title == "Bridge Reopens After Two Years Of Repairs"
    assert article.author == "Jane Doe and John Roe"
    assert article.publisher is None  # a byline is not a publisher
    assert article.date == "2024-03-03"
    assert article.text == "The bridge reopened on Sunday. Traffic was light."


# --- HTML ---------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head>
<title>City bridge reopens | Daily Example</title>
<meta property="og:title" content="City Bridge Reopens &amp; Traffic Returns">
<meta property="article:published_time" content="2024-03-03T09:30:00+01:00">
<meta property="og:site_name" content="Daily Example">
<meta name="author" content="Jane Doe">
<style>p { color: red } .secret { display: none }</style>
<script>document.write("<p>SCRIPT TEXT</p>");</script>
</head>
<body>
<header><div class="logo">SITE HEADER</div><nav><a href="/">Home</a> <a href="/world">World NAV</a></nav></header>
<article>
  <h1>City Bridge Reopens &amp; Traffic Returns</h1>
  <figure><img src="b.jpg"><figcaption>CAPTION TEXT under the photo.</figcaption></figure>
  <p>The old bridge over the river reopened on Sunday
     after two years of repairs, the mayor said.</p>
  <p>Drivers &amp; cyclists crossed it within minutes.<br>Officials expect 20,000 crossings a day.</p>
  <aside>Related: ASIDE TEXT</aside>
</article>
<footer>FOOTER TEXT &copy; 2024</footer>
<script type="text/javascript">var tracking = "SCRIPT TWO";</script>
</body></html>
"""


def test_html_page_keeps_story_drops_scripts_styles_nav_and_takes_declared_metadata(tmp_path):
    path = tmp_path / "bridge.html"
    path.write_text(PAGE, encoding="utf-8")
    article = read_one(path)
    assert article.title == "City Bridge Reopens & Traffic Returns"
    assert article.date == "2024-03-03"
    assert article.publisher == "Daily Example"
    assert article.author == "Jane Doe"
    assert article.text.split("\n\n") == [
        # a paragraph wrapped over two lines of markup is one paragraph, one sentence
        "The old bridge over the river reopened on Sunday after two years of repairs, the mayor said.",
        "Drivers & cyclists crossed it within minutes.",
        "Officials expect 20,000 crossings a day.",
    ]
    for junk in ("SCRIPT", "color: red", "SITE HEADER", "NAV", "CAPTION", "ASIDE", "FOOTER"):
        assert junk not in article.text


def test_html_metadata_from_json_ld_and_time_element(tmp_path):
    page = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "x"},
     {"@type": "NewsArticle", "headline": "Port Strike Ends", "datePublished": "2023-10-07T15:37:43+00:00",
      "publisher": {"@type": "Organization", "name": "Harbour Times"},
      "author": [{"@type": "Person", "name": "Ana Lima"}, {"@type": "Person", "name": "Bo Chen"}]}]}
    </script></head><body><main><p>Dock workers returned on Monday. Ships queued outside.</p></main></body></html>"""
    path = tmp_path / "port.htm"
    path.write_text(page, encoding="utf-8")
    article = read_one(path)
    assert (article.title, article.date, article.publisher, article.author) == (
        "Port Strike Ends", "2023-10-07", "Harbour Times", "Ana Lima, Bo Chen",
    )
    assert article.text == "Dock workers returned on Monday. Ships queued outside."


def test_html_page_without_declared_metadata_gets_none(tmp_path):
    path = tmp_path / "bare.html"
    path.write_text("<html><body><p>Rain fell all day. Schools closed early.</p></body></html>", encoding="utf-8")
    article = read_one(path)
    assert (article.title, article.date, article.publisher, article.author) == (None, None, None, None)
    assert article.text == "Rain fell all day. Schools closed early."


# --- JSON records (MultiHop-RAG layout) -----------------------------------------------------------

RECORDS = [
    {
        "title": "&#039;Massive intel failure by Mossad&#039;: Hamas&#039; surprise attack shocks internet",
        "source": "Business Today | Latest Stock Market And Economy News India",  # the MultiHop-RAG key
        "published_at": "2023-10-07T15:37:43+00:00",
        "url": "https://www.businesstoday.in/latest/world/story/example-401106-2023-10-07",
        "author": None,
        "category": "business",
        "body": "Israeli Prime Minister Benjamin Netanyahu said that since this morning, Israel had been at war."
        "\n\nAnother user said that no one can carry out such a major attack without intelligence support.",
    },
    {
        "title": "The FTX trial is bigger than Sam Bankman-Fried",
        "publisher": "The Verge",
        "published_at": "2023-09-28T12:00:00+00:00",
        "url": "https://www.theverge.com/2023/9/28/23893269/ftx-sam-bankman-fried-trial-evidence-crypto",
        "author": "Elizabeth Lopatto",
        "category": "technology",
        "body": "Before his fall, Bankman-Fried made himself out to be the Good Boy of crypto. The trial starts.",
    },
    {"title": "\"There are no sacred numbers\"", "publisher": None, "published_at": None, "url": None,
     "author": None, "category": None, "body": "As was said during the Covid pandemic, the state has to act."},
]


def test_jsonl_records_become_articles_with_their_stated_fields(tmp_path):
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    result = read_path(path, root=tmp_path)
    assert result.notices == []
    first, second, third = result.articles
    assert [a.id for a in result.articles] == ["facts.jsonl#1", "facts.jsonl#2", "facts.jsonl#3"]
    assert first.title == "'Massive intel failure by Mossad': Hamas' surprise attack shocks internet"
    assert first.date == "2023-10-07"
    assert first.publisher == "Business Today | Latest Stock Market And Economy News India"
    assert first.url == RECORDS[0]["url"]
    assert first.author is None
    assert first.text == (
        "Israeli Prime Minister Benjamin Netanyahu said that since this morning, Israel had been at war.\n\n"
        "Another user said that no one can carry out such a major attack without intelligence support."
    )
    assert (second.title, second.date, second.publisher, second.author) == (
        "The FTX trial is bigger than Sam Bankman-Fried", "2023-09-28", "The Verge", "Elizabeth Lopatto",
    )
    assert (third.date, third.publisher, third.url, third.author) == (None, None, None, None)


def test_json_file_with_one_record_is_one_article_named_after_the_file(tmp_path):
    path = tmp_path / "ftx.json"
    path.write_text(json.dumps(RECORDS[1]), encoding="utf-8")
    (article,) = read_path(path, root=tmp_path).articles
    assert article.id == "ftx.json"
    assert article.title == RECORDS[1]["title"]
    assert article.text == RECORDS[1]["body"]


def test_json_list_of_records_is_read_like_jsonl(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps(RECORDS[:2]), encoding="utf-8")
    result = read_path(path, root=tmp_path)
    assert [a.title for a in result.articles] == [
        "'Massive intel failure by Mossad': Hamas' surprise attack shocks internet",
        "The FTX trial is bigger than Sam Bankman-Fried",
    ]


def test_jsonl_record_without_body_is_skipped_with_a_note_naming_its_line(tmp_path):
    path = tmp_path / "some.jsonl"
    lines = [json.dumps(RECORDS[0]), json.dumps({"title": "No body here", "body": ""}), json.dumps(RECORDS[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_path(path, root=tmp_path)
    assert [a.title for a in result.articles][1] == "The FTX trial is bigger than Sam Bankman-Fried"
    assert len(result.articles) == 2
    assert result.notices == ["some.jsonl: line 2 has no body text; skipped"]


def test_an_invalid_jsonl_line_is_skipped_naming_its_line_and_column_and_the_rest_is_read(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("{\"title\": \"cut off\n\n" + json.dumps(RECORDS[0]) + "\n\n" + json.dumps(RECORDS[1]) + "\n",
                    encoding="utf-8")
    result = read_path(path, root=tmp_path)
    assert [a.id for a in result.articles] == ["broken.jsonl#2", "broken.jsonl#3"], "later records keep their ids"
    assert result.problems == ["broken.jsonl: invalid JSON on line 1, column 11: Unterminated string starting at; "
                               "skipped (the other lines were read)"]


def test_a_jsonl_file_whose_every_line_is_invalid_is_refused_naming_the_first(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("\n{oops}\n[1,\n", encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        read_path(path, root=tmp_path)
    assert str(err.value).startswith("broken.jsonl: no record has article text (invalid JSON on line 2, column 2")


def test_deeply_nested_json_is_refused_with_a_reason_not_a_crash(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ArticleError, match="nested too deeply"):
        read_path(path, root=tmp_path)
