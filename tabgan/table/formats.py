"""File formats and compression, both chosen by the file's name: ``.csv`` or ``.parquet``,
optionally followed by ``.gz``, ``.bz2``, ``.xz``, ``.zip`` or ``.zst``.

A compressed CSV holds one stream, and where the format stores a name (the member of a zip
archive, the original name in a gzip header) it is the output's name less the compression
suffix: ``out.csv.zip`` holds ``out.csv``, never the name of a temporary file.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tabgan.errors import DataError

__all__ = ["COMPRESSIONS", "table_format", "compression_of", "open_read", "open_write"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}


def table_format(path: str | os.PathLike) -> str:
    """``"csv"`` or ``"parquet"``, by the file's extension."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in _FORMATS:
            return _FORMATS[suffix]
        if suffix not in COMPRESSIONS:
            break
    raise DataError(f"cannot tell the format of {str(path)!r}; use a .csv or .parquet file name.")


def compression_of(path: str | os.PathLike) -> str | None:
    """The compression the file's name asks for (``"gzip"``, ``"zip"``, ...), or None."""
    return COMPRESSIONS.get(Path(path).suffix.lower())


def _member_name(path: str | os.PathLike) -> str:
    """``out.csv`` for ``out.csv.zip``: the name of what the compressed file holds."""
    name = Path(path).name
    suffix = Path(path).suffix
    return name[: -len(suffix)] if suffix.lower() in COMPRESSIONS else name


@contextlib.contextmanager
def open_read(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed as its name says. A zip archive must hold one file."""
    compression = compression_of(path)
    if compression is None:
        handle = open(path, "rb")
    elif compression == "gzip":
        handle = gzip.open(path, "rb")
    elif compression == "bz2":
        handle = bz2.open(path, "rb")
    elif compression == "xz":
        handle = lzma.open(path, "rb")
    elif compression == "zstd":
        import pyarrow as pa

        handle = pa.input_stream(os.fspath(path), compression="zstd")
    else:
        handle = _open_zip_member(path)
    with handle:
        yield handle


def _open_zip_member(path: str | os.PathLike) -> BinaryIO:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{str(path)!r} is not a zip archive; check the file or its name.") from exc
    members = [m for m in archive.infolist()
               if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    if len(members) != 1:
        archive.close()
        raise DataError(
            f"{str(path)!r} holds {len(members)} files; a zipped table must hold exactly one. "
            "Unzip it and read the file you mean."
        )
    return archive.open(members[0])


@contextlib.contextmanager
def open_write(tmp: str | os.PathLike, target: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary stream into the file ``tmp``, compressed as ``target``'s name asks, that
    will be renamed onto ``target``: one stream, named after ``target``."""
    compression = compression_of(target)
    member = _member_name(target)
    if compression is None:
        with open(tmp, "wb") as handle:
            yield handle
    elif compression == "gzip":
        with open(tmp, "wb") as raw, gzip.GzipFile(filename=member, mode="wb",
                                                   fileobj=raw) as handle:
            yield handle
    elif compression == "bz2":
        with bz2.open(tmp, "wb") as handle:
            yield handle
    elif compression == "xz":
        with lzma.open(tmp, "wb") as handle:
            yield handle
    elif compression == "zstd":
        import pyarrow as pa

        with pa.output_stream(os.fspath(tmp), compression="zstd") as handle:
            yield handle
    else:
        info = zipfile.ZipInfo(member, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16  # rw-r--r-- when unzipped
        with zipfile.ZipFile(tmp, "w") as archive:
            with archive.open(info, "w", force_zip64=True) as handle:
                yield handle
