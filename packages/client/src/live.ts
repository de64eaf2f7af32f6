/**
 * The live channel from a client's side: one WebSocket connection (the global `WebSocket` of
 * browsers and Node 22; no dependency), opened with a watch token, subscribed to one task. Its
 * messages are the event stream's events as JSON: `{ event: 'status' | 'progress' | 'done', id, data }`
 * (`id`: the task's version, `data`: the task), `{ event: 'subscribed' }` when there is nothing newer
 * to send yet, and `{ event: 'error', problem }` for a refused subscription.
 */
import type { Problem, Task } from './types.ts';

/** A task event of the live channel. */
export interface LiveEvent {
  /** What changed: the status, the progress only, or the outcome (the last message of a task). */
  event: 'status' | 'progress' | 'done';
  /** The task's version: a follower drops a message whose `id` is not newer than the last it has. */
  id: number;
  /** The task as `GET /tasks/{id}` shows it. */
  data: Task;
}

/** Every message the live channel sends. */
export type LiveMessage =
  | LiveEvent
  | {
      /** The subscription holds; changes follow. */
      event: 'subscribed';
      /** The task subscribed to; absent for a caller-wide subscription. */
      taskId?: string;
      /** The version the follower already has (nothing newer to send yet). */
      since?: number;
    }
  | {
      /** The subscription was refused. */
      event: 'error';
      /** Why the subscription was refused. */
      problem: Problem;
    };

/** How a connection ended: the task's `done` arrived; it closed after opening; it never opened; the subscription was refused. */
export type LiveSessionEnd =
  | 'done'
  | 'closed'
  | 'refused'
  | {
      /** The refusal the channel answered with. */
      problem: Problem;
    };

/**
 * After this long without a message, the client re-subscribes (from its last version): it keeps a
 * quiet connection open (API Gateway closes one after 10 quiet minutes) and brings back anything
 * missed. A task that reports progress never needs it.
 */
export const LIVE_KEEPALIVE_MS = 5 * 60_000;

function parse(text: string): LiveMessage | undefined {
  try {
    const message = JSON.parse(text) as LiveMessage;
    return message && typeof message === 'object' && typeof message.event === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One connection to `url` following task `taskId` from version `since`: yields each task event
 * newer than the last one yielded (so never a version twice), returns how the connection ended.
 * Ends (closing the connection) when `signal` aborts.
 */
export async function* liveSession(
  url: string,
  taskId: string,
  since: number | undefined,
  signal?: AbortSignal,
): AsyncGenerator<LiveEvent, LiveSessionEnd, undefined> {
  const socket = new WebSocket(url);
  const inbox: Array<{ message?: string; closed?: true }> = [];
  let wake: (() => void) | undefined;
  const push = (item: { message?: string; closed?: true }) => {
    inbox.push(item);
    wake?.();
  };
  let last = since;
  let opened = false;
  let keepAlive: ReturnType<typeof setTimeout> | undefined;
  const subscribe = () => {
    socket.send(JSON.stringify({ action: 'subscribe', taskId, ...(last !== undefined && { since: last }) }));
    quiet();
  };
  // Re-armed by every message: only a quiet connection re-subscribes.
  const quiet = () => {
    clearTimeout(keepAlive);
    keepAlive = setTimeout(() => {
      if (socket.readyState === WebSocket.OPEN) subscribe();
    }, LIVE_KEEPALIVE_MS);
  };
  const onAbort = () => push({ closed: true });
  signal?.addEventListener('abort', onAbort, { once: true });
  socket.addEventListener('open', () => {
    opened = true;
    subscribe();
  });
  socket.addEventListener('message', (message) => {
    quiet();
    push({ message: String(message.data) });
  });
  socket.addEventListener('close', () => push({ closed: true }));
  try {
    for (;;) {
      if (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const item = inbox.shift()!;
      if (item.closed) return opened ? 'closed' : 'refused';
      const message = parse(item.message!);
      if (!message) continue;
      if (message.event === 'error') return { problem: message.problem };
      if (message.event === 'subscribed') continue;
      if (!Number.isInteger(message.id) || (last !== undefined && message.id <= last)) continue;
      last = message.id;
      yield message;
      if (message.event === 'done') return 'done';
    }
  } finally {
    clearTimeout(keepAlive);
    signal?.removeEventListener('abort', onAbort);
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
  }
}
