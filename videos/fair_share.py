"""The order in which queued jobs run (reads only): the one rule behind the worker's claim
(services.claim_next_job) and the queue position and ETA of the status body (selectors).

1. Priority first: a higher `priority` runs before any lower one (batches queue at -10).
2. At equal priority, fair share across owners: the next job goes to the owner with the
   least *load*, the number of their jobs that are running now or were started in the last
   COGVIDEO_FAIR_SHARE_WINDOW_SECONDS. Among owners with the same load, the one served
   longest ago goes first (an owner never served in the window before any other), then the
   owner whose oldest queued job is oldest: round-robin among equals.
3. Within one owner, oldest first.
4. COGVIDEO_MAX_RUNNING_PER_USER (0: no cap): an owner with that many running jobs is passed
   over while a worker claims; their jobs wait for one of their own to finish.

So a user who floods the queue gets every other turn, not every turn: bob's one job runs
right after alice's running one, whatever alice has queued.

Each model has its own workers (COGVIDEO_WORKER_MODELS), so the rule runs per model: a
worker's claim and a job's place look only at jobs of that model, and an owner's load counts
only their jobs of that model. `model=None` means every model (tools that stand in for a
worker).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from .models import JobStatus, VideoJob

NEVER = datetime.min.replace(tzinfo=timezone.get_fixed_timezone(0))


@dataclass
class OwnerShare:
    """An owner's standing: load (running + started in the window) and last service time."""

    load: int = 0
    running: int = 0
    last_served: datetime = NEVER
    queue: list = field(default_factory=list)  # their queued (created_at, pk), oldest first


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.COGVIDEO_FAIR_SHARE_WINDOW_SECONDS)


def _of_model(model: str | None) -> dict:
    return {} if model is None else {"model": model}


def owner_shares(owner_ids, *, now: datetime | None = None, model: str | None = None) -> dict[int, OwnerShare]:
    """Load and last service time of each of `owner_ids` on `model`, from the rows."""
    now = now or timezone.now()
    shares = {owner_id: OwnerShare() for owner_id in owner_ids}
    if not shares:
        return shares
    served = (
        VideoJob.objects.filter(owner_id__in=shares, **_of_model(model))
        .filter(Q(status=JobStatus.PROCESSING) | Q(started_at__gte=_window_start(now)))
        .values("owner_id")
        .annotate(
            load=Count("id"),
            running=Count("id", filter=Q(status=JobStatus.PROCESSING)),
            last=Max("started_at"),
        )
    )
    for row in served:
        share = shares[row["owner_id"]]
        share.load, share.running, share.last_served = row["load"], row["running"], row["last"] or NEVER
    return shares


def _turn_key(owner_id, share: OwnerShare) -> tuple:
    return (share.load, share.last_served, share.queue[0][0], owner_id)


def next_owner(shares: dict[int, OwnerShare]) -> int | None:
    """The owner whose turn it is among those with queued jobs."""
    waiting = [_turn_key(owner_id, share) for owner_id, share in shares.items() if share.queue]
    return min(waiting)[-1] if waiting else None


def next_job_id(*, excluded_owners=(), model: str | None = None):
    """The pk of the `model` job to claim next (None when nothing is queued for an owner not
    in `excluded_owners`): the top priority present, the owner whose turn it is at that
    priority, their oldest job."""
    queued = VideoJob.objects.filter(status=JobStatus.QUEUED, **_of_model(model)).exclude(
        owner_id__in=list(excluded_owners)
    )
    top = queued.order_by("-priority").values_list("priority", flat=True).first()
    if top is None:
        return None
    level = queued.filter(priority=top)
    firsts = dict(level.values("owner_id").annotate(first=Min("created_at")).values_list("owner_id", "first"))
    shares = owner_shares(firsts, model=model)
    for owner_id, first in firsts.items():
        shares[owner_id].queue = [(first, None)]
    owner_id = next_owner(shares)
    return level.filter(owner_id=owner_id).order_by("created_at", "pk").values_list("pk", flat=True).first()


def running_count(owner_id) -> int:
    return VideoJob.objects.filter(owner_id=owner_id, status=JobStatus.PROCESSING).count()


def queue_order(*, down_to_priority: int | None = None, until=None, model: str | None = None) -> list[tuple]:
    """The queued jobs in the order the workers will claim them, as (pk, owner_id, total_steps),
    simulated with the claim's rule: each turn given adds one to that owner's load and makes
    them the owner served last. Levels below `down_to_priority` are left out, and the
    simulation stops at the job `until` (its pk). Only `model`'s jobs (None: every model)."""
    queued = VideoJob.objects.filter(status=JobStatus.QUEUED, **_of_model(model))
    if down_to_priority is not None:
        queued = queued.filter(priority__gte=down_to_priority)
    rows = list(
        queued.order_by("-priority", "created_at", "pk").values_list(
            "pk", "owner_id", "priority", "created_at", "total_steps"
        )
    )
    shares = owner_shares({row[1] for row in rows}, model=model)
    order: list[tuple] = []
    clock = timezone.now()
    for priority in sorted({row[2] for row in rows}, reverse=True):
        for share in shares.values():
            share.queue = deque()
        for pk, owner_id, row_priority, created_at, steps in rows:
            if row_priority == priority:
                shares[owner_id].queue.append((created_at, (pk, owner_id, steps)))
        # A heap of turns: O(jobs x log owners), so a status poll stays cheap with a full queue.
        turns = [_turn_key(owner_id, share) for owner_id, share in shares.items() if share.queue]
        heapq.heapify(turns)
        while turns:
            owner_id = heapq.heappop(turns)[-1]
            share = shares[owner_id]
            _created, job = share.queue.popleft()
            order.append(job)
            if until is not None and job[0] == until:
                return order
            clock += timedelta(microseconds=1)
            share.load += 1
            share.last_served = clock
            if share.queue:
                heapq.heappush(turns, _turn_key(owner_id, share))
    return order
