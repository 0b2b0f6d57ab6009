"""The JavaScript client as npm users get it: ``npm pack`` (which builds the global file),
installed from the tarball into an empty project, then imported in Node (ESM, the
webhooks entry and require() of the global build), type-checked with tsc --strict
against its .d.ts, and loaded in headless Chromium from the installed files."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from ..browser import JS_CLIENT

#: typescript, fetched once from the npm registry and reused offline by later runs
TYPESCRIPT = "5.9.3"
NPM_CACHE = Path(os.environ.get("COGVIDEO_TEST_NPM_TOOLS", Path.home() / ".cache" / "cogvideo-tests" / "npm"))


def npm(*args, cwd):
    return subprocess.run(
        ["npm", "--no-audit", "--no-fund", "--loglevel=error", *args], cwd=cwd, check=True, capture_output=True,
        text=True,
    )  # fmt: skip


def node(code: str, cwd: Path) -> dict:
    result = subprocess.run(["node", "--input-type=module", "-e", code], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """An empty npm project with the packed tarball installed (offline: no dependencies)."""
    root = tmp_path_factory.mktemp("npm-app")
    (tarball,) = [line for line in npm("pack", "--pack-destination", str(root), cwd=JS_CLIENT).stdout.splitlines()
                  if line.endswith(".tgz")]  # fmt: skip
    with tarfile.open(root / tarball) as tar:
        names = sorted(tar.getnames())
    assert names == [
        "package/README.md", "package/dist/package.json", "package/dist/video-generator.global.js", "package/package.json",
        "package/src/video-generator.d.ts", "package/src/video-generator.js", "package/src/webhooks.d.ts",
        "package/src/webhooks.js",
    ]  # fmt: skip
    (root / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    npm("install", "--offline", f"./{tarball}", cwd=root)
    return root


class StaticServer:
    """A plain file server: for the browser page, and as "another server" on the API's URL."""

    def __init__(self, root: Path):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_node_imports_the_esm_the_webhooks_entry_and_the_global_build(installed, tmp_path):
    # A server that is not the API: 200 with HTML, and 200 with JSON that has no task_id.
    (tmp_path / "api" / "status").mkdir(parents=True)
    (tmp_path / "api" / "status" / "html").write_text("<html><body>Welcome to nginx!</body></html>")
    (tmp_path / "api" / "status" / "no-id").write_text('{"status": "queued"}')
    wrong = StaticServer(tmp_path)
    try:
        got = node(
            f"""
            import * as esm from 'cogvideo-client';
            import {{ verifyWebhook, WebhookVerificationError }} from 'cogvideo-client/webhooks';
            import {{ createRequire }} from 'node:module';
            const global = createRequire(import.meta.url)('cogvideo-client/global');
            const g = new esm.VideoGenerator({json.dumps(wrong.url)}, 'tok', {{ maxRetries: 0 }});
            const failure = async (id) => g.getStatus(id).then(() => null, (e) => [e.name, e.status,
                e instanceof esm.UnexpectedResponseError, e instanceof esm.CogVideoError, String(e.body)]);
            console.log(JSON.stringify({{
              esm: Object.keys(esm).sort(),
              global: Object.keys(global).sort(),
              sameClass: typeof global.VideoGenerator === 'function' && global.VERSION === esm.VERSION,
              webhooks: typeof verifyWebhook === 'function'
                && new WebhookVerificationError('x') instanceof esm.CogVideoError,
              promptCap: g.formatPrompt({{ title: 'word '.repeat(1000) }}).length,
              html: await failure('html'),
              noId: await failure('no-id'),
            }}));
            """,
            installed,
        )
    finally:
        wrong.close()
    assert "default" in got["esm"] and set(got["global"]) == set(got["esm"]) - {"default"}
    assert {"VideoGenerator", "UnexpectedResponseError", "CogVideoError"} <= set(got["global"])
    assert got["sameClass"] and got["webhooks"]
    assert 1990 <= got["promptCap"] <= 2000  # the API's 2,000, cut on a word boundary
    assert got["html"][:4] == ["UnexpectedResponseError", 200, True, True] and "nginx" in got["html"][4]
    assert got["noId"][:3] == ["UnexpectedResponseError", 200, True] and "queued" in got["noId"][4]


