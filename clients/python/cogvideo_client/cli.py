"""``cogvideo``: the client from a shell.

    export COGVIDEO_URL=http://localhost:7860 COGVIDEO_TOKEN=...
    cogvideo generate "A red fox running through fresh snow" --wait --out fox.mp4
    cogvideo status 3f2a...
    cogvideo batch prompts.txt --out-dir videos/

Results go to stdout (one id or path per line, or JSON with ``--json``);
progress bars and messages go to stderr, so ``ID=$(cogvideo generate ...)``
works.  Exit status: 0 ok, 1 a job failed or was canceled, 2 bad input,
3 auth, 4 not found, 5 timed out, 6 service unreachable or busy, 7 conflict.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .batch import BatchProgress, BatchVideoProcessor
from .client import CogVideoClient
from .errors import (
    AuthError,
    CogVideoError,
    Conflict,
    ConnectionFailed,
    JobFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    Timeout,
    ValidationError,
)
from .models import Task

DEFAULT_URL = "http://localhost:7860"  # what `python launch.py` listens on

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (JobFailed, 1),
    (ValidationError, 2),
    (AuthError, 3),
    (PermissionDenied, 3),
    (NotFound, 4),
    (Timeout, 5),
    (ConnectionFailed, 6),
    (RateLimited, 6),
    (ServiceUnavailable, 6),
    (Conflict, 7),
]


class ProgressBar:
    """A one-line bar on a terminal; plain lines (on change) when piped."""

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = ""
        self._open = False

    def show(self, fraction: float, text: str) -> None:
        fraction = max(0.0, min(1.0, fraction))
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {fraction * 100:3.0f}%  {text}"
        if line == self._last:
            return
        self._last = line
        if self.tty:
            self.stream.write("\r\033[K" + line)
            self._open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def describe(task: Task) -> str:
    parts = [task.status]
    if task.stage and task.stage != task.status:
        parts.append(task.stage)
    if task.queue_position:
        parts.append(f"queue position {task.queue_position}")
    if task.step is not None and task.total_steps:
        parts.append(f"step {task.step}/{task.total_steps}")
    if task.eta_seconds is not None and task.status == "processing":
        parts.append(f"eta {task.eta_seconds:.0f}s")
    return "  ".join(parts)


def _key_values(pairs: list[str] | None, what: str) -> dict[str, Any] | None:
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"cogvideo: {what} must look like key=value, not {pair!r}")
        out[key] = value
    return out


def _generation_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        key: value
        for key, value in {
            "duration": args.duration,
            "resolution": args.resolution,
            "negative_prompt": args.negative_prompt,
            "seed": args.seed,
            "num_inference_steps": args.steps,
            "guidance_scale": args.guidance,
            "enhance_quality": False if args.draft else None,
            "template": args.template,
            "variables": _key_values(args.var, "--var"),
            "metadata": _key_values(args.metadata, "--metadata"),
            "fit": args.fit,
            "pad_color": args.pad_color,
            "fps": args.fps,
            "formats": ["mp4", "webm"] if args.webm else None,
        }.items()
        if value is not None
    }


def _add_generation_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("generation")
    g.add_argument("--duration", type=int, help="seconds (1..6 for CogVideoX-2b)")
    g.add_argument("--resolution", help='"WxH", multiples of 16, e.g. 720x480')
    g.add_argument("--negative-prompt")
    g.add_argument("--seed", type=int)
    g.add_argument("--steps", type=int, help="num_inference_steps")
    g.add_argument("--guidance", type=float, help="guidance_scale")
    g.add_argument(
        "--draft",
        action="store_true",
        help="faster draft preset (enhance_quality=false)",
    )
    g.add_argument(
        "--fit",
        help="how the rendered frames become --resolution: crop (default), pad or stretch "
        "(`cogvideo models` lists them)",
    )
    g.add_argument("--pad-color", help='"#rrggbb", black or white (for --fit pad)')
    g.add_argument("--fps", type=int, help="delivered frame rate, one of the model's (`cogvideo models`)")
    g.add_argument("--webm", action="store_true", help="a VP9 WebM too (with --out: saved next to the MP4)")
    g.add_argument("--template", help="prompt template slug")
    g.add_argument("--var", action="append", metavar="KEY=VALUE", help="template variable")
    g.add_argument("--metadata", action="append", metavar="KEY=VALUE", help="echoed back")


#: Seconds a command may take before it gives up (``--timeout`` overrides): the wait for
#: a job for the commands that wait, a minute for one API answer otherwise.
WAIT_TIMEOUT = 1800.0
CALL_TIMEOUT = 60.0
DOWNLOAD_TIMEOUT = 600.0


def _common_options(p: argparse.ArgumentParser, top: bool) -> None:
    """Options accepted before the command and after it (``cogvideo status ID -q``).

    Below the command they default to SUPPRESS, so they override what was given above
    it only when given there."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    p.add_argument(
        "--url",
        default=default(os.environ.get("COGVIDEO_URL", DEFAULT_URL)),
        help=f"server base URL, http:// or https:// (default: $COGVIDEO_URL or {DEFAULT_URL})",
    )
    p.add_argument("--token", default=default(os.environ.get("COGVIDEO_TOKEN")), help="API token")
    p.add_argument("--poll", type=float, default=default(2.0), help="seconds between status polls")
    p.add_argument(
        "--timeout",
        type=float,
        default=default(None),
        help=f"seconds before the command gives up, retries included (default: {WAIT_TIMEOUT:g} for "
        f"commands that wait for jobs, {DOWNLOAD_TIMEOUT:g} for download, {CALL_TIMEOUT:g} otherwise)",
    )
    p.add_argument("--retries", type=int, default=default(None), help="retries per API call (default 4)")
    p.add_argument(
        "--quiet", "-q", action="store_true", default=default(False), help="no progress output, no retry warnings"
    )


