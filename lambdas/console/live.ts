/**
 * Live updates, over the cheapest channel the API offers for each view:
 * - a task page follows `GET /tasks/{id}/events` (one held connection; every change as it happens), resuming
 *   with `Last-Event-ID` when the stream ends before the task, and falls back to polling `GET /tasks/{id}`
 *   (honouring `Retry-After`) when the stream is refused (the caller's cap on held connections: 429) or absent;
 * - the task list re-reads its loaded page while a task on it is open (see LIST_REFRESH_SECONDS): one stream
 *   per open task would spend the caller's held-connection cap (10 by default) and hold a function for each.
 */
import { readEvents } from '../../packages/client/src/sse.ts';
import type { Api } from './api.ts';
import { isOpen, type Task } from './format.ts';
import { ApiError, problemFrom, retryAfterSeconds } from './problems.ts';

/** How often the list re-reads itself while a task on it is open (the list route sends no Retry-After). */
export const LIST_REFRESH_SECONDS = 5;
/** A poll's wait when the answer names none. */
const DEFAULT_POLL_SECONDS = 2;
/** Before reconnecting a stream that ended early or failed. */
const RECONNECT_MS = 1_000;

export type LiveMode = 'connecting' | 'events' | 'polling' | 'ended';

export interface FollowOptions {
  onTask: (task: Task) => void;
  onMode: (mode: LiveMode, detail?: string) => void;
  /** An error that ends following (the task is gone, the key is refused); transient ones are retried. */
  onError: (error: ApiError) => void;
  signal: AbortSignal;
  /** Use the event stream (the document describes it). */
  events: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** A failure worth retrying: no answer, throttled, or the service briefly unavailable. */
const transient = (status: number) => status === 0 || status === 429 || status >= 500;

/** Follows a task until it ends or `signal` aborts. */
export async function followTask(api: Api, id: string, options: FollowOptions): Promise<void> {
  const { signal } = options;
  let lastEventId: string | undefined;
  let failures = 0;
  while (options.events && !signal.aborted) {
    options.onMode('connecting');
    let response: Response;
    try {
      response = await api.raw('GET', `tasks/${encodeURIComponent(id)}/events`, {
        headers: { accept: 'text/event-stream', ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
        signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (++failures > 5) return options.onError(error as ApiError);
      await sleep(RECONNECT_MS * failures, signal);
      continue;
    }
    // Nothing newer than the terminal event we already have.
    if (response.status === 204) return options.onMode('ended');
    const streaming = response.ok && (response.headers.get('content-type') ?? '').startsWith('text/event-stream') && response.body;
    if (!streaming) {
      const text = await response.text().catch(() => '');
      if (response.ok || transient(response.status)) {
        // Refused (past the held-connection cap) or not streamed here: poll instead.
        options.onMode('polling', response.status === 429 ? 'the event stream is busy (too many open at once)' : undefined);
        break;
      }
      return options.onError(new ApiError(problemFrom(response.status, text)));
    }
    failures = 0;
    options.onMode('events');
    try {
      for await (const event of readEvents(response.body as ReadableStream<Uint8Array>)) {
        if (event.id !== undefined) lastEventId = event.id;
        if (event.event !== 'status' && event.event !== 'progress' && event.event !== 'done') continue;
        const task = JSON.parse(event.data) as Task;
        options.onTask(task);
        if (!isOpen(task.status)) return options.onMode('ended');
      }
    } catch {
      if (signal.aborted) return;
    }
    // The stream ended before the task (its 14-minute limit, a dropped connection): resume where it stopped.
    await sleep(RECONNECT_MS, signal);
  }
  await pollTask(api, id, options);
}

/** Polls `GET /tasks/{id}` (with its ETag), waiting what `Retry-After` asks, until the task ends. */
async function pollTask(api: Api, id: string, options: FollowOptions): Promise<void> {
  const { signal } = options;
  let etag: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    let wait = DEFAULT_POLL_SECONDS;
    try {
      const answer = await api.call<Task>('GET', `tasks/${encodeURIComponent(id)}`, { headers: etag ? { 'if-none-match': etag } : {}, signal });
      failures = 0;
      if (answer.status === 200) {
        etag = answer.headers.get('etag') ?? undefined;
        options.onTask(answer.body);
        if (!isOpen(answer.body.status)) return options.onMode('ended');
      }
      options.onMode('polling');
      wait = retryAfterSeconds(answer.headers.get('retry-after')) ?? DEFAULT_POLL_SECONDS;
    } catch (error) {
      if (signal.aborted) return;
      const problem = error instanceof ApiError ? error : undefined;
      if (!problem || !transient(problem.problem.status ?? 0) || ++failures > 10)
        return options.onError(problem ?? new ApiError({ title: 'Error', status: 0 }));
      wait = problem.retryAfter ?? Math.min(30, 2 ** failures);
    }
    await sleep(Math.max(1, wait) * 1000, signal);
  }
}
