"""Download official dataset archives into the cache and check every file against a recorded sha256.

pooch does the fetching (``pooch.retrieve``: HTTP through requests, a tqdm progress bar, the
archive's sha256 when one is recorded, unzipping the listed members). What stays here is ours: the
recorded sources, a sha256 per extracted file (the reference copies are folders, not archives, so
the per-file hashes are what we know), clear errors naming the URL, and installing the finished
folder in one rename, so that a failed or interrupted download never leaves a half-written dataset
and never touches a good one already installed. ``url=`` points at a mirror (``http://``,
``https://`` or ``file://``). Nothing is downloaded unless asked (``crsagent data download``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import pooch
import requests
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from crsagent.data.files import replace_folder
from crsagent.errors import DownloadError

_USER_AGENT = "crsagent-downloader/0.2 (+pooch)"
_URL_SCHEMES = ("http://", "https://", "file://")


def _check_relative(path: str) -> str:
    parts = PurePosixPath(path).parts
    if not path or "\\" in path or path.startswith("/") or any(part in ("..", ".") for part in parts):
        raise ValueError(f"{path!r} must be a relative path without '.', '..' or backslashes")
    return path


_RelativePath = Annotated[str, AfterValidator(_check_relative)]
_Sha256 = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^\s*[0-9a-fA-F]{64}\s*$")
]


class DatasetSource(BaseModel):
    """Where a dataset's official archive lives and what its files must hash to."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(
        pattern=r"^[^/\\.][^/\\]*$",
        description="Dataset folder name under the data / cache dir, e.g. 'ml-latest-small'.",
    )
    url: str = Field(description="Official archive (zip) URL.")
    description: str = Field(description="One line: what the dataset is.")
    licence: str = Field(default="", description="One line: the terms it comes under.")
    member_prefix: str = Field(
        default="",
        description="Folder inside the archive that holds the files ('' when they sit at its root).",
    )
    files: dict[_RelativePath, _Sha256] = Field(
        min_length=1,
        description="Relative path in the final dataset folder -> expected sha256 (hex) of its content.",
    )
    archive_sha256: _Sha256 | None = Field(
        default=None,
        description="sha256 of the archive itself, when known (pooch checks it before unzipping).",
    )

    @field_validator("member_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value:
            _check_relative(value.rstrip("/"))
            if not value.endswith("/"):
                value += "/"
        return value


# The hashes below are those of the reference copies in ../shared/datasets (2018-09 ml-latest-small,
# HetRec 2011 Last.fm); tests/data/test_download.py checks them against those copies.
SOURCES: dict[str, DatasetSource] = {
    source.name: source
    for source in (
        DatasetSource(
            name="ml-latest-small",
            url="https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
            description="MovieLens latest-small (2018-09): 9,742 movies, 100,836 ratings by 610 users.",
            licence="GroupLens research-use terms (README.txt); cite Harper & Konstan 2015.",
            member_prefix="ml-latest-small/",
            files={
                "movies.csv": "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07",
                "ratings.csv": "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
                "tags.csv": "92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d",
                "links.csv": "97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31",
                "README.txt": "e165937702ae1fac9237b6bd377f03d027f7ef97175d4a04a203e8b12d5516ea",
            },
        ),
        DatasetSource(
            name="hetrec2011-lastfm-2k",
            url="https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip",
            description="HetRec 2011 Last.fm: artist names (artists.dat) and tag names (tags.dat).",
            licence="Non-commercial research use (the archive's readme.txt).",
            member_prefix="",  # the files sit at the archive root
            # Only artists.dat and tags.dat are verified and extracted. The reference
            # user_taggedartists.dat was rebuilt from a two-part copy (one row fewer than the readme
            # states), so its hash cannot be expected to match the official archive; crsagent does
            # not read it, so it is not extracted.
            files={
                "artists.dat": "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
                "tags.dat": "e95175f259be4c0c47644ae23d66131cd6d5767142a1405000e79f5584691d70",
            },
        ),
    )
}

DATASETS_WITHOUT_ARCHIVE: dict[str, str] = {
    "crs-lastfm": (
        "the LastFM multi-round CRS benchmark of the EAR / SCPR / UNICORN releases (SCPR layout), "
        "derived from HetRec 2011 Last.fm"
    ),
    "redial": "the ReDial conversational recommendation data (official release, or KGSF's processed splits)",
    "movie-metadata": "id2info.json from the CFCRS release (movie facts from IMDb pages, ReDial ids)",
}
"""Datasets crsagent reads that have no single official archive to download: provide the folder."""


def get_source(name: str) -> DatasetSource:
    """The recorded source of ``name``; a ``DownloadError`` that says what to do otherwise."""
    source = SOURCES.get(name)
    if source is not None:
        return source
    if name in DATASETS_WITHOUT_ARCHIVE:
        raise DownloadError(
            f"dataset {name!r} has no single official archive to download: it comes from "
            f"{DATASETS_WITHOUT_ARCHIVE[name]}. Get that release and put the folder at "
            f"<data dir>/{name}/, with the data dir set by CRSAGENT_DATA_DIR (or pass its path)."
        )
    known = ", ".join(sorted(SOURCES))
    manual = ", ".join(sorted(DATASETS_WITHOUT_ARCHIVE))
    raise DownloadError(
        f"unknown dataset {name!r}: downloadable ones are {known}; {manual} must be provided by hand "
        "under CRSAGENT_DATA_DIR"
    )


def verify_dataset_folder(folder: Path, source: DatasetSource) -> list[str]:
    """Problems with ``folder`` against ``source.files`` (missing file, wrong sha256); [] when all verify."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder}: folder is missing" if not folder.exists() else f"{folder}: not a folder"]
    problems: list[str] = []
    for relative, expected in source.files.items():
        path = folder / relative
        if not path.is_file():
            problems.append(f"{path}: file is missing")
            continue
        actual = pooch.file_hash(str(path), alg="sha256")
        if actual != expected:
            problems.append(f"{path}: sha256 {actual} does not match the recorded {expected}")
    return problems


def download_dataset(
    dataset: str | DatasetSource,
    dest_root: Path,
    *,
    url: str | None = None,
    timeout_s: float = 60,
    force: bool = False,
    progressbar: bool = False,
) -> Path:
    """Download ``dataset`` (a name in ``SOURCES``, or a ``DatasetSource``) into ``dest_root / name``
    and return that folder.

    An existing folder whose files all verify is returned as is unless ``force``. ``url`` replaces
    the official URL (a mirror, a local copy as ``file://...``). Every failure raises
    ``DownloadError``; it leaves no temporary files and leaves an existing folder untouched.
    """
    source = get_source(dataset) if isinstance(dataset, str) else dataset
    dest_root = Path(dest_root)
    target = dest_root / source.name
    if not force and target.is_dir() and not verify_dataset_folder(target, source):
        return target
    url = url or source.url
    if not url.lower().startswith(_URL_SCHEMES):
        raise DownloadError(f"cannot download {url!r}: only http://, https:// and file:// URLs are supported")
    if timeout_s <= 0:
        raise DownloadError(f"timeout_s must be positive, got {timeout_s}")
    try:
        dest_root.mkdir(parents=True, exist_ok=True)
        # The archive and the unzipped files live in a hidden folder next to the target (same file
        # system, so the install is one rename) that goes away whatever happens.
        with tempfile.TemporaryDirectory(dir=dest_root, prefix=f".{source.name}.") as work:
            unzipped = _fetch_and_unzip(source, url, Path(work), timeout_s, progressbar)
            staging = unzipped / source.member_prefix if source.member_prefix else unzipped
            problems = verify_dataset_folder(staging, source)
            if problems:
                shown = "; ".join(problem.replace(f"{staging}/", "") for problem in problems)
                raise DownloadError(f"archive from {url} for {source.name!r} failed verification: {shown}")
            replace_folder(staging, target)
    except OSError as error:  # disk full, permissions, a folder appearing at the target meanwhile
        raise DownloadError(
            f"installing {source.name!r} from {url} into {dest_root} failed: {error}"
        ) from error
    return target


def _copy_local(url: str, output_file: Any, pooch_: Any) -> None:
    """pooch downloader for ``file://`` URLs (a local mirror); pooch passes a path or a file object."""
    source = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    if isinstance(output_file, str | Path):
        shutil.copyfile(source, output_file)
        return
    with source.open("rb") as reader:
        shutil.copyfileobj(reader, output_file)


@contextlib.contextmanager
def _pooch_quiet() -> Iterator[None]:
    """pooch logs every step at INFO (temporary paths, advice on its own API): our command says what
    happened in one line, and the progress bar shows the download."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fetch_and_unzip(
    source: DatasetSource, url: str, work: Path, timeout_s: float, progressbar: bool
) -> Path:
    """The archive at ``url`` fetched into ``work`` and its listed members unzipped; the folder."""
    if url.lower().startswith("file://"):
        downloader: Any = _copy_local
    else:
        downloader = pooch.HTTPDownloader(
            progressbar=progressbar, timeout=timeout_s, headers={"User-Agent": _USER_AGENT}
        )
    members = [f"{source.member_prefix}{relative}" for relative in source.files]
    try:
        with _pooch_quiet():
            pooch.retrieve(
                url,
                known_hash=f"sha256:{source.archive_sha256}" if source.archive_sha256 else None,
                fname="archive.zip",
                path=work,
                downloader=downloader,
                processor=pooch.Unzip(members=members, extract_dir="unzipped"),
            )
    except requests.HTTPError as error:
        response = error.response
        status = f"HTTP {response.status_code} {response.reason}" if response is not None else str(error)
        raise DownloadError(f"downloading {url} failed: {status}") from error
    except requests.Timeout as error:
        raise DownloadError(f"downloading {url} failed: timed out after {timeout_s:g} s") from error
    except requests.exceptions.ChunkedEncodingError as error:  # fewer bytes than Content-Length said
        raise DownloadError(f"downloading {url} failed: truncated download ({error})") from error
    except requests.RequestException as error:  # refused, DNS, reset
        raise DownloadError(f"downloading {url} failed: {error}") from error
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise DownloadError(f"corrupt archive from {url}: {error}") from error
    except ValueError as error:  # pooch: the archive's sha256 is not the recorded one
        raise DownloadError(f"archive from {url} for {source.name!r}: {error}") from error
    return work / "unzipped"
