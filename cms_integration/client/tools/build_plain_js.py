"""Write video-generator.global.js (a plain <script> / CommonJS build) from the ES module.

    python cms_integration/client/tools/build_plain_js.py          # rewrite it
    python cms_integration/client/tools/build_plain_js.py --check  # exit 1 if stale

The module has no imports and only top-level ``export class|function|const``
declarations plus ``export default``, so the build is a textual wrap: drop the
``export`` keywords, run the body (unindented, so template literals keep
their exact text) in a function, and hand back an object with
every exported name.  No bundler, no node_modules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static" / "cms_integration"
SOURCE = STATIC / "video-generator.js"
TARGET = STATIC / "video-generator.global.js"

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
        "/* Generated from video-generator.js by cms_integration/client/tools/build_plain_js.py.\n"
        " * Do not edit: edit video-generator.js and run that script.\n"
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


def main(argv: list[str]) -> int:
    built = build(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != built:
            print(f"{TARGET} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(built, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
