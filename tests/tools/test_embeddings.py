"""Embedding functions: the hashing embedder's determinism and geometry, MiniLM loading offline."""

from __future__ import annotations

import os

import numpy as np
import pytest

from crsagent.tools.embeddings import (
    HashingEmbedder,
    MiniLMEmbedder,
    make_embedder,
    minilm_available,
    minilm_model_path,
)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_hashing_vectors_are_unit_length_float32_rows() -> None:
    vectors = HashingEmbedder(dimension=128).embed(["The Matrix (1999)", "Heat", "a"])
    assert vectors.shape == (3, 128)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_hashing_is_deterministic_across_instances() -> None:
    first = HashingEmbedder().embed(["Seven (a.k.a. Se7en) (1995)"])
    second = HashingEmbedder().embed(["Seven (a.k.a. Se7en) (1995)"])
    np.testing.assert_array_equal(first, second)


def test_hashing_gives_the_same_vector_in_every_process() -> None:
    """crc32, not Python's salted hash(): these values were computed in another process, and cached
    vectors stay valid across runs and machines. "Toy Story" has 10 features in distinct buckets."""
    (vector,) = HashingEmbedder(dimension=64).embed(["Toy Story"])
    expected = np.zeros(64)
    expected[[32, 53]] = 1.0
    expected[[9, 27, 34, 35, 38, 46, 56, 59]] = -1.0
    np.testing.assert_allclose(vector, expected / np.sqrt(10), atol=1e-6)


def test_hashing_ignores_case_and_accents() -> None:
    embedder = HashingEmbedder()
    amelie, plain = embedder.embed(["Amélie", "AMELIE"])
    np.testing.assert_allclose(amelie, plain, atol=1e-6)


def test_hashing_puts_shared_spelling_closer_than_unrelated_text() -> None:
    embedder = HashingEmbedder()
    query, typo, other = embedder.embed(["The Godfather", "The Godfater", "Toy Story"])
    assert _cosine(query, typo) > 0.5 > _cosine(query, other)


def test_hashing_empty_text_still_has_a_direction() -> None:
    (vector,) = HashingEmbedder(dimension=32).embed([""])
    assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_hashing_implements_chromas_embedding_function_interface() -> None:
    embedder = HashingEmbedder(dimension=64, ngram=4)
    embeddings = embedder(["Heat", "Seven"])
    assert len(embeddings) == 2 and len(embeddings[0]) == 64
    rebuilt = HashingEmbedder.build_from_config(embedder.get_config())
    assert (rebuilt.dimension, rebuilt.ngram) == (64, 4)
    assert HashingEmbedder.name() == "crsagent-hashing"
    assert embedder.default_space() == "cosine"
    assert not embedder.is_legacy()


@pytest.mark.parametrize(("dimension", "ngram"), [(8, 3), (100_000, 3), (512, 1), (512, 9)])
def test_hashing_rejects_bad_settings(dimension: int, ngram: int) -> None:
    with pytest.raises(ValueError, match="HashingEmbedder"):
        HashingEmbedder(dimension=dimension, ngram=ngram)


def test_fingerprint_changes_with_the_settings() -> None:
    assert HashingEmbedder(dimension=256).fingerprint != HashingEmbedder(dimension=512).fingerprint


def test_make_embedder_choices() -> None:
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    expected = MiniLMEmbedder if minilm_available() else HashingEmbedder
    assert isinstance(make_embedder("auto"), expected)
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        make_embedder("bert")


needs_minilm = pytest.mark.skipif(not minilm_available(), reason="the 'ml' extra is not installed")


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@needs_minilm
def test_minilm_weights_ship_inside_the_package() -> None:
    folder = minilm_model_path()
    assert (folder / "model.safetensors").is_file()
    assert (folder / "modules.json").is_file()


@needs_minilm
def test_minilm_loads_offline_and_embeds_by_meaning(minilm: MiniLMEmbedder) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # conftest: no hub, so only the packaged files can load
    dog, puppy, market = minilm.embed(["a film about a dog", "a movie with a puppy", "stock market crash"])
    assert dog.shape == (384,)
    np.testing.assert_allclose(np.linalg.norm(dog), 1.0, rtol=1e-5)
    assert _cosine(dog, puppy) > _cosine(dog, market) + 0.2


@needs_minilm
def test_minilm_implements_chromas_interface(minilm: MiniLMEmbedder) -> None:
    assert len(minilm(["Heat"])[0]) == 384
    assert minilm.embed([]).shape == (0, 384)
    assert MiniLMEmbedder.build_from_config(minilm.get_config()).fingerprint == minilm.fingerprint
