#!/usr/bin/env python3
"""One command to run CogVideoX Studio: `python3 launch.py --port 7860 --listen`.

On first run it creates `.venv` and installs requirements.txt (again whenever that file
changes), then restarts itself inside the virtual environment, migrates the database,
creates an admin account and an API token (printed once), and runs the web server
(gunicorn) and a django-q2 worker cluster together. Ctrl-C stops both cleanly: the web
server at once, the worker cluster after its running job (SIGTERM to the cluster's parent
process only, never its process group).

The top of this file uses the standard library only, because it runs before the virtual
environment exists.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the CogVideoX Studio service (web + worker).")
    parser.add_argument("--port", type=int, help="port to serve on (default: COGVIDEO_PORT, 7860)")
    parser.add_argument("--listen", action="store_true", help="listen on all interfaces (default 127.0.0.1)")
    parser.add_argument("--host", help="address to bind (overrides --listen)")
    parser.add_argument(
        "--model",
        action="append",
        help="hub id, local folder, tiny-random or tiny-random-i2v (sets COGVIDEO_MODEL); repeat it to serve "
        "several models, one worker cluster each (the first is the default; sets COGVIDEO_WORKER_MODELS)",
    )
    parser.add_argument("--data-dir", help="where the database, media and secrets live (COGVIDEO_DATA_DIR)")
    parser.add_argument("--workers", type=int, help="django-q2 workers (one per GPU; COGVIDEO_WORKERS)")
    parser.add_argument("--web-workers", type=int, help="gunicorn processes (default: COGVIDEO_WEB_WORKERS, 2)")
    parser.add_argument("--no-worker", action="store_true", help="run only the web server")
    parser.add_argument("--no-web", action="store_true", help="run only the worker cluster")
    parser.add_argument("--setup-only", action="store_true", help="create the environment and exit")
    parser.add_argument("--dev", action="store_true", help="also install requirements-dev.txt")
    return parser.parse_args(argv)


# --- Bootstrap (standard library only) ---------------------------------------------------


def _requirements_digest(dev: bool) -> str:
    digest = hashlib.sha256()
    for name in ["requirements.txt"] + (["requirements-dev.txt"] if dev else []):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment(dev: bool) -> None:
    stamp = VENV / (".installed-dev" if dev else ".installed")
    wanted = _requirements_digest(dev)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    if not VENV_PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("Installing requirements (first run, or requirements changed) ...", flush=True)
    requirements = ROOT / ("requirements-dev.txt" if dev else "requirements.txt")
    subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)],
        check=True,
    )
    stamp.write_text(wanted)


def build_js_client() -> None:
    """clients/js/dist/video-generator.global.js, which the service serves (see settings.py)."""
    subprocess.run([sys.executable, str(ROOT / "clients" / "js" / "build.py")], check=True, stdout=subprocess.DEVNULL)


def inside_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


# --- Running (inside the virtual environment) -------------------------------------------


def configure_environment(args: argparse.Namespace) -> str:
    """Hand the command-line options to settings (and to every child) as environment
    variables; settings.py is the one place that reads them."""
    host = args.host or ("0.0.0.0" if args.listen else "127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogvideo_site.settings")
    if args.model:
        os.environ["COGVIDEO_MODEL"] = args.model[0]
        if len(args.model) > 1:
            os.environ["COGVIDEO_WORKER_MODELS"] = ",".join(args.model)
    if args.data_dir:
        os.environ["COGVIDEO_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.workers:
        os.environ["COGVIDEO_WORKERS"] = str(args.workers)
    if args.port:
        os.environ["COGVIDEO_PORT"] = str(args.port)
    if args.web_workers:
        os.environ["COGVIDEO_WEB_WORKERS"] = str(args.web_workers)
    if args.listen and "COGVIDEO_ALLOWED_HOSTS" not in os.environ:
        os.environ["COGVIDEO_ALLOWED_HOSTS"] = "*"
    return host


_launch_lock = None  # held for the launcher's life: one launch.py per data folder


def hold_data_folder() -> bool:
    """Take the data folder's launch lock; False (with the reason printed) if another
    launch.py holds it. The kernel drops the lock when this process dies, however it dies."""
    import fcntl

    from django.conf import settings

    global _launch_lock
    path = Path(settings.DATA_DIR) / "launch.lock"
    handle = open(path, "a+")  # noqa: SIM115 - kept open as long as the launcher runs
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        print(
            f"Another launch.py (pid {holder}) is running on {settings.DATA_DIR}; "
            "stop it first, or give this one its own --data-dir.",
            file=sys.stderr,
            flush=True,
        )
        return False
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _launch_lock = handle
    return True


def prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin_account()


def ensure_admin_account() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from videos import services

    users = get_user_model()
    if users.objects.filter(is_superuser=True).exists():
        credentials = Path(settings.DATA_DIR) / "admin-credentials.txt"
        print(f"Admin login: see {credentials} (created on first start).", flush=True)
        return
    password = secrets.token_urlsafe(12)
    admin = users.objects.create_superuser("admin", email="", password=password)
    # Only the token's digest is stored: this file and this terminal are the one time it is shown.
    token = services.rotate_account_token(admin).text
    credentials = Path(settings.DATA_DIR) / "admin-credentials.txt"
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: admin\npassword: {password}\napi token: {token}\n")
    # The secrets are shown once on the operator's own terminal; when the output goes to a
    # file or a log collector, only where to read them (the owner-only file).
    if sys.stdout.isatty():
        print(
            "\nFirst start: created the admin account.\n"
            f"  username: admin\n  password: {password}\n  API token: {token}\n"
            f"  (saved in {credentials}, readable by you only)\n",
            flush=True,
        )
    else:
        print(
            f"\nFirst start: created the admin account; its password and API token are in {credentials}.\n", flush=True
        )


def explain_model() -> None:
    from django.conf import settings

    for model in settings.COGVIDEO_WORKER_MODELS or [settings.COGVIDEO_MODEL]:
        if model in ("tiny-random", "tiny-random-i2v"):
            print(f"Model: {model} (a tiny random model for demos and tests: its videos are noise).", flush=True)
        elif model.startswith(("/", ".")) and not Path(model).exists():
            print(f"WARNING: model folder {model} does not exist; jobs will fail until it does.", flush=True)
        else:
            print(f"Model: {model} (loaded by each worker on start; see /api/models).", flush=True)


def run_services(host: str, args: argparse.Namespace) -> int:
    from django.conf import settings

    from cogvideo_site.launcher import ServiceProcesses

    port = settings.COGVIDEO_PORT
    processes = ServiceProcesses(dict(os.environ), pass_fds=(_launch_lock.fileno(),) if _launch_lock else ())
    if not args.no_web:
        processes.start_web(f"{host}:{port}", workers=settings.COGVIDEO_WEB_WORKERS)
    if not args.no_worker:
        # One GPU cluster per served model, each on its model's queue (settings.COGVIDEO_MODEL_QUEUES).
        for queue in settings.COGVIDEO_MODEL_QUEUES.values():
            processes.start_cluster(None if queue == settings.COGVIDEO_QUEUE_NAME else queue)
        processes.start_events()  # webhook deliveries, on their own queue; see settings.py
    shown = "0.0.0.0 (all interfaces)" if host == "0.0.0.0" else host
    print(f"CogVideoX Studio on http://{shown}:{port}/  (API under /api/, admin under /admin/)", flush=True)

    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nStopping: web server now, worker after its running job ...", flush=True)
        processes.signal_all(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)  # the terminal closed: stop as for Ctrl-C
    supervise(processes)
    if stopping:
        processes.wait_all()
        return 0
    stop(signal.SIGTERM, None)  # the web server is in a crash loop: nothing left to serve
    processes.wait_all()
    return 1


# What each child is, for the operator reading the launcher's output.
SERVICE_NAMES = {"web": "the web server", "cluster": "the GPU worker cluster", "events": "the webhook cluster"}


def supervise(processes) -> None:
    """Restart any child that dies while the service runs, with backoff; return when every
    child has exited after a stop, or when the web server is in a crash loop (nothing to
    serve). A worker cluster in a crash loop is left down while the web server keeps
    answering: readiness and system status show that no worker runs, and queued jobs wait."""
    from django.conf import settings

    from cogvideo_site.launcher import RestartBudget

    budgets = {
        name: RestartBudget(limit=settings.COGVIDEO_RESTART_LIMIT, window=settings.COGVIDEO_RESTART_WINDOW_SECONDS)
        for name in processes.children
    }
    restart_at: dict[str, float] = {}
    given_up: set[str] = set()
    while True:
        if processes.stopping:
            if all(child.poll() is not None for child in processes.children.values()):
                return
            time.sleep(0.3)
            continue
        now = time.monotonic()
        for name, child in list(processes.children.items()):
            if name in given_up or child.poll() is None:
                continue
            if name not in restart_at:
                delay = budgets[name].delay_after_exit(now)
                what = SERVICE_NAMES.get(
                    name, f"the GPU worker cluster of queue {name[8:]}" if name.startswith("cluster-") else name
                )
                if delay is None:
                    given_up.add(name)
                    print(
                        f"{what.capitalize()} exited {len(budgets[name].exits)} times within "
                        f"{budgets[name].window:.0f} s (exit code {child.returncode}); not restarting it.",
                        flush=True,
                    )
                    if name == "web":
                        return
                    continue
                print(
                    f"{what.capitalize()} exited (code {child.returncode}); restarting it in {delay:.0f} s.", flush=True
                )
                restart_at[name] = now + delay
            elif now >= restart_at[name]:
                del restart_at[name]
                processes.respawn(name)
        time.sleep(0.3)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    if not inside_venv():
        ensure_environment(args.dev)
        if args.setup_only:
            build_js_client()
            return 0
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(ROOT / "launch.py"), *argv])
    build_js_client()
    if args.setup_only:
        ensure_environment(args.dev)
        return 0
    host = configure_environment(args)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not hold_data_folder():
        return 1
    prepare_database()
    explain_model()
    return run_services(host, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
