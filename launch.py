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


def prepare_database() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    ensure_admin_account()


def ensure_admin_account() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = get_user_model()
    if users.objects.filter(is_superuser=True).exists():
        credentials = Path(settings.DATA_DIR) / "admin-credentials.txt"
        print(f"Admin login: see {credentials} (created on first start).", flush=True)
        return
    password = secrets.token_urlsafe(12)
    admin = users.objects.create_superuser("admin", email="", password=password)
    token, _ = Token.objects.get_or_create(user=admin)
    credentials = Path(settings.DATA_DIR) / "admin-credentials.txt"
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: admin\npassword: {password}\napi token: {token.key}\n")
    # Shown once, on the operator's own terminal; afterwards only the owner-only file has it.
    print(
        "\nFirst start: created the admin account.\n"
        f"  username: admin\n  password: {password}\n  API token: {token.key}\n"
        f"  (saved in {credentials}, readable by you only)\n",
        flush=True,
    )


def explain_model() -> None:
    from django.conf import settings

    for model in settings.COGVIDEO_WORKER_MODELS:
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
    processes = ServiceProcesses(dict(os.environ))
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
    children = list(processes.children.values())
    try:
        while True:
            codes = [child.poll() for child in children]
            if all(code is not None for code in codes):
                break
            if not stopping and any(code is not None for code in codes):
                print("A service exited unexpectedly; stopping the others.", flush=True)
                stop(signal.SIGTERM, None)
            time.sleep(0.3)
    finally:
        processes.wait_all()
    return max((child.returncode or 0) for child in children) if not stopping else 0


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
    prepare_database()
    explain_model()
    return run_services(host, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
