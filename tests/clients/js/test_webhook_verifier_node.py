"""verifyWebhook (Node, node:crypto) against what the service really sends, and against a
changed body, a stale timestamp, a wrong secret and several signatures with one valid."""

from __future__ import annotations

import base64
import json
import subprocess
import time

from cms_integration import webhooks

from ..browser import JS_CLIENT

CHECK = (
    f"import {{ verifyWebhook }} from {json.dumps((JS_CLIENT / 'src' / 'webhooks.js').as_uri())};"
    + """
const cases = JSON.parse(process.argv[1]);
const results = cases.map(({ body, headers, secret }) => {
  try {
    return ['ok', verifyWebhook(Buffer.from(body, 'base64'), headers, secret).type];
  } catch (error) {
    return [error.name, error.message];
  }
});
console.log(JSON.stringify(results));
"""
)


def verify_in_node(cases: list[dict]) -> list[list[str]]:
    for case in cases:
        case["body"] = base64.b64encode(case["body"]).decode()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", CHECK, json.dumps(cases)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_node_verifier_accepts_the_services_signatures_and_rejects_the_rest(real_delivery):
    secret, request = real_delivery
    body, headers = request["body"], request["headers"]
    stale = webhooks.signed_headers(secret, headers["webhook-id"], body, timestamp=int(time.time()) - 301)
    real = headers["webhook-signature"]
    several = dict(headers, **{"webhook-signature": f"v1,bm90IGl0 {real} v1,AAAA"})
    plain = webhooks.signed_headers("plain secret", "msg_2", b'{"type": "video.completed"}')
    results = verify_in_node([
        {"body": body, "headers": headers, "secret": secret},
        {"body": body, "headers": {k.upper(): v for k, v in headers.items()}, "secret": secret},
        {"body": body.replace(b'"failed"', b'"completed"', 1), "headers": headers, "secret": secret},
        {"body": body, "headers": stale, "secret": secret},
        {"body": body, "headers": headers, "secret": "whsec_" + "A" * 32},
        {"body": body, "headers": several, "secret": secret},
        {"body": b'{"type": "video.completed"}', "headers": plain, "secret": "plain secret"},
    ])  # fmt: skip
    assert results[0] == ["ok", "video.failed"] and results[1] == ["ok", "video.failed"]
    assert results[2][0] == "WebhookVerificationError" and "no webhook-signature matches" in results[2][1]
    assert results[3][0] == "WebhookVerificationError" and "too old" in results[3][1]
    assert results[4][0] == "WebhookVerificationError" and "no webhook-signature matches" in results[4][1]
    assert results[5] == ["ok", "video.failed"]
    assert results[6] == ["ok", "video.completed"]
