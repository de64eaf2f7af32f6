/**
 * Live updates, over the cheapest channel the API offers for each view:
 * - where the document has `POST /watch-tokens` (the live channel), a task page follows its task over one WebSocket
 *   connection (a watch token for that task; after a dropped connection a new token, resuming with `since` = the last
 *   version), and the list follows every task of the caller over one connection (a caller-wide token); a socket that
 *   never opens falls back to what follows;
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

export type LiveMode = 'connecting' | 'socket' | 'events' | 'polling' | 'ended';

export interface FollowOptions {
  onTask: (task: Task) => void;
  onMode: (mode: LiveMode, detail?: string) => void;
  /** An error that ends following (the task is gone, the key is refused); transient ones are retried. */
  onError: (error: ApiError) => void;
  signal: AbortSignal;
  /** Use the event stream (the document describes it). */
  events: boolean;
  /** Use the live channel first (the document describes `POST /watch-tokens`). */
  live?: boolean;
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
  if (options.live) {
    const seen = new Map<string, number>();
    const end = await followLive(
      api,
      id,
      signal,
      seen,
      (task) => options.onTask(task),
      () => options.onMode('socket'),
    );
    if (end === 'done') return options.onMode('ended');
    if (end === 'aborted') return;
  }
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

/** A task event of the live channel (`id`: the task's version). */
interface LiveEvent {
  event: 'status' | 'progress' | 'done';
  id: number;
  data: Task;
}

/** After this long without a message, re-subscribe: keeps a quiet connection open (API Gateway closes one after 10 quiet minutes). */
const KEEPALIVE_MS = 5 * 60_000;

/**
 * One WebSocket connection to `url`, subscribed to `taskId` (or, without one, to every task of the caller), from the
 * versions in `seen`: calls `onEvent` with each event newer than the last of its task (and records it). Ends with
 * `done` (the task's last event), `closed` (after opening), `refused` (never opened, or the subscription refused).
 */
function liveSession(
  url: string,
  taskId: string | undefined,
  seen: Map<string, number>,
  signal: AbortSignal,
  onEvent: (event: LiveEvent) => void,
  /** Once the subscription holds (its first answer): from then on, no change is missed. */
  onHeld: () => void,
): Promise<'done' | 'closed' | 'refused'> {
  return new Promise((resolve) => {
    let opened = false;
    let held = false;
    let keepAlive: ReturnType<typeof setTimeout> | undefined;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      return resolve('refused');
    }
    const end = (how: 'done' | 'closed' | 'refused') => {
      clearTimeout(keepAlive);
      signal.removeEventListener('abort', abort);
      socket.onmessage = socket.onclose = socket.onerror = null;
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000);
      resolve(how);
    };
    const abort = () => end('closed');
    const subscribe = () => {
      const since = taskId === undefined ? undefined : seen.get(taskId);
      socket.send(JSON.stringify({ action: 'subscribe', ...(taskId !== undefined && { taskId }), ...(since !== undefined && { since }) }));
      quiet();
    };
    const quiet = () => {
      clearTimeout(keepAlive);
      keepAlive = setTimeout(() => socket.readyState === WebSocket.OPEN && subscribe(), KEEPALIVE_MS);
    };
    signal.addEventListener('abort', abort, { once: true });
    socket.onopen = () => {
      opened = true;
      subscribe();
    };
    // Chromium fires `error` but no `close` for a socket its Content-Security-Policy blocks: either ends the session.
    socket.onclose = socket.onerror = () => end(opened ? 'closed' : 'refused');
    socket.onmessage = (message) => {
      quiet();
      let event: LiveEvent | { event: 'subscribed' | 'error' };
      try {
        event = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (event.event === 'error') return end('refused');
      if (!held) {
        held = true;
        onHeld();
      }
      if (!('data' in event) || !Number.isInteger(event.id) || !event.data?.id) return;
      const last = seen.get(event.data.id);
      if (last !== undefined && event.id <= last) return;
      seen.set(event.data.id, event.id);
      onEvent(event);
      if (taskId !== undefined && (event.event === 'done' || !isOpen(event.data.status))) end('done');
    };
  });
}

/** Connections with a new watch token each (a token opens one), until the task is done; `fallback` when the channel is not usable. */
async function followLive(
  api: Api,
  taskId: string | undefined,
  signal: AbortSignal,
  seen: Map<string, number>,
  onTask: (task: Task) => void,
  /** Each connection's subscription holds (a task's `since` brings what it missed; the list re-reads). */
  onHeld: () => void,
): Promise<'done' | 'aborted' | 'fallback'> {
  while (!signal.aborted) {
    let url: string;
    try {
      url = (await api.call<{ url: string }>('POST', 'watch-tokens', { body: taskId === undefined ? {} : { taskId }, signal })).body.url;
    } catch {
      break;
    }
    const end = await liveSession(url, taskId, seen, signal, (event) => onTask(event.data), onHeld);
    if (end === 'done') return 'done';
    if (end === 'refused') break;
    await sleep(RECONNECT_MS, signal);
  }
  return signal.aborted ? 'aborted' : 'fallback';
}

/**
 * The list's live updates: one connection with a caller-wide token, every change of the caller's tasks to `onTask`;
 * `onHeld` once each connection's subscription holds (to re-read what changed before it). Resolves `false` when the
 * channel is not usable.
 */
export async function followList(api: Api, signal: AbortSignal, onTask: (task: Task) => void, onHeld: () => void): Promise<boolean> {
  return (await followLive(api, undefined, signal, new Map(), onTask, onHeld)) !== 'fallback';
}