#: command -> (help, positional arguments, takes --json)
COMMANDS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "generate": ("queue a video (and optionally wait and download it)", (), True),
    "status": ("show a job", ("task_id",), True),
    "wait": ("wait for a job (and optionally download it)", ("task_id",), True),
    "download": ("download a finished video", ("video_id",), False),
    "cancel": ("cancel a queued or running job", ("task_id",), True),
    "tasks": ("list your jobs, newest first", (), True),
    "system": ("server status: model, device, queue, workers", (), True),
    "models": ("the served models: sizes, frame rates, durations, fits, formats", (), True),
    "batch": ("one video per line of a file ('-': stdin)", (), True),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cogvideo",
        description="Generate videos with a CogVideoX Studio server.",
        epilog="COGVIDEO_URL and COGVIDEO_TOKEN in the environment stand in for --url/--token.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {}
    for name, (text, positionals, has_json) in COMMANDS.items():
        commands[name] = p = sub.add_parser(name, help=text)
        for positional in positionals:
            p.add_argument(positional)
        if has_json:
            p.add_argument("--json", action="store_true", help="print the answer as JSON")
        _common_options(p, top=False)

    p = commands["generate"]
    p.add_argument("prompt", nargs="?", help="what the video shows (omit with --template)")
    _add_generation_options(p)
    p.add_argument("--idempotency-key", help="make this request idempotent across runs")
    p.add_argument("--wait", action="store_true", help="wait until the video is ready")
    p.add_argument("--out", "-o", help="download the video here (implies --wait)")

    commands["wait"].add_argument("--out", "-o")

    p = commands["download"]
    p.add_argument("--out", "-o", default=".", help="file or directory (default: here)")
    p.add_argument("--thumbnail", action="store_true", help="the JPEG poster instead")

    p = commands["tasks"]
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=20)

    p = commands["batch"]
    p.add_argument("file", help="prompts, one per line; '#' comments; or JSON objects")
    p.add_argument("--concurrency", "-j", type=int, default=2, help="jobs in flight (default 2)")
    p.add_argument("--out-dir", help="download every finished video here")
    _add_generation_options(p)
    return parser


