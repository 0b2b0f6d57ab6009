// Types of webhooks.js (Node only: it uses node:crypto).
import { CogVideoError, TaskStatus } from './video-generator.js';

export declare const DEFAULT_TOLERANCE: number;

export declare class WebhookVerificationError extends CogVideoError {
  constructor(message: string);
}

export interface WebhookEvent {
  type: 'video.completed' | 'video.failed' | 'video.canceled' | string;
  timestamp: string;
  data: TaskStatus;
}

export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export declare function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | Uint8Array,
  options?: { tolerance?: number; now?: number },
): WebhookEvent;
