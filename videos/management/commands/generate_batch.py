"""`manage.py generate_batch FILE`: submit every row of a .txt, .csv or .jsonl file as a job,
optionally follow them to the end, copy the videos out and write a report.

Safe to re-run: each row has a stable idempotency key, so a second run (or the resume of a
run stopped with Ctrl-C) finds the jobs it already made and submits only what is missing.
Exit status: 0 all rows fine, 1 some row invalid/failed/canceled, 2 unusable file or
options, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from videos.batch.display import make_display
from videos.batch.readers import BatchFileError, read_batch_file
from videos.batch.report import check_report_path, write_report
from videos.batch.rows import QUALITY_WORDS, BatchDefaults, plan_rows
from videos.batch.runner import (
    DEFAULT_BATCH_PRIORITY,
    BatchRunner,
    RowResult,
    exit_code,
    summarize,
)

EXIT_INTERRUPTED = 130
PRIORITY_RANGE = (-100, 100)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def find_owner(username: str | None):
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}; create one with `manage.py create_api_token {username}`.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        return user
    admins = list(users.filter(is_superuser=True, is_active=True)[:2])
    if len(admins) != 1:
        raise CommandError("Say whose jobs these are with --owner USERNAME.")
    return admins[0]


class Command(BaseCommand):
    help = "Generate a video for every row of a .txt, .csv or .jsonl file (see README: Batch jobs)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=".txt (a prompt a line), .csv (header row) or .jsonl")
        parser.add_argument("--owner", help="username the jobs belong to (default: the only superuser)")
        parser.add_argument("--template", help="prompt template slug for rows that set none")
        parser.add_argument("--duration", type=int, help="seconds, for rows that set none")
        parser.add_argument("--resolution", help='"WxH", for rows that set none')
        parser.add_argument("--quality", choices=sorted(QUALITY_WORDS), help="quality (full) or draft (fast) preset")
        parser.add_argument("--steps", type=int, help="num_inference_steps, for rows that set none")
        parser.add_argument("--seed", type=int, help="seed for rows that set none (the same for each row)")
        parser.add_argument(
            "--priority",
            type=int,
            default=DEFAULT_BATCH_PRIORITY,
            help=f"queue priority (default {DEFAULT_BATCH_PRIORITY}; API requests have 0 and run first)",
        )
        parser.add_argument(
            "--max-queued",
            type=int,
            help="most of this batch's jobs queued at once (default: half the per-user queue cap)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate every row, print what would run")
        parser.add_argument("--skip-invalid", action="store_true", help="submit the valid rows even if some are not")
        parser.add_argument("--wait", action="store_true", help="follow the jobs until all have finished")
        parser.add_argument("--out", type=Path, help="copy finished MP4s here with readable names (implies --wait)")
        parser.add_argument("--report", type=Path, help="write results.csv or results.json")
        parser.add_argument("--json", action="store_true", help="no progress display; one JSON document on stdout")
        parser.add_argument(
            "--progress", choices=["auto", "bar", "lines", "none"], default="auto", help="progress display"
        )
        parser.add_argument("--run-label", default="", help="start a separate run of an already submitted file")
        parser.add_argument("--poll", type=float, default=0.5, help=argparse.SUPPRESS)  # tests poll faster

    def handle(self, *args, **options):
        path: Path = options["file"]
        if options["verbosity"] < 2:
            # Per-job INFO lines ("Enqueued", "job created") would drown the progress display.
            for name in ("django-q", "videos", "cogvideo"):
                logging.getLogger(name).setLevel(logging.WARNING)
        wait = options["wait"] or options["out"] is not None
        as_json = options["json"]
        self._check_options(options)
        owner = find_owner(options["owner"])
        defaults = BatchDefaults(
            template=options["template"],
            duration=options["duration"],
            resolution=options["resolution"],
            quality=options["quality"],
            seed=options["seed"],
            steps=options["steps"],
        )
        try:
            rows = read_batch_file(
                path, skip_invalid=options["skip_invalid"], default_template=bool(options["template"])
            )
        except BatchFileError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        if not rows:
            raise CommandError(f"{path}: no rows to generate.", returncode=2)
        planned = plan_rows(rows, defaults, run_label=options["run_label"])
        invalid = [item for item in planned if not item.valid]

        if options["dry_run"]:
            return self._dry_run(planned, as_json)
        if invalid and not options["skip_invalid"]:
            self._print_invalid(invalid)
            raise CommandError(
                f"{len(invalid)} of {len(planned)} rows are invalid; nothing was submitted. "
                "Fix them, or submit the valid rows with --skip-invalid.",
                returncode=1,
            )

        display = make_display("none" if as_json else options["progress"], len(planned))
        runner = BatchRunner(
            planned,
            owner,
            priority=options["priority"],
            wait=wait,
            out_dir=options["out"],
            max_queued=options["max_queued"],
            poll_interval=options["poll"],
            on_update=display.update,
        )
        interrupted = False
        # `kill` (SIGTERM) stops as cleanly as Ctrl-C: the report is written, and a re-run
        # resumes. SIGINT gets the handler explicitly too: a process started in the
        # background of a non-interactive shell inherits SIGINT as ignored, and then
        # `kill -INT` would do nothing. Only the main thread may set handlers (call_command
        # may run elsewhere).
        in_main = threading.current_thread() is threading.main_thread()
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, _interrupt) for sig in stop_signals} if in_main else {}
        try:
            with display:
                runner.run()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        results = runner.results
        if interrupted:
            try:
                runner.refresh()  # best effort: the report shows where things stood
            except Exception:  # noqa: BLE001 - e.g. a database connection cut by the signal
                pass
        summary = summarize(results)
        code = EXIT_INTERRUPTED if interrupted else exit_code(results, waited=wait)
        if options["report"]:
            write_report(options["report"], results, summary)
        if as_json:
            document = {
                "file": str(path),
                "owner": owner.get_username(),
                "interrupted": interrupted,
                "exit_code": code,
                "summary": summary,
                "rows": [r.report_fields() | {"existed": r.existed} for r in results],
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False))
        else:
            self._print_summary(results, summary, options, interrupted, wait)
        if code:
            sys.exit(code)

    # -- helpers ---------------------------------------------------------------------------
    def _check_options(self, options) -> None:
        low, high = PRIORITY_RANGE
        if not low <= options["priority"] <= high:
            raise CommandError(f"--priority must be from {low} to {high}.", returncode=2)
        if options["max_queued"] is not None and options["max_queued"] < 1:
            raise CommandError("--max-queued must be at least 1.", returncode=2)
        if options["report"]:
            try:
                check_report_path(options["report"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        out = options["out"]
        if out is not None and out.exists() and not out.is_dir():
            raise CommandError(f"--out {str(out)!r} is not a folder.", returncode=2)

    def _print_invalid(self, invalid) -> None:
        for item in invalid:
            self.stderr.write(f"line {item.line}: {item.error}")

    def _dry_run(self, planned, as_json: bool) -> None:
        invalid = [item for item in planned if not item.valid]
        if as_json:
            rows = []
            for item in planned:
                entry = {"row": item.line, "valid": item.valid, "prompt": item.prompt, "error": item.error}
                if item.valid:
                    params = item.spec.params
                    entry["params"] = {k: params[k] for k in ("resolution", "duration", "num_inference_steps")}
                    entry["seed"] = params["seed"] if params["seed_given"] else None
                rows.append(entry)
            self.stdout.write(json.dumps({"dry_run": True, "valid": len(planned) - len(invalid), "rows": rows}))
        else:
            for item in planned:
                if item.valid:
                    p = item.spec.params
                    seed = p["seed"] if p["seed_given"] else "random"
                    self.stdout.write(
                        f"line {item.line}: {p['resolution']}, {p['duration']} s, {p['num_inference_steps']} steps, "
                        f"seed {seed}: {item.prompt[:70]}"
                    )
                else:
                    self.stdout.write(f"line {item.line}: INVALID: {item.error}")
            self.stdout.write(
                f"Dry run: {len(planned) - len(invalid)} of {len(planned)} rows would be submitted; nothing was."
            )
        if invalid:
            sys.exit(1)

    def _print_summary(self, results: list[RowResult], summary: dict, options, interrupted: bool, wait: bool) -> None:
        for result in results:
            if result.error and result.status != "pending":
                self.stderr.write(f"line {result.row}: {result.status}: {result.error}")
        counts = ", ".join(f"{summary[k]} {k}" for k in summary if k not in {"rows", "existed", "submitted_now"})
        self.stdout.write(
            f"{summary['rows']} rows: {counts} ({summary['submitted_now']} submitted now, "
            f"{summary['existed']} from an earlier run)."
        )
        if interrupted:
            self.stdout.write("Interrupted. Run the same command again to resume: submitted rows are not repeated.")
        elif not wait and any(r.task_id and not r.final for r in results):
            self.stdout.write("Submitted. Follow with --wait (same command), or `manage.py jobs list --source batch`.")
        if options["out"] is not None:
            self.stdout.write(f"Videos in {options['out']}")
        if options["report"]:
            self.stdout.write(f"Report: {options['report']}")
