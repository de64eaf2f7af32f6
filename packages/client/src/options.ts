/** The options of {@link LongrunClient} and of its calls. */
import type { CallbackEventKind, Task, TaskStatus } from './types.ts';

/** Where the API is and who is calling. */
export interface LongrunClientOptions {
  /** The API root including the stage, e.g. `https://api.example.com/v1` or `http://127.0.0.1:3000/v1`. */
  baseUrl: string;
  /** Sent as `x-api-key`. */
  apiKey?: string;
  /** Sent as `Authorization: Bearer <token>` (deployments with a JWT authorizer). */
  token?: string;
  /** A `fetch` to use instead of the global one (to add tracing, count requests, …). */
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** Options of {@link LongrunClient.submit}. */
export interface SubmitOptions {
  /** Makes the submit safe to retry: the same key and body return the same task. */
  idempotencyKey?: string;
  /** https URL called on every terminal transition (Standard Webhooks), and on the events of `callbackEvents`. */
  callbackUrl?: string;
  /** Which events `callbackUrl` receives. @default ['completed'] */
  callbackEvents?: CallbackEventKind[];
  /** The task's tags (at most 16; keys of 1-64 letters, digits, `_`, `.`, `-`; values of at most 512 characters). */
  metadata?: Record<string, string>;
  /** `Cancel-After`: the deadline, from now, as seconds or a duration (`'90s'`, `'5m'`, `'1h30m'`). */
  cancelAfter?: number | string;
  /** `Prefer: wait=N` (N ≤ 25): if the task ends within N seconds, the answer is its final state (with `result`). */
  preferWait?: number;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options of a single request. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** Options of {@link LongrunClient.list}. */
export interface ListOptions extends RequestOptions {
  /** Only tasks with this status. */
  status?: TaskStatus;
  /** Only tasks of this type. */
  type?: string;
  /** Only tasks with every one of these tags. */
  metadata?: Record<string, string>;
  /** Only tasks created after this time. */
  createdAfter?: Date | string;
  /** Only tasks created before this time. */
  createdBefore?: Date | string;
  /** Page size (1–100). @default 20 */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * How `watch` follows a task: `auto` tries each in turn (the live channel, the event stream, the
 * long poll, polling); the others use one (`live` and `events` fail if the server does not offer them).
 */
export type WatchTransport = 'auto' | 'live' | 'events' | 'long-poll' | 'poll';

/** Options of {@link LongrunClient.watch}. */
export interface WatchOptions {
  /** Stops waiting (not the task): rejects with `AbortError` promptly. */
  signal?: AbortSignal;
  /** Stops waiting after this long: rejects with `TimeoutError`. */
  timeoutMs?: number;
  /** @default 'auto' (the live channel, else server-sent events, else the long poll, else Retry-After polling) */
  transport?: WatchTransport;
}

/** Options of {@link LongrunClient.waitFor}. */
export interface WaitOptions extends WatchOptions {
  /** Called with the task whenever its status or progress changes (and with the first state seen). */
  onProgress?: (task: Task) => void;
}

/** A task id, or a task (its `id` is used). */
export type TaskRef = string | Pick<Task, 'id'>;
