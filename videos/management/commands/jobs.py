"""`manage.py jobs list|cancel|retry|purge`: look after jobs from the terminal.

The operator at the shell acts as staff (they can read the database anyway); every change
still goes through the services, with the same conditional updates as the API.
Exit status: 0 done, 1 some id could not be acted on, 2 bad options.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from videos import services
from videos.isotime import iso_z
from videos.models import TERMINAL_STATUSES, JobStatus, VideoJob

from .generate_batch import find_owner

AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 86400}
STATUSES = [choice for choice, _label in JobStatus.choices]


def parse_age(text: str) -> timedelta:
    """An age such as "30d", "12h", "90m", "45s" or "2w"; a bare number is days."""
    match = AGE_RE.match(text or "")
    if not match:
        raise CommandError(f"{text!r} is not an age; use e.g. 30d, 12h, 90m or 2w.", returncode=2)
    return timedelta(seconds=float(match.group(1)) * AGE_UNITS[match.group(2)])


class Command(BaseCommand):
    help = "List, cancel, retry and purge video jobs."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,cancel,retry,purge}")

        listing = actions.add_parser("list", help="jobs, newest first")
        listing.add_argument("--status", action="append", choices=STATUSES, help="repeat for several")
        listing.add_argument("--owner", help="username")
        listing.add_argument("--source", help="api, studio, admin or batch")
        listing.add_argument("--since", help="only jobs created within this age, e.g. 2h or 7d")
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--json", action="store_true")

        for name, verb in (("cancel", "cancel queued or processing jobs"), ("retry", "requeue failed or canceled")):
            sub = actions.add_parser(name, help=verb)
            sub.add_argument("ids", nargs="*", help="task ids")
            sub.add_argument("--status", action="append", choices=STATUSES, help="every job in this state")
            sub.add_argument("--owner", help="with --status: only this user's jobs")
            sub.add_argument("--source", help="with --status: only jobs from this source (e.g. batch)")
            sub.add_argument("--json", action="store_true")

        purging = actions.add_parser("purge", help="delete finished jobs, their videos and files beyond an age")
        purging.add_argument("--older-than", required=True, help="e.g. 30d, 12h; finished before that is deleted")
        purging.add_argument("--status", action="append", choices=[str(s) for s in TERMINAL_STATUSES])
        purging.add_argument("--owner", help="only this user's jobs")
        purging.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
        purging.add_argument("--json", action="store_true")

    def handle(self, *args, action: str, **options):
        return getattr(self, f"_{action}")(options)

    # -- list ------------------------------------------------------------------------------
    def _filtered(self, options):
        jobs = VideoJob.objects.select_related("owner")
        if options.get("owner"):
            jobs = jobs.filter(owner=find_owner(options["owner"]))
        if options.get("status"):
            jobs = jobs.filter(status__in=options["status"])
        if options.get("source"):
            jobs = jobs.filter(source=options["source"])
        return jobs

    def _list(self, options) -> None:
        jobs = self._filtered(options)
        if options["since"]:
            jobs = jobs.filter(created_at__gte=timezone.now() - parse_age(options["since"]))
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        jobs = list(jobs.order_by("-created_at")[: options["limit"]])
        if options["json"]:
            rows = [
                {
                    "task_id": str(job.id),
                    "owner": job.owner.get_username(),
                    "status": job.status,
                    "source": job.source,
                    "priority": job.priority,
                    "progress": 100 if job.status == JobStatus.COMPLETED else job.progress,
                    "prompt": job.prompt,
                    "error": job.error or None,
                    "created_at": iso_z(job.created_at),
                    "started_at": iso_z(job.started_at),
                    "finished_at": iso_z(job.finished_at),
                }
                for job in jobs
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not jobs:
            self.stdout.write("No jobs.")
            return
        self.stdout.write(f"{'task id':36}  {'status':10} {'source':6} {'prio':>4} {'prog':>4}  {'created':16}  prompt")
        for job in jobs:
            progress = 100 if job.status == JobStatus.COMPLETED else job.progress
            created = timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M")
            prompt = job.prompt if len(job.prompt) <= 50 else job.prompt[:49] + "…"
            self.stdout.write(
                f"{job.id}  {job.status:10} {job.source:6} {job.priority:>4} {progress:>3}%  {created:16}  {prompt}"
            )

    # -- cancel / retry --------------------------------------------------------------------
    def _targets(self, options) -> tuple[list[VideoJob], list[tuple[str, str]]]:
        if bool(options["ids"]) == bool(options["status"]):
            raise CommandError("Give task ids, or --status (with --owner/--source) to pick jobs.", returncode=2)
        if options["status"]:
            return list(self._filtered(options).order_by("created_at")), []
        found, missing = [], []
        for text in options["ids"]:
            try:
                job = VideoJob.objects.filter(pk=uuid.UUID(text)).first()
            except ValueError:
                job = None
            if job is None:
                missing.append((text, "no such task"))
            else:
                found.append(job)
        return found, missing

    def _apply(self, options, verb: str, change) -> None:
        """Act on each target. With --status the filter is part of each conditional update,
        so a job that left the selected state after the selection was read (a worker claimed
        it, say) is left alone and reported as moved on, not acted on and not an error."""
        jobs, problems = self._targets(options)
        selected = options["status"]
        done: list[str] = []
        moved_on: list[tuple[str, str]] = []
        for job in jobs:
            try:
                if selected:
                    change(job, only_if=selected)
                else:
                    change(job)
                done.append(str(job.id))
            except services.ServiceError as exc:
                current = exc.extra.get("current_status", "")
                if selected and current not in selected:
                    moved_on.append((str(job.id), current))
                else:
                    problems.append((str(job.id), exc.message))
        if options["json"]:
            document = {
                verb: done,
                "moved_on": [{"task_id": t, "status": status} for t, status in moved_on],
                "errors": [{"task_id": t, "error": e} for t, e in problems],
            }
            self.stdout.write(json.dumps(document))
        else:
            for task_id in done:
                self.stdout.write(f"{task_id}: {verb}")
            for task_id, status in moved_on:
                self.stdout.write(f"{task_id}: left alone, now {status}")
            for task_id, error in problems:
                self.stderr.write(f"{task_id}: {error}")
            summary = f"{len(done)} {verb}, {len(problems)} not."
            if selected:
                summary = f"{len(done)} {verb}, {len(moved_on)} had moved on, {len(problems)} not."
            self.stdout.write(summary)
        if problems:
            sys.exit(1)

    def _cancel(self, options) -> None:
        self._apply(options, "canceled", services.cancel_job)

    def _retry(self, options) -> None:
        if options["status"] and not set(options["status"]) <= {str(s) for s in services.RETRYABLE}:
            raise CommandError("retry --status takes failed or canceled.", returncode=2)
        self._apply(options, "requeued", services.retry_job)

    # -- purge -----------------------------------------------------------------------------
    def _purge(self, options) -> None:
        age = parse_age(options["older_than"])
        owner = find_owner(options["owner"]) if options["owner"] else None
        statuses = options["status"] or [str(s) for s in TERMINAL_STATUSES]
        result = services.purge(age, statuses=statuses, owner=owner, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__))
            return
        would = "would be " if result.dry_run else ""
        self.stdout.write(
            f"{result.jobs} jobs and {result.videos} videos {would}deleted ({result.files} files, "
            f"{result.bytes / 1e6:.1f} MB); {result.orphan_files} unreferenced files {would}deleted."
        )
        if result.kept_reused:
            self.stdout.write(f"{result.kept_reused} old jobs kept: their videos are reused by newer jobs.")
        if result.missing_files:
            self.stderr.write(f"{len(result.missing_files)} files were already missing from storage.")
