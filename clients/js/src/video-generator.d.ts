// Types of video-generator.js (hand-written next to it; tests/clients/js/test_package.py
// type-checks a TypeScript file against them with tsc --strict).

export declare const VERSION: string;

export type TaskState = 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';

/** A job as /api/generate, /api/status/{id} and /api/tasks describe it. */
export interface TaskStatus {
  task_id: string;
  status: TaskState;
  progress: number;
  step?: number | null;
  total_steps?: number | null;
  stage?: string | null;
  eta_seconds?: number | null;
  queue_position?: number | null;
  video_id?: string | null;
  video_url?: string | null;
  thumbnail_url?: string | null;
  /** the animated WebP for hover previews (completed jobs) */
  preview_url?: string | null;
  /** the WebM, when the job asked for formats ['mp4', 'webm'] */
  webm_url?: string | null;
  error?: string | null;
  warnings?: string[];
  metadata?: Record<string, unknown>;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  [field: string]: unknown;
}

export interface TaskPage {
  results: TaskStatus[];
  next_cursor: string | null;
  [field: string]: unknown;
}

export interface ListTasksParams {
  status?: TaskState;
  limit?: number;
  cursor?: string;
  created_after?: string;
  [metadataFilter: `metadata.${string}`]: string | undefined;
}

export type Fit = 'crop' | 'pad' | 'stretch';
export type VideoFormat = 'mp4' | 'webm';
export type DownloadVariant = 'thumbnail' | 'preview' | 'webm';

/** One model of GET /api/models: what a client may offer for it. */
export interface ModelInfo {
  id: string;
  profile: string;
  task: string;
  trained: {
    sizes: string[];
    bounds: { short_side: [number, number]; long_side: [number, number]; multiple: number } | null;
  };
  default_resolution: string;
  resolution_limits: { min_side: number; max_side: number; multiple: number; max_pixels: number };
  native_fps: number;
  fps: number[];
  durations: number[];
  default_duration: number;
  max_duration: number;
  fits: Fit[];
  default_fit: Fit;
  formats: VideoFormat[];
  /** The model a request without `model` gets. */
  default?: boolean;
  /** Image-to-video: a request needs `image` or `image_url`. */
  takes_image?: boolean;
  /** What input image an image-to-video model takes; null for a text model. */
  image_limits?: { types: string[]; max_bytes: number; max_pixels: number; min_side: number } | null;
  loaded?: boolean;
  [field: string]: unknown;
}

/** The POST /api/generate body. */
export interface GeneratePayload {
  prompt?: string;
  negative_prompt?: string;
  duration?: number;
  resolution?: string;
  enhance_quality?: boolean;
  seed?: number;
  num_inference_steps?: number;
  guidance_scale?: number;
  template?: string;
  variables?: Record<string, unknown>;
  callback_url?: string;
  metadata?: Record<string, unknown>;
  /** a served model by id or profile name (GET /api/models); default: the service's */
  model?: string;
  /** image-to-video: a URL the service fetches */
  image_url?: string;
  fit?: Fit;
  /** '#rrggbb', 'black' or 'white' (for fit 'pad') */
  pad_color?: string;
  /** one of the model's `fps` (models()) */
  fps?: number;
  formats?: VideoFormat[];
}

/** An input image: an http(s) URL, a data URL, a Blob/File or bytes. */
export type ImageInput = string | Blob | ArrayBuffer | ArrayBufferView;

/** `image` as request fields (`image_url` for a URL, else an `image` data URL). */
export function imageFields(image: ImageInput): Promise<{ image?: string; image_url?: string }>;

/** What generateVideo() accepts: a prompt, or content that formatPrompt() turns into one. */
export type ContentData =
  | string
  | (GeneratePayload & {
      title?: string;
      excerpt?: string;
      summary?: string;
      description?: string;
      content?: string;
      /** image-to-video: the picture (see ImageInput) */
      image?: ImageInput;
      [field: string]: unknown;
    });

export type ProgressCallback = (status: TaskStatus) => void;

export interface VideoGeneratorOptions {
  /** ms between status polls (default 5000, the article's 5 s) */
  pollInterval?: number;
  resolution?: string;
  /** sent with every job unless the content gives its own */
  fit?: Fit | null;
  fps?: number | null;
  formats?: VideoFormat[] | null;
  minDuration?: number;
  maxDuration?: number;
  wordsPerSecond?: number;
  /** characters formatPrompt() keeps (default 2000, the API's limit) */
  maxPromptLength?: number;
  maxRetries?: number;
  backoffBase?: number;
  backoffMax?: number;
  maxRetryAfter?: number;
  requestTimeout?: number;
  /** ms for monitorGeneration; 0 = no limit */
  timeout?: number;
  cancelOnAbort?: boolean;
  extraPayload?: Partial<GeneratePayload> | null;
  onProgress?: ProgressCallback | null;
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
  requestTimeout?: number;
}