def command_timeout(args: argparse.Namespace) -> float:
    """The seconds this command may take: --timeout, or its kind's default."""
    if args.timeout is not None:
        return float(args.timeout)
    waits = args.command in ("wait", "batch") or (args.command == "generate" and (args.wait or args.out))
    if waits:
        return WAIT_TIMEOUT
    return DOWNLOAD_TIMEOUT if args.command == "download" else CALL_TIMEOUT


def read_prompts(source: str) -> list[str | dict[str, Any]]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    prompts: list[str | dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise SystemExit(f"cogvideo: {source}:{number}: bad JSON: {exc}") from None
            prompts.append(item)
        else:
            prompts.append(line)
    return prompts


def _print_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def _wait_with_bar(client: CogVideoClient, task: Task, timeout: float, quiet: bool, err: TextIO) -> Task:
    bar = None if quiet else ProgressBar(err)

    def on_progress(t: Task) -> None:
        if bar is not None:
            bar.show(t.progress / 100.0, describe(t))

    try:
        return client.wait(task, timeout=timeout, on_progress=on_progress)
    finally:
        if bar is not None:
            bar.close()


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    budget = command_timeout(args)
    # One answer may take at most the whole budget; wait() polls until it is spent.
    with CogVideoClient(
        args.url, args.token, poll_interval=args.poll, max_retries=args.retries, total_timeout=budget
    ) as client:
        args.timeout = budget
        cmd = args.command
        if cmd == "generate":
            if not args.prompt and not args.template:
                raise SystemExit("cogvideo generate: give a prompt or --template")
            task = client.generate(
                args.prompt,
                idempotency_key=args.idempotency_key,
                **_generation_options(args),
            )
            if not args.quiet:
                err.write(f"queued {task.task_id}\n")
            if not (args.wait or args.out):
                if args.json:
                    _print_json(task.raw, out)
                else:
                    out.write(task.task_id + "\n")
                return 0
            return _finish(client, task, args, out, err)
        if cmd == "wait":
            return _finish(client, client.status(args.task_id), args, out, err)
        if cmd == "status":
            task = client.status(args.task_id)
            if args.json:
                _print_json(task.raw, out)
            else:
                out.write(f"{task.task_id}  {task.progress:3d}%  {describe(task)}\n")
                if task.video_id:
                    out.write(f"video_id {task.video_id}\n")
                if task.error:
                    out.write(f"error {task.error}\n")
            return 0
        if cmd == "download":
            path = _download(
                client,
                args.video_id,
                args.out,
                args.quiet,
                err,
                variant="thumbnail" if args.thumbnail else None,
            )
            out.write(f"{path}\n")
            return 0
        if cmd == "cancel":
            task = client.cancel(args.task_id)
            if args.json:
                _print_json(task.raw, out)
            else:
                out.write(f"{task.task_id}  {task.status}\n")
            return 0
        if cmd == "tasks":
            page = client.tasks(status=args.status, limit=args.limit)
            if args.json:
                _print_json([t.raw for t in page], out)
                return 0
            for t in page:
                created = t.created_at.isoformat(timespec="seconds") if t.created_at else ""
                prompt = str(t.raw.get("prompt") or t.parameters.get("prompt") or "")[:60]
                out.write(f"{t.task_id}  {t.status:<10}  {t.progress:3d}%  {created}  {prompt}\n")
            return 0
        if cmd == "system":
            status = client.system_status()
            if args.json:
                _print_json(status.raw, out)
            else:
                for key, value in status.raw.items():
                    shown = json.dumps(value, default=str) if isinstance(value, (dict, list)) else value
                    out.write(f"{key}: {shown}\n")
            return 0
        if cmd == "models":
            models = client.models()
            if args.json:
                _print_json([m.raw for m in models], out)
                return 0
            for m in models:
                sizes = ", ".join(m.trained_sizes) or json.dumps(m.trained_bounds)
                limits = m.resolution_limits
                kind = "image-to-video" if m.takes_image else "text-to-video"
                out.write(
                    f"{m.id}{' (default)' if m.default else ''}  {kind}  profile {m.profile}  trained {sizes}  "
                    f"sides {limits.get('min_side')}-{limits.get('max_side')} (x{limits.get('multiple')})  "
                    f"fps {'/'.join(map(str, m.fps))}  durations {'/'.join(map(str, m.durations))}  "
                    f"fits {'/'.join(m.fits)}  formats {'/'.join(m.formats)}\n"
                )
            return 0
        if cmd == "batch":
            return _batch(client, args, out, err)
    raise SystemExit(f"cogvideo: unknown command {cmd!r}")  # argparse stops this earlier


def _download(
    client: CogVideoClient,
    video_id: str,
    out_path: str,
    quiet: bool,
    err: TextIO,
    variant: str | None = None,
) -> Path:
    bar = None if quiet else ProgressBar(err)

    def on_bytes(done: int, total: int | None) -> None:
        if bar is not None and total:
            bar.show(done / total, f"{done / 1e6:.1f} of {total / 1e6:.1f} MB")

    try:
        return client.download(video_id, out_path, variant=variant, on_progress=on_bytes)
    finally:
        if bar is not None:
            bar.close()


def _finish(
    client: CogVideoClient,
    task: Task,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> int:
    done = _wait_with_bar(client, task, args.timeout, args.quiet, err)
    path = _download(client, done.video_id or "", args.out, args.quiet, err) if args.out else None
    webm = None
    if path is not None and done.webm_url:
        webm = _download(client, done.video_id or "", str(path.with_suffix(".webm")), args.quiet, err, "webm")
    if args.json:
        data = dict(done.raw)
        if path is not None:
            data["path"] = str(path)
        if webm is not None:
            data["webm_path"] = str(webm)
        _print_json(data, out)
    else:
        out.write(f"{path if path is not None else done.video_id}\n")
        if webm is not None:
            out.write(f"{webm}\n")
    return 0


def _batch(client: CogVideoClient, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    prompts = read_prompts(args.file)
    if not prompts:
        raise SystemExit(f"cogvideo batch: no prompts in {args.file}")
    bar = None if args.quiet else ProgressBar(err)
    started = time.monotonic()

    def on_progress(p: BatchProgress) -> None:
        if bar is not None:
            bar.show(
                p.fraction,
                f"{p.completed}/{p.total} done, {p.failed} failed, {len(p.active)} running",
            )

    processor = BatchVideoProcessor(
        client,
        max_concurrent=args.concurrency,
        on_progress=on_progress,
        poll_interval=args.poll,
        timeout=args.timeout,
        download_dir=args.out_dir,
        **_generation_options(args),
    )
    try:
        result = processor.run(prompts)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        _print_json(result, out)
    else:
        lines = [
            (e["index"], f"ok    {e.get('path') or e['video_id']}  {_prompt_text(e)}\n") for e in result["completed"]
        ] + [(e["index"], f"FAIL  {e['error']}  {_prompt_text(e)}\n") for e in result["failed"]]
        out.writelines(line for _, line in sorted(lines))
    if not args.quiet:
        err.write(
            f"{len(result['completed'])} completed, {len(result['failed'])} failed "
            f"in {time.monotonic() - started:.0f}s\n"
        )
    return 1 if result["failed"] else 0


def _prompt_text(entry: dict[str, Any]) -> str:
    prompt = entry["prompt"]
    if isinstance(prompt, dict):
        prompt = prompt.get("prompt") or json.dumps(prompt)
    return str(prompt)


def main(
    argv: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    # The client logs each retry as a warning: show them as the CLI's own lines, or not at all.
    log = logging.getLogger("cogvideo_client")
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("cogvideo: %(message)s"))
    saved = (log.level, log.propagate)
    log.addHandler(handler)
    log.setLevel(logging.ERROR if args.quiet else logging.WARNING)
    log.propagate = False
    try:
        return run(args, out, err)
    except KeyboardInterrupt:
        err.write("cogvideo: interrupted (jobs already queued keep running on the server)\n")
        return 130
    except CogVideoError as exc:
        err.write(f"cogvideo: {exc}\n")
        return _exit_code(exc)
    except ValueError as exc:  # a bad --url, or generate() without a prompt
        err.write(f"cogvideo: {exc}\n")
        return 2
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _exit_code(exc: BaseException) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 6