@pytest.fixture(scope="module")
def tsc():
    folder = NPM_CACHE / f"typescript-{TYPESCRIPT}"
    binary = folder / "node_modules" / ".bin" / "tsc"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        npm("install", "--prefix", str(folder), f"typescript@{TYPESCRIPT}", cwd=folder)
    return binary


TYPED_USE = """
import { VideoGenerator, TaskStatus, CogVideoError, ValidationError, UnexpectedResponseError, ModelInfo } from 'cogvideo-client';
import { verifyWebhook, WebhookEvent } from 'cogvideo-client/webhooks';

const g = new VideoGenerator('http://localhost:7860', 'token', { pollInterval: 1000 });
export async function use(): Promise<number> {
  const videoId: string = await g.generateVideo({ prompt: 'a fox', duration: 2 }, { onProgress: (s) => s.progress });
  const status: TaskStatus = await g.getStatus(videoId);
  let total: number = status.progress;
  for await (const task of g.iterTasks({ status: 'completed', limit: 10 })) total += task.progress;
  const [model]: ModelInfo[] = await g.models();
  await g.submit({ prompt: 'a fox', fit: model.fits[0], fps: model.fps[0], formats: ['mp4', 'webm'] });
  const preview: Blob = await g.fetchVideo(videoId, { variant: 'preview' });
  total += preview.size + (status.preview_url ? 1 : 0);
  // @ts-expect-error not a fit
  g.submit({ prompt: 'a fox', fit: 'squash' });
  const event: WebhookEvent = verifyWebhook('{}', { 'webhook-id': 'x' }, 'whsec_x');
  const failed: boolean = new ValidationError('x') instanceof CogVideoError && !(status instanceof UnexpectedResponseError);
  // Wrong uses must not type-check: if the types were `any`, these lines would be unused errors.
  // @ts-expect-error generateVideo resolves to a string, not a number
  const wrong: number = await g.generateVideo('a fox');
  // @ts-expect-error no such status
  g.iterTasks({ status: 'done' });
  // @ts-expect-error progress is a number
  const text: string = status.progress;
  return total + wrong + text.length + event.data.progress + (failed ? 1 : 0);
}
"""


def test_types_check_with_tsc_strict(installed, tsc):
    (installed / "use.ts").write_text(TYPED_USE)
    result = subprocess.run(
        [str(tsc), "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
         "--target", "es2022", "--lib", "es2022,dom", "use.ts"],
        cwd=installed, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.browser
def test_chromium_loads_the_installed_esm_and_global_build(installed, chromium):
    package = installed / "node_modules" / "cogvideo-client"
    (package / "esm.html").write_text(
        "<script type=module>import * as m from './src/video-generator.js'; window.esm = m;</script>"
    )
    (package / "global.html").write_text("<script src='./dist/video-generator.global.js'></script>")
    server = StaticServer(package)
    context = chromium.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(server.url + "/esm.html")
        page.wait_for_function("window.esm !== undefined")
        esm = page.evaluate("""() => [Object.keys(window.esm).length, typeof window.esm.VideoGenerator,
            new window.esm.VideoGenerator('http://x', 't').options.maxPromptLength]""")
        page.goto(server.url + "/global.html")
        plain = page.evaluate("""() => [typeof VideoGenerator, Object.keys(CogVideo).length,
            new CogVideo.UnexpectedResponseError('x') instanceof CogVideo.CogVideoError]""")
    finally:
        context.close()
        server.close()
    assert esm[1] == "function" and esm[2] == 2000
    assert plain == ["function", esm[0] - 1, True]  # every export but `default`
    assert errors == []