export interface GenerateOptions extends CallOptions {
  onProgress?: ProgressCallback;
  idempotencyKey?: string;
  pollInterval?: number;
  timeout?: number;
  cancelOnAbort?: boolean;
}

export interface ErrorDetails {
  status?: number;
  code?: string | null;
  fields?: Record<string, string[]>;
  retryAfter?: number | null;
  task?: TaskStatus | null;
  body?: unknown;
  cause?: unknown;
}

export declare class CogVideoError extends Error {
  constructor(message: string, details?: ErrorDetails);
  /** HTTP status; 0 when there was no answer */
  status: number;
  code: string | null;
  fields: Record<string, string[]>;
  /** seconds */
  retryAfter: number | null;
  task: TaskStatus | null;
  body: unknown;
}
export declare class AuthError extends CogVideoError {}
export declare class PermissionDeniedError extends CogVideoError {}
export declare class ValidationError extends CogVideoError {}
export declare class NotFoundError extends CogVideoError {}
export declare class ConflictError extends CogVideoError {}
export declare class RateLimitedError extends CogVideoError {}
export declare class ServiceUnavailableError extends CogVideoError {}
export declare class ServerError extends CogVideoError {}
export declare class NetworkError extends CogVideoError {}
export declare class JobFailedError extends CogVideoError {}
export declare class JobCanceledError extends JobFailedError {}
export declare class UnexpectedResponseError extends CogVideoError {}
export declare class GenerationTimeoutError extends CogVideoError {}

export declare function parseRetryAfter(value: string | null | undefined, now?: number): number | null;
export declare function backoffDelay(
  attempt: number,
  options?: Pick<VideoGeneratorOptions, 'backoffBase' | 'backoffMax'>,
  retryAfterSeconds?: number | null,
  random?: () => number,
): number;
export declare function newIdempotencyKey(): string;
export declare function isFinished(status: Pick<TaskStatus, 'status'> | null | undefined): boolean;

/**
 * The article's VideoGenerator: generateVideo(content) resolves to the video id. Also an
 * EventTarget dispatching `progress`, `completed` (detail: status) and `failed` (detail: error).
 */
export declare class VideoGenerator extends EventTarget {
  constructor(apiEndpoint: string, apiKey?: string | null, options?: VideoGeneratorOptions);
  apiEndpoint: string;
  apiKey: string | null | undefined;
  options: Required<Omit<VideoGeneratorOptions, 'onProgress' | 'fetch'>> & VideoGeneratorOptions;
  onProgress: ProgressCallback | null;
  lastTaskId: string | null;
  lastStatus: TaskStatus | null;

  formatPrompt(contentData: ContentData): string;
  calculateDuration(contentData: ContentData): number;
  buildPayload(contentData: ContentData): GeneratePayload;

  /** Queue a video and resolve to its video id when it is done. */
  generateVideo(contentData: ContentData, options?: GenerateOptions): Promise<string>;
  monitorGeneration(taskId: string, options?: GenerateOptions): Promise<string>;
  submit(contentData: ContentData, options?: GenerateOptions): Promise<TaskStatus>;
  getStatus(taskId: string, options?: CallOptions): Promise<TaskStatus>;
  cancel(taskId?: string | null, options?: CallOptions & { idempotencyKey?: string }): Promise<TaskStatus>;
  listTasks(params?: ListTasksParams, options?: CallOptions): Promise<TaskPage>;
  iterTasks(params?: ListTasksParams, options?: CallOptions): AsyncGenerator<TaskStatus, void, undefined>;
  systemStatus(options?: CallOptions): Promise<Record<string, unknown>>;
  models(options?: CallOptions): Promise<ModelInfo[]>;
  fetchVideo(videoId: string, options?: CallOptions & { variant?: DownloadVariant }): Promise<Blob>;
  videoObjectURL(videoId: string, options?: CallOptions & { variant?: DownloadVariant }): Promise<string>;
  request<T = unknown>(
    method: string,
    path: string,
    options?: CallOptions & {
      body?: unknown;
      idempotencyKey?: string;
      query?: Record<string, string | number | boolean | null | undefined>;
      responseType?: 'json' | 'blob';
      accept?: string;
    },
  ): Promise<T>;
}

export default VideoGenerator;
