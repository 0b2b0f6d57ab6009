"""Build dist/video-generator.global.js (a plain <script> / CommonJS build) from the ES module.

    python3 clients/js/build.py               # write clients/js/dist/
    python3 clients/js/build.py --out DIR     # write DIR/video-generator.global.js instead

``npm pack`` runs it (the package's ``prepack`` script), ``launch.py`` runs it before the
service starts (the service serves dist/ under /static/cms_integration/), and the tests
build their own copy. dist/ is not in git: src/video-generator.js is the only hand-written
copy of the client.

Python, not Node, so that the service builds the file it serves on machines without Node
(the npm package is published from a checkout of this repository, which has Python anyway).

The module has no imports and only top-level ``export class|function|const``
declarations plus ``export default``, so the build is a textual wrap: drop the
``export`` keywords, run the body (unindented, so template literals keep
their exact text) in a function, and hand back an object with every exported name.
No bundler, no node_modules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "src" / "video-generator.js"
DIST = HERE / "dist"
TARGET_NAME = "video-generator.global.js"

EXPORT = re.compile(
    r"^export (?:async )?(?:class|function\*?|const|let) ([A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
DEFAULT = re.compile(r"^export default [A-Za-z_$][\w$]*;\n", re.MULTILINE)


def build(source: str) -> str:
    if re.search(r"^\s*import\b", source, re.MULTILINE):
        raise SystemExit("video-generator.js must not import anything: the build only wraps it")
    names = EXPORT.findall(source)
    body = DEFAULT.sub("", source)
    body = re.sub(
        r"^export (?=(?:async )?(?:class|function|const|let) )",
        "",
        body,
        flags=re.MULTILINE,
    )
    if re.search(r"^export\b", body, re.MULTILINE):
        raise SystemExit("video-generator.js has an export form this build does not handle")
    api = "".join(f"    {name}: {name},\n" for name in names)
    return (
        "/* GENERATED from src/video-generator.js by clients/js/build.py (npm pack runs it).\n"
        " * Do not edit: edit src/video-generator.js.\n"
        ' * <script src=".../video-generator.global.js"></script> defines window.CogVideo\n'
        " * (every export) and window.VideoGenerator; require() gets the same object. */\n"
        "(function (root, factory) {\n"
        "  var api = factory();\n"
        "  if (typeof module === 'object' && module.exports) {\n"
        "    module.exports = api;\n"
        "  } else {\n"
        "    root.CogVideo = api;\n"
        "    if (!root.VideoGenerator) root.VideoGenerator = api.VideoGenerator;\n"
        "  }\n"
        "})(typeof self !== 'undefined' ? self : this, function () {\n"
        "  'use strict';\n\n"
        f"{body}\n"
        "  return {\n"
        f"{api}"
        "  };\n"
        "});\n"
    )


def write(out_dir: Path = DIST) -> Path:
    """Write the global build into ``out_dir`` (only if it changed); return its path."""
    built = build(SOURCE.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / TARGET_NAME
    if not target.exists() or target.read_text(encoding="utf-8") != built:
        target.write_text(built, encoding="utf-8")
    # The package is "type": "module"; this marks dist/*.js as the CommonJS scripts they are,
    # so Node's require() loads the global build.
    (out_dir / "package.json").write_text('{"type": "commonjs"}\n', encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else DIST
    print(f"wrote {write(out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
