"""CSV dialects and encodings: the separator, the decimal mark and the text encoding of a
CSV file, each given or sniffed from the file's first bytes, and the CSV reader built on
them.

Sniffing reads the first ``SNIFF_BYTES`` (decompressed):

- **encoding**: a byte-order mark says UTF-8 or UTF-16; else UTF-8 if the bytes are valid
  UTF-8, else ``cp1252`` (Windows' Western European encoding, latin-1 with a few more
  letters), else ``latin-1``. A file that turns out not to be UTF-8 further on is read again
  as ``cp1252``. Bytes of value 0 mean the file is not text.
- **separator**: the one of ``,`` ``;`` tab ``|`` that splits the header into the most
  fields and every line into as many as the header (quotes respected).
- **decimal mark**: ``,`` when the separator is not a comma and numbers such as ``36,69``
  outnumber numbers such as ``36.69``; else ``.``.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass

import pandas as pd

from tabgan.errors import DataError, DecodingError
from tabgan.table.date_formats import detect_formats, parse_formats
from tabgan.table.formats import open_read
from tabgan.table.inference import string_datetime_format
from tabgan.table.tokens import read_placeholders, text_values

__all__ = ["SNIFF_BYTES", "SEPARATORS", "CsvDialect", "sniff_dialect", "read_csv"]

SNIFF_BYTES = 1 << 16
SEPARATORS = (",", ";", "\t", "|")
_SNIFF_ROWS = 200
_COMMA_NUMBER = re.compile(r"[+-]?\d+,\d+")
_DOT_NUMBER = re.compile(r"[+-]?\d*\.\d+")
_UTF8 = ("utf-8", "utf_8", "utf8", "utf-8-sig", "utf_8_sig")
_SEP_NAMES = {"\\t": "\t", "tab": "\t", "\t": "\t", "space": " "}


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is read; ``sniffed`` names the settings that were detected."""

    sep: str
    decimal: str
    encoding: str
    sniffed: tuple[str, ...] = ()

    def describe(self, path: str | os.PathLike) -> str:
        """One line: ``read 'x.csv': encoding utf-8, separator ';', decimal ',' (detected:
        ...)``."""
        sep = "tab" if self.sep == "\t" else repr(self.sep)
        text = (f"read {os.fspath(path)!r}: encoding {self.encoding}, separator {sep}, "
                f"decimal {self.decimal!r}")
        if len(self.sniffed) == 3:
            return text + " (all detected)"
        return text + (f" (detected: {', '.join(self.sniffed)})" if self.sniffed else "")


def sniff_dialect(path: str | os.PathLike, *, sep: str | None = None,
                  decimal: str | None = None, encoding: str | None = None) -> CsvDialect:
    """The dialect of the CSV file at ``path``: each setting as given, or sniffed."""
    sep, decimal, encoding = _checked(sep, decimal, encoding)
    sniffed = []
    head, complete = _head(path)
    if encoding is None:
        encoding = _sniff_encoding(head, complete, path)
        sniffed.append("encoding")
    text = head.decode(encoding, errors="replace")
    if not complete and "\n" in text:
        text = text[: text.rindex("\n")]  # drop the line the sample cut
    rows = _rows(text, sep) if sep is not None else None
    if sep is None:
        sep, rows = _sniff_sep(text)
        sniffed.append("separator")
    if decimal is None:
        decimal = "." if sep == "," else _sniff_decimal(rows)
        sniffed.append("decimal")
    if decimal == sep:
        raise DataError(f"the decimal mark and the separator are both {sep!r}; give "
                        "different ones (--sep, --decimal).")
    return CsvDialect(sep, decimal, encoding, tuple(sniffed))


def read_csv(path: str | os.PathLike, *, sep: str | None = None, decimal: str | None = None,
             encoding: str | None = None, na_values=None,
             notes: list[str] | None = None, text: bool = False) -> pd.DataFrame:
    """Read a CSV file (compressed as its name says) in its given or sniffed dialect.

    ``na_values=None`` reads pandas' standard null strings as nulls in every column, and the
    common placeholders (``?``, ``-``, ``unknown``, ... see :mod:`tabgan.table.tokens`) in
    columns of numbers or dates; a list reads exactly its strings (and the empty field) as
    nulls, in every column. Dates written in several formats are parsed into datetimes.
    What was detected or changed is appended to ``notes``. ``text=True`` reads every column
    as strings and changes nothing else (no placeholders, no dates); the decimal mark is
    kept in ``frame.attrs["decimal"]``."""
    dialect = sniff_dialect(path, sep=sep, decimal=decimal, encoding=encoding)
    notes = notes if notes is not None else []
    if na_values is None:
        nulls = {}
    else:
        tokens = [na_values] if isinstance(na_values, str) else [str(v) for v in na_values]
        nulls = {"keep_default_na": False, "na_values": sorted({*tokens, ""})}
    try:
        frame = _read(path, dialect, nulls, text)
    except UnicodeDecodeError as exc:
        if "encoding" not in dialect.sniffed or dialect.encoding not in _UTF8:
            raise _undecodable(path, dialect.encoding, exc) from exc
        dialect = CsvDialect(dialect.sep, dialect.decimal, _fallback(path), dialect.sniffed)
        frame = _read(path, dialect, nulls, text)
    notes.append(dialect.describe(path))
    if text:
        frame.attrs["decimal"] = dialect.decimal
        return frame
    if na_values is None:
        frame, found = read_placeholders(frame, decimal=dialect.decimal)
        notes += found
    frame, found = _parse_mixed_dates(frame)
    notes += found
    return frame


