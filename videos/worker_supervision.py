"""What a GPU worker process knows about the django-q2 cluster it belongs to.

django-q2's process tree: `manage.py qcluster` (the cluster's parent, the one that gets
SIGTERM) -> Sentinel -> workers, pusher, monitor. Two things django-q2 does not do for us:

- **A graceful stop claims no new job.** On SIGTERM the parent sets the Sentinel's stop
  event, but wake-up messages already handed to a worker still run, and each one would claim
  a queued job. A worker is forked from the Sentinel, so it holds the same multiprocessing
  event; `cluster_stopping()` reads it and the worker leaves the job queued for the next start.
- **Children die with their parent.** If the cluster's parent is killed (kill -9, OOM
  killer), the Sentinel and its workers would run on, unsupervised, beside the cluster a
  restart brings up (two workers on one GPU). The heartbeat thread calls `orphaned()`; when the
  parent is gone the worker stops the Sentinel, its other children and itself (its job goes back to the queue
  through the restart's dead-worker check or the reaper).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
from typing import Any

logger = logging.getLogger(__name__)

_stop_event: Any = None
_cluster_parent: int | None = None


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # pid (comm) state ppid ...; comm may hold spaces, so split after its ")".
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def attach() -> None:
    """In a freshly forked worker: find the Sentinel's stop event and the cluster's parent."""
    global _stop_event, _cluster_parent
    from django_q.cluster import Sentinel

    sentinel = next((obj for obj in gc.get_objects() if isinstance(obj, Sentinel)), None)
    _stop_event = getattr(sentinel, "stop_event", None)
    _cluster_parent = _parent_of(os.getppid())  # the worker's parent is the Sentinel
    if _stop_event is None:
        logger.warning("worker %s: django-q2's stop event not found; a stop may start queued jobs", os.getpid())


def cluster_stopping() -> bool:
    try:
        return bool(_stop_event is not None and _stop_event.is_set())
    except (OSError, ValueError):  # the event's semaphore is gone with the Sentinel
        return True


def orphaned() -> bool:
    """True when the cluster's parent process has died (the Sentinel now has another parent)."""
    if _cluster_parent is None or _cluster_parent <= 1:
        return False
    return _parent_of(os.getppid()) != _cluster_parent


def stop_orphaned_cluster() -> None:
    logger.error(
        "worker %s: the cluster's parent process %s is gone; stopping this orphaned cluster",
        os.getpid(),
        _cluster_parent,
    )
    sentinel = os.getppid()
    siblings = [pid for pid in _all_pids() if pid != os.getpid() and _parent_of(pid) == sentinel]
    for pid in [sentinel, *siblings]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os._exit(1)


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]
