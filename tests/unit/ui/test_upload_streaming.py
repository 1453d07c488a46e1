"""Uploads are copied to disk in bounded chunks (never read whole) and checked against the limit."""

from __future__ import annotations

import hashlib
import io

import pytest

from invdash.ui import upload_views as uploads


class _ChunkOnlyReader(io.RawIOBase):
    """A file-like that fails when asked for everything at once or for more than ``chunk``."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self._data = io.BytesIO(data)
        self.chunk = chunk
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.chunk:
            raise AssertionError(f"read({size}) would load more than one chunk")
        self.reads.append(size)
        return self._data.read(size)

    def getvalue(self) -> bytes:
        raise AssertionError("getvalue() loads the whole file")


def test_copy_reads_in_chunks_and_hashes_the_content(tmp_path):
    data = bytes(range(256)) * 1000  # 256 kB
    source = _ChunkOnlyReader(data, chunk=4096)

    digest = uploads.copy_in_chunks(source, tmp_path / "copy.csv", chunk_bytes=4096)

    assert (tmp_path / "copy.csv").read_bytes() == data
    assert digest == hashlib.sha256(data).hexdigest()
    assert len(source.reads) >= len(data) // 4096 and max(source.reads) == 4096


def test_save_upload_streams_to_a_content_addressed_path(monkeypatch, tmp_path):
    monkeypatch.setattr(uploads, "UPLOAD_CHUNK_BYTES", 1024)
    monkeypatch.setattr(uploads.tempfile, "tempdir", str(tmp_path))
    data = b"date,sku,qty\n" + b"2024-01-01,A,1\n" * 5000

    path = uploads.save_upload(_ChunkOnlyReader(data, chunk=1024), "shop.csv")
    again = uploads.save_upload(_ChunkOnlyReader(data, chunk=1024), "shop.csv")

    assert path == again and path.name == "shop.csv"
    assert path.parent.name == hashlib.sha256(data).hexdigest()[:16]
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.parent.iterdir()] == [path.parent.name]  # no leftovers


def test_the_limit_comes_from_the_streamlit_option(monkeypatch):
    monkeypatch.setattr(uploads.st_config, "get_option", lambda name: {
        "server.maxUploadSize": 2}[name])

    assert uploads.max_upload_bytes() == 2 * 1024 * 1024
    assert uploads.upload_size_error("ok.csv", 2 * 1024 * 1024) is None
    message = uploads.upload_size_error("big.csv", 3 * 1024 * 1024)
    assert message.startswith("big.csv: 3.0 MB is over the upload limit of 2 MB")
    assert "invdash ingest FILE" in message


def test_the_configured_limit_is_200_mb():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[3] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 200


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_remapped_upload_is_streamed_with_only_the_header_changed(gzipped):
    import gzip

    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    text = b"Day,Item,Units,Returned\r\n" + b"".join(
        f"{day},A,3,1\r\n".encode() for day in days)
    name = "shop.csv.gz" if gzipped else "shop.csv"
    upload = uploads.read_upload_sales(
        gzip.compress(text) if gzipped else text, name, kind="sales",
        mapping={"date": "Day", "sku": "Item", "qty": "Returned", "price": uploads.NO_COLUMN,
                 "promo": uploads.NO_COLUMN},
    )
    assert upload.sales["qty"].sum() == float(len(days))