def _read(path, dialect: CsvDialect, nulls: dict, text: bool = False) -> pd.DataFrame:
    try:
        with open_read(path) as handle:
            return pd.read_csv(handle, sep=dialect.sep, decimal=dialect.decimal,
                               encoding=dialect.encoding, dtype=str if text else None,
                               **nulls)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{os.fspath(path)!r} is empty; give a CSV file with a header "
                        "row.") from exc
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise DataError(
            f"{os.fspath(path)!r} is not a well-formed CSV file with separator "
            f"{dialect.sep!r}: {detail}. Give its separator (--sep) or fix the line."
        ) from exc


def _parse_mixed_dates(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Text columns that are all dates, but not in one format that writes them back as
    they were, parsed into datetimes."""
    notes, out = [], frame
    for name in frame.columns:
        values = text_values(frame[name])
        if values is None or len(values) == 0 or detect_formats(values[:100])[1].any():
            continue  # not dates: the first ones say so already, and cheaply
        if string_datetime_format(frame[name]):
            continue
        formats, unparsed = detect_formats(values)
        if not formats or unparsed.any():
            continue
        if out is frame:
            out = frame.copy()
        out[name] = parse_formats(frame[name], formats)
        notes.append(f"column {name!r}: dates in {len(formats)} format(s) "
                     f"({', '.join(formats)}), read as datetimes")
    return out, notes


def _checked(sep, decimal, encoding):
    if sep is not None:
        sep = _SEP_NAMES.get(sep.lower() if len(sep) > 1 else sep, sep)
        if len(sep) != 1 or sep in "\"\r\n":
            raise DataError(f"the separator must be one character (e.g. ',', ';' or tab), "
                            f"got {sep!r}.")
    if decimal is not None and decimal not in (".", ","):
        raise DataError(f"the decimal mark must be '.' or ',', got {decimal!r}.")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise DataError(f"unknown encoding {encoding!r}; use one Python knows, e.g. "
                            "utf-8, latin-1, cp1252 or utf-16.") from exc
    return sep, decimal, encoding


def _head(path) -> tuple[bytes, bool]:
    with open_read(path) as handle:
        data = handle.read(SNIFF_BYTES + 1)
    return data[:SNIFF_BYTES], len(data) <= SNIFF_BYTES


def _sniff_encoding(head: bytes, complete: bool, path) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise DecodingError(
            f"{os.fspath(path)!r} does not look like a CSV text file (it holds bytes of value "
            "0). If it is a Parquet file, name it .parquet; if it is UTF-16 text without a "
            "byte-order mark, give --encoding utf-16."
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _fallback(path) -> str:
    """The encoding of a file that is not UTF-8 after its first bytes."""
    with open_read(path) as handle:
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                block.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
    return "cp1252"


def _undecodable(path, encoding: str, exc: UnicodeDecodeError) -> DecodingError:
    byte = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
    return DecodingError(
        f"{os.fspath(path)!r} cannot be read as {encoding}: byte 0x{byte} is not {encoding} "
        "text. Give the file's encoding, e.g. --encoding latin-1 (read_table(..., "
        "encoding='latin-1')), or save the file as UTF-8."
    )


def _rows(text: str, sep: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    rows = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= _SNIFF_ROWS:
                break
    except csv.Error:
        pass
    return rows


def _sniff_sep(text: str) -> tuple[str, list[list[str]]]:
    best, best_score, best_rows = ",", (0.0, 1), None
    for sep in SEPARATORS:
        rows = _rows(text, sep)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score, best_rows = sep, score, rows
    return best, best_rows if best_rows is not None else _rows(text, best)


def _sniff_decimal(rows: list[list[str]] | None) -> str:
    comma = dot = 0
    for row in (rows or [])[1:]:
        for field in row:
            field = field.strip()
            if _COMMA_NUMBER.fullmatch(field):
                comma += 1
            elif _DOT_NUMBER.fullmatch(field):
                dot += 1
    return "," if comma > dot else "."
