/**
 * Check the signed webhooks the service sends when a job finishes (Standard Webhooks),
 * in Node (node:crypto):
 *
 *   import { verifyWebhook, WebhookVerificationError } from 'cogvideo-client/webhooks';
 *   // the raw body, exactly as received (not re-serialised JSON), and the request headers
 *   const event = verifyWebhook(rawBody, req.headers, process.env.COGVIDEO_WEBHOOK_SECRET);
 *   if (event.type === 'video.completed') ...
 *
 * The service signs `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 keyed by
 * the site's secret ("whsec_" + base64 of the key bytes; any other secret is used as its
 * UTF-8 bytes) and sends `webhook-signature: v1,<base64>`; several space-separated
 * signatures may be sent. Same rules as the Python client's verify_webhook.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { CogVideoError } from './video-generator.js';

/** Seconds a webhook's timestamp may be from now (Standard Webhooks: 5 minutes). */
export const DEFAULT_TOLERANCE = 300;

/** The webhook is not from the service, was changed on the way, or is too old (a replay). */
export class WebhookVerificationError extends CogVideoError {
  constructor(message) { super(message); this.name = 'WebhookVerificationError'; }
}

function secretKey(secret) {
  if (typeof secret !== 'string') return Buffer.from(secret);
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : null;
  // The service's rule: "whsec_" + valid base64 is the key's bytes; anything else is text.
  if (encoded !== null && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) {
    return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
}

function header(headers, name) {
  let value;
  if (headers && typeof headers.get === 'function') {
    value = headers.get(name); // a fetch Headers object
  } else {
    const key = Object.keys(headers || {}).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  if (Array.isArray(value)) value = value.join(' ');
  if (value === undefined || value === null) throw new WebhookVerificationError(`missing header ${name}`);
  return String(value);
}

/**
 * The event (`{type, timestamp, data}`) if the webhook is genuine; throws
 * WebhookVerificationError for a missing header, a timestamp more than `tolerance`
 * seconds from `now`, or no matching signature (compared in constant time).
 * `payload`: the raw body (string, Buffer or Uint8Array); `headers`: Node's
 * `req.headers`, a plain object or a fetch `Headers`.
 */
export function verifyWebhook(payload, headers, secret, { tolerance = DEFAULT_TOLERANCE, now } = {}) {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  if (!/^\d+$/.test(timestampText)) throw new WebhookVerificationError(`bad webhook-timestamp ${timestampText}`);
  const current = now ?? Date.now() / 1000;
  const age = current - Number(timestampText);
  if (Math.abs(age) > tolerance) {
    throw new WebhookVerificationError(
      `webhook-timestamp is ${Math.round(age)}s from now (more than ${tolerance}s): too old or replayed`,
    );
  }
  const expected = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampText}.`)
    .update(body)
    .digest();
  let found = false;
  for (const candidate of header(headers, 'webhook-signature').split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    // Check every candidate (no early exit), so timing says nothing about which matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) found = true;
  }
  if (!found) throw new WebhookVerificationError('no webhook-signature matches: wrong secret, or the body was changed');
  let event;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch (_) {
    throw new WebhookVerificationError('the signed body is not JSON');
  }
  if (!event || typeof event !== 'object' || Array.isArray(event)) {
    throw new WebhookVerificationError('the signed body is not a JSON object');
  }
  return event;
}
