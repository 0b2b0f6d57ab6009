"""The batch report: one entry per row (row, prompt, task id, status, video id, file,
seconds, error) as CSV or JSON, chosen by the file's extension."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from .runner import REPORT_COLUMNS, RowResult

REPORT_FORMATS = (".csv", ".json")


def check_report_path(path: Path) -> None:
    if path.suffix.lower() not in REPORT_FORMATS:
        raise ValueError(f"--report must end in .csv or .json, not {path.name!r}.")
    if not path.parent.is_dir():
        raise ValueError(f"--report folder {str(path.parent)!r} does not exist.")


def write_report(path: Path, results: list[RowResult], summary: dict) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a report."""
    partial = path.with_name(path.name + ".part")
    rows = [result.report_fields() for result in results]
    if path.suffix.lower() == ".json":
        partial.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    else:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
    os.replace(partial, path)
