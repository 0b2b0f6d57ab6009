"""Batch file readers: .txt (one prompt a line), .csv (a header row of request fields) and
.jsonl (one JSON object a line). Each row keeps the line it starts on, so every error can
point at it.

Readers only parse and turn text cells into JSON-like values; whether the values are
acceptable is decided by the API's validator, job_specs.parse_generate_request (called in
videos/batch/rows.py), so the command line and the API accept exactly the same requests.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = (".txt", ".csv", ".jsonl")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a batch is prompts, not media: refuse anything bigger

# CSV columns and the request field each one feeds. `quality` is the command-line spelling
# of enhance_quality ("quality" or "draft"); `var_NAME` columns fill template variables.
CSV_COLUMNS = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",
    "template": "template",
    "variables": "variables",
    "duration": "duration",
    "resolution": "resolution",
    "seed": "seed",
    "metadata": "metadata",
    "quality": "quality",
    "enhance_quality": "enhance_quality",
    "num_inference_steps": "num_inference_steps",
    "guidance_scale": "guidance_scale",
    "callback_url": "callback_url",
}
VARIABLE_PREFIX = "var_"
INTEGER_COLUMNS = {"duration", "seed", "num_inference_steps"}
FLOAT_COLUMNS = {"guidance_scale"}
BOOLEAN_COLUMNS = {"enhance_quality"}
JSON_COLUMNS = {"variables", "metadata"}
INTEGER_RE = re.compile(r"^[+-]?\d+$")
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1"}, {"false", "no", "0"}


class BatchFileError(Exception):
    """The file itself is unusable (unknown format, bad encoding, missing column, broken
    JSON line). `line` is 1-based, None when the problem is not on one line."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


@dataclass
class BatchRow:
    line: int
    fields: dict = field(default_factory=dict)
    # A problem found while reading this row (undecodable bytes, broken JSON): the row is
    # invalid whatever the validator would say.
    error: str = ""


def read_batch_file(path: Path | str, *, skip_invalid: bool = False, default_template: bool = False) -> list[BatchRow]:
    """All rows of the file, in order. A malformed file raises BatchFileError, except that
    with skip_invalid the broken lines come back as rows with `error` set (to be reported,
    never silently dropped). `default_template`: a --template was given, so a CSV needs no
    prompt or template column."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BatchFileError(f"{path.name}: unknown file type {suffix or '(none)'!r}; use .txt, .csv or .jsonl.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BatchFileError(f"{path}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise BatchFileError(f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    lines, broken = _decode_lines(path.read_bytes(), skip_invalid=skip_invalid)
    if suffix == ".txt":
        rows = _read_txt(lines)
    elif suffix == ".jsonl":
        rows = _read_jsonl(lines, skip_invalid=skip_invalid)
    else:
        rows = _read_csv(lines, default_template=default_template)
    rows.extend(BatchRow(line=number, error=message) for number, message in broken)
    return sorted(rows, key=lambda row: row.line)


def _decode_lines(raw: bytes, *, skip_invalid: bool) -> tuple[list[str], list[tuple[int, str]]]:
    """The file as text lines (line endings kept). Bytes that are not UTF-8 stop the read
    with the line number; with skip_invalid such lines are blanked and returned as broken."""
    if raw.startswith(b"\xef\xbb\xbf"):  # a BOM, as spreadsheet programs write it
        raw = raw[3:]
    try:
        return raw.decode("utf-8").splitlines(keepends=True), []
    except UnicodeDecodeError as exc:
        if not skip_invalid:
            line = raw[: exc.start].count(b"\n") + 1
            raise BatchFileError(
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8.", line
            ) from None
    lines: list[str] = []
    broken: list[tuple[int, str]] = []
    for number, chunk in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            broken.append((number, "not valid UTF-8; save the file as UTF-8."))
            lines.append("\n")
    return lines, broken


def _read_txt(lines: list[str]) -> list[BatchRow]:
    rows = []
    for number, text in enumerate(lines, start=1):
        prompt = text.strip()
        if prompt and not prompt.startswith("#"):  # blank lines and # comments are not rows
            rows.append(BatchRow(line=number, fields={"prompt": prompt}))
    return rows


def _read_jsonl(lines: list[str], *, skip_invalid: bool) -> list[BatchRow]:
    rows = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError(f"expected a JSON object, got {type(value).__name__}")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            message = f"broken JSON line ({exc})"
            if not skip_invalid:
                raise BatchFileError(message, number) from None
            rows.append(BatchRow(line=number, error=message))
            continue
        rows.append(BatchRow(line=number, fields=value))
    return rows


def _read_csv(lines: list[str], *, default_template: bool) -> list[BatchRow]:
    reader = csv.reader(io.StringIO("".join(lines), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BatchFileError("the CSV file is empty; it needs a header row such as 'prompt,duration'.", 1) from None
    except csv.Error as exc:
        raise BatchFileError(f"broken CSV ({exc})", reader.line_num) from None
    columns = [name.strip().lower() for name in header]
    _check_header(columns, default_template=default_template)
    rows = []
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BatchFileError(f"broken CSV ({exc})", previous_end + 1) from None
        start, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            rows.append(BatchRow(line=start, error=f"has {len(cells)} cells but the header has {len(columns)} columns"))
            continue
        fields, error = _csv_fields(columns, cells)
        rows.append(BatchRow(line=start, fields=fields, error=error))
    return rows


def _check_header(columns: list[str], *, default_template: bool) -> None:
    unknown = [c for c in columns if c not in CSV_COLUMNS and not (c.startswith(VARIABLE_PREFIX) and len(c) > 4)]
    if unknown:
        raise BatchFileError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; known: {', '.join(CSV_COLUMNS)} "
            f"and {VARIABLE_PREFIX}NAME for template variables.",
            1,
        )
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise BatchFileError(f"column(s) {', '.join(map(repr, duplicates))} appear more than once.", 1)
    if not default_template and "prompt" not in columns and "template" not in columns:
        raise BatchFileError("missing column: the header needs 'prompt' or 'template' (or give --template).", 1)


def _csv_fields(columns: list[str], cells: list[str]) -> tuple[dict, str]:
    """Text cells to JSON-like values. Empty cells are left out (the defaults apply). A cell
    that does not look like its type is passed on as text, so the validator names the
    problem exactly as the API would."""
    fields: dict = {}
    variables: dict = {}
    for column, cell in zip(columns, cells, strict=True):
        text = cell.strip()
        if not text:
            continue
        if column.startswith(VARIABLE_PREFIX) and column not in CSV_COLUMNS:
            variables[column[len(VARIABLE_PREFIX) :]] = text
        elif column in INTEGER_COLUMNS:
            fields[column] = int(text) if INTEGER_RE.match(text) else text
        elif column in FLOAT_COLUMNS:
            try:
                fields[column] = float(text)
            except ValueError:
                fields[column] = text
        elif column in BOOLEAN_COLUMNS:
            lowered = text.lower()
            fields[column] = True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else text
        elif column in JSON_COLUMNS:
            try:
                fields[column] = json.loads(text)
            except ValueError as exc:
                return fields, f"{column}: not valid JSON ({exc})"
        else:
            fields[column] = text
    if variables:
        if isinstance(fields.get("variables"), dict):
            variables = {**fields["variables"], **variables}
        fields["variables"] = variables
    return fields, ""
