"""The dataset downloader, against a local HTTP server that serves archives built here."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crsagent.cli import main
from crsagent.data.download import (
    DATASETS_WITHOUT_ARCHIVE,
    SOURCES,
    DatasetSource,
    download_dataset,
    get_source,
    verify_dataset_folder,
)
from crsagent.errors import DownloadError
from crsagent.llm.testing_server import OpenAITestServer, ServerReply

FILES = {
    "movies.csv": b"movieId,title\n1,Heat (1995)\n2,Up (2009)\n",
    "ratings.csv": b"userId,movieId,rating\n1,1,4.0\n1,2,5.0\n",
    "extra/notes.txt": b"nested files land in sub-folders\n",
}
PREFIX = "toy-1.0/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def toy_archive(overrides: dict[str, bytes | None] | None = None) -> bytes:
    """The toy archive; ``overrides`` replace (bytes) or drop (None) files by relative path."""
    files: dict[str, bytes | None] = {**FILES, **(overrides or {})}
    return make_zip({PREFIX + name: data for name, data in files.items() if data is not None})


class Server:
    """The project's local HTTP test server, with the archive the next download of a test gets."""

    def __init__(self, running: OpenAITestServer) -> None:
        self.running = running
        self.base_url = running.root

    @property
    def url(self) -> str:
        return f"{self.base_url}/toy.zip"

    @property
    def requests(self) -> list[str]:
        return self.running.paths

    def serve(self, *replies: ServerReply) -> None:
        self.running.add(*replies)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment must not intercept requests to the local server."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def server() -> Iterator[Server]:
    with OpenAITestServer() as running:
        yield Server(running)


@pytest.fixture
def source(server: Server) -> DatasetSource:
    return DatasetSource(
        name="toy",
        url=server.url,
        description="A toy dataset built by the test.",
        licence="test data",
        member_prefix=PREFIX,
        files={name: sha(data) for name, data in FILES.items()},
    )


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its content and mtime, to prove nothing changed."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def entries(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir())


# -- success paths ---------------------------------------------------------------------------------


def test_download_extracts_and_verifies(
    server: Server, source: DatasetSource, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = toy_archive()
    server.serve(ServerReply(raw_body=archive))

    folder = download_dataset(source, tmp_path, progressbar=True)

    assert folder == tmp_path / "toy"
    assert entries(tmp_path) == ["toy"]  # no .part, no temp folder
    assert {name: (folder / name).read_bytes() for name in FILES} == FILES
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(FILES)
    assert verify_dataset_folder(folder, source) == []
    assert server.requests == ["/toy.zip"]
    assert "100%" in capsys.readouterr().err  # pooch's tqdm bar ran to the end


def test_second_call_does_not_download_again(server: Server, source: DatasetSource, tmp_path: Path) -> None:
    server.serve(ServerReply(raw_body=toy_archive()), ServerReply(raw_body=toy_archive()))
    first = download_dataset(source, tmp_path)
    before = snapshot(first)

    second = download_dataset(source, tmp_path)

    assert second == first
    assert len(server.requests) == 1
    assert snapshot(second) == before


def test_force_downloads_again(server: Server, source: DatasetSource, tmp_path: Path) -> None:
    server.serve(ServerReply(raw_body=toy_archive()), ServerReply(raw_body=toy_archive()))
    folder = download_dataset(source, tmp_path)
    (folder / "stray.txt").write_text("left by the user")

    download_dataset(source, tmp_path, force=True)

    assert len(server.requests) == 2
    assert entries(tmp_path) == ["toy"]  # the old folder moved aside was removed
    assert not (folder / "stray.txt").exists()
    assert verify_dataset_folder(folder, source) == []


def test_a_damaged_folder_is_replaced(server: Server, source: DatasetSource, tmp_path: Path) -> None:
    server.serve(ServerReply(raw_body=toy_archive()), ServerReply(raw_body=toy_archive()))
    folder = download_dataset(source, tmp_path)
    (folder / "movies.csv").write_bytes(b"edited by hand\n")
    assert any("movies.csv" in problem for problem in verify_dataset_folder(folder, source))

    download_dataset(source, tmp_path)

    assert len(server.requests) == 2
    assert (folder / "movies.csv").read_bytes() == FILES["movies.csv"]
    assert entries(tmp_path) == ["toy"]


def test_url_override_points_at_a_mirror(server: Server, tmp_path: Path) -> None:
    server.serve(ServerReply(raw_body=toy_archive()))
    offline = DatasetSource(
        name="toy",
        url="http://127.0.0.1:9/never-used.zip",
        description="",
        member_prefix=PREFIX,
        files={name: sha(data) for name, data in FILES.items()},
    )
    download_dataset(offline, tmp_path, url=f"{server.base_url}/mirror/toy.zip")
    assert server.requests == ["/mirror/toy.zip"]


def test_file_url_works_as_a_mirror(source: DatasetSource, tmp_path: Path) -> None:
    archive = tmp_path / "local" / "toy.zip"
    archive.parent.mkdir()
    archive.write_bytes(toy_archive())
    dest = tmp_path / "cache"
    folder = download_dataset(source, dest, url=archive.as_uri())
    assert verify_dataset_folder(folder, source) == []
    assert entries(dest) == ["toy"]


# -- failures: nothing left behind, an installed folder untouched ----------------------------------


def _check_failure(
    server: Server,
    source: DatasetSource,
    root: Path,
    bad: ServerReply,
    *,
    installed: bool,
    timeout_s: float = 5,
) -> DownloadError:
    """Run a download into ``root`` that gets ``bad`` (with a good folder installed first when ``installed``)."""
    before: dict[str, tuple[bytes, int]] | None = None
    if installed:
        server.serve(ServerReply(raw_body=toy_archive()))
        before = snapshot(download_dataset(source, root))
    server.serve(bad)
    with pytest.raises(DownloadError) as caught:
        download_dataset(source, root, force=installed, timeout_s=timeout_s)
    if installed:
        assert entries(root) == ["toy"]
        assert snapshot(root / "toy") == before
    else:
        assert not root.exists() or entries(root) == []
    return caught.value


@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_corrupt_archive_is_rejected(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool
) -> None:
    error = _check_failure(
        server, source, tmp_path, ServerReply(raw_body=os.urandom(4096)), installed=installed
    )
    assert "corrupt archive" in str(error)
    assert server.url in str(error)


@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_truncated_download_is_rejected(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool
) -> None:
    short = ServerReply(raw_body=toy_archive(), missing_bytes=1000)
    error = _check_failure(server, source, tmp_path, short, installed=installed)
    assert "truncated" in str(error)
    assert server.url in str(error)


@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_checksum_mismatch_names_the_file(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool
) -> None:
    tampered = b"movieId,title\n1,Heat (1995)\n666,Tampered (2024)\n"
    bad = ServerReply(raw_body=toy_archive({"movies.csv": tampered}))
    error = _check_failure(server, source, tmp_path, bad, installed=installed)
    message = str(error)
    assert "movies.csv" in message
    assert sha(FILES["movies.csv"]) in message  # expected
    assert sha(tampered) in message  # actual
    assert "ratings.csv" not in message


@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_missing_member_is_named(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool
) -> None:
    bad = ServerReply(raw_body=toy_archive({"extra/notes.txt": None}))
    error = _check_failure(server, source, tmp_path, bad, installed=installed)
    assert "extra/notes.txt: file is missing" in str(error)
    assert "movies.csv" not in str(error)


def test_a_known_archive_hash_is_checked_before_unzipping(
    server: Server, source: DatasetSource, tmp_path: Path
) -> None:
    pinned = source.model_copy(update={"archive_sha256": sha(b"another archive")})
    error = _check_failure(server, pinned, tmp_path, ServerReply(raw_body=toy_archive()), installed=False)
    assert sha(b"another archive") in str(error)
    assert server.url in str(error)


@pytest.mark.parametrize("status", [404, 500])
@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_http_error_names_url_and_status(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool, status: int
) -> None:
    error = _check_failure(server, source, tmp_path, ServerReply.error(status), installed=installed)
    assert server.url in str(error)
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize("installed", [False, True], ids=["fresh", "installed"])
def test_server_that_never_answers_times_out(
    server: Server, source: DatasetSource, tmp_path: Path, installed: bool
) -> None:
    hang = ServerReply(raw_body=b"", delay_s=30)  # released at teardown; the client gives up long before
    error = _check_failure(server, source, tmp_path, hang, installed=installed, timeout_s=0.3)
    assert server.url in str(error)
    assert "timed out after 0.3 s" in str(error)


def test_connection_refused_names_the_url(source: DatasetSource, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/toy.zip"
    with pytest.raises(DownloadError, match="refused") as caught:
        download_dataset(source, tmp_path, url=url, timeout_s=2)
    assert url in str(caught.value)
    assert entries(tmp_path) == []


def test_unsupported_url_scheme(source: DatasetSource, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="ftp://"):
        download_dataset(source, tmp_path, url="ftp://example.invalid/toy.zip")


# -- path traversal ----------------------------------------------------------------------------------


def test_traversal_members_are_never_written(server: Server, source: DatasetSource, tmp_path: Path) -> None:
    members = {PREFIX + name: data for name, data in FILES.items()}
    members.update(
        {
            "../evil.txt": b"evil",
            f"{PREFIX}../evil.txt": b"evil",
            f"{PREFIX}../../evil.txt": b"evil",
            "/tmp/evil-absolute.txt": b"evil",
        }
    )
    server.serve(ServerReply(raw_body=make_zip(members)))
    dest = tmp_path / "a" / "cache"

    folder = download_dataset(source, dest)

    assert verify_dataset_folder(folder, source) == []
    assert entries(dest) == ["toy"]
    assert [p for p in tmp_path.rglob("evil*")] == []
    assert not Path("/tmp/evil-absolute.txt").exists()


@pytest.mark.parametrize(
    "files, prefix",
    [
        ({"../evil.txt": sha(b"x")}, ""),
        ({"a/../../evil.txt": sha(b"x")}, ""),
        ({"/etc/evil.txt": sha(b"x")}, ""),
        ({"ok.txt": sha(b"x")}, "../"),
        ({"ok.txt": "not-a-hash"}, ""),
        ({}, ""),
    ],
)
def test_sources_with_unsafe_paths_are_refused(files: dict[str, str], prefix: str) -> None:
    with pytest.raises(ValueError):
        DatasetSource(
            name="bad", url="https://example.invalid/x.zip", description="", files=files, member_prefix=prefix
        )


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", ""])
def test_source_names_must_be_plain_folder_names(name: str) -> None:
    with pytest.raises(ValueError):
        DatasetSource(name=name, url="https://example.invalid/x.zip", description="", files={"a": sha(b"")})


# -- the recorded sources ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS_WITHOUT_ARCHIVE))
def test_datasets_without_archive_say_how_to_provide_them(name: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        download_dataset(name, tmp_path)
    message = str(caught.value)
    assert "no single official archive" in message
    assert "CRSAGENT_DATA_DIR" in message
    assert name in message
    assert entries(tmp_path) == []


def test_unknown_dataset_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="ml-latest-small"):
        download_dataset("no-such-dataset", tmp_path)
    assert entries(tmp_path) == []


def test_recorded_sources() -> None:
    movielens = get_source("ml-latest-small")
    assert movielens.member_prefix == "ml-latest-small/"
    assert set(movielens.files) == {"movies.csv", "ratings.csv", "tags.csv", "links.csv", "README.txt"}
    lastfm = get_source("hetrec2011-lastfm-2k")
    assert lastfm.member_prefix == ""
    assert set(lastfm.files) == {"artists.dat", "tags.dat"}  # never user_taggedartists.dat
    for source in SOURCES.values():
        assert source.url.startswith("https://files.grouplens.org/datasets/")
        assert source.url.endswith(f"/{source.name}.zip")
    assert not set(SOURCES) & set(DATASETS_WITHOUT_ARCHIVE)


# -- real data: the recorded hashes match the reference copies ---------------------------------------


@pytest.mark.real_data
@pytest.mark.parametrize("name", ["ml-latest-small", "hetrec2011-lastfm-2k"])
def test_recorded_hashes_match_reference_copies(
    server: Server,
    tmp_path: Path,
    name: str,
    real_folder: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    reference = real_folder(name)
    source = SOURCES[name]
    # Archive every file of the reference folder (hetrec's user_taggedartists.dat included, to show it
    # is not extracted), under the member prefix the official archive uses.
    members = {
        source.member_prefix + path.relative_to(reference).as_posix(): path.read_bytes()
        for path in sorted(reference.rglob("*"))
        if path.is_file()
    }
    assert set(source.files) <= {name[len(source.member_prefix) :] for name in members}
    server.serve(ServerReply(raw_body=make_zip(members)))
    dest = tmp_path / "cache"

    # Through the command a user runs; nothing is downloaded without it.
    assert main(["data", "download", name, "--url", server.url, "--dest", str(dest), "--quiet"]) == 0

    folder = dest / name
    assert verify_dataset_folder(folder, source) == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(source.files)
    assert entries(dest) == [name]
    assert f"{name}: verified and ready in {folder}" in capsys.readouterr().out
