/**
 * The server-sent event stream of one task: the current state at once, then every change (found by
 * the shared `awaitChange`), ending with `event: done`; `: ping` every 15 s in between; at most
 * 14 minutes (API Gateway and Lambda stop a response at 15), after which the client reconnects.
 */
import { type RenderOptions, toRepresentation } from '#domain/representation';
import { isTerminal, type TaskRecord } from '#domain/task';
import { awaitChange } from '#service/watch-task';
import { PING_INTERVAL_MS, RECONNECT_MS, WATCH_INTERVAL_MS } from '#sse/timing';

export type EventType = 'status' | 'progress' | 'done';

/** A `Last-Event-ID` we issued is a version (a positive integer); anything else means "send everything". */
export function parseLastEventId(header: string | undefined): number | undefined {
  const value = header?.trim();
  return value && /^[1-9]\d{0,14}$/.test(value) ? Number(value) : undefined;
}

/** What the client already has: the version named by `Last-Event-ID`, if it names one this task had. */
export function resumeFrom(task: TaskRecord, lastEventId: number | undefined): number | undefined {
  // An id from the future is garbage, not a resume point: send the full snapshot.
  return lastEventId !== undefined && lastEventId <= task.version ? lastEventId : undefined;
}

/** True when the client has the final event already: nothing to stream (answered 204, so EventSource stops). */
export function alreadyComplete(task: TaskRecord, lastEventId: number | undefined): boolean {
  return isTerminal(task.status) && resumeFrom(task, lastEventId) === task.version;
}

export function eventType(task: TaskRecord, previous: TaskRecord | undefined): EventType {
  if (isTerminal(task.status)) return 'done';
  return !previous || previous.status !== task.status ? 'status' : 'progress';
}

export function formatEvent(type: EventType, id: number, data: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface StreamOptions {
  baseUrl: string;
  retentionSeconds: number;
  /** How tasks are rendered (the capability key of awaited input). */
  render?: RenderOptions;
  lastEventId?: number;
  /** Epoch ms at which the stream ends even if the task has not. */
  until: number;
  /** @default PING_INTERVAL_MS (15 s) */
  pingIntervalMs?: number;
  signal?: AbortSignal;
  write(chunk: string): void;
}

/** Streams `first` and every later version until the task ends, `until` or `signal`. */
export async function streamTask(first: TaskRecord, options: StreamOptions): Promise<void> {
  const { write, signal } = options;
  const send = (task: TaskRecord, previous: TaskRecord | undefined): void =>
    write(formatEvent(eventType(task, previous), task.version, toRepresentation(task, options.baseUrl, options.retentionSeconds, options.render)));
  write(`retry: ${RECONNECT_MS}\n\n`);
  let task = first;
  // On a resume at the current version the client has this state already; wait for the next one.
  if (resumeFrom(first, options.lastEventId) !== first.version) send(first, undefined);
  const pingEvery = options.pingIntervalMs ?? PING_INTERVAL_MS;
  let nextPing = Date.now() + pingEvery;
  while (!isTerminal(task.status) && !signal?.aborted && Date.now() < options.until) {
    const next = await awaitChange(task, { until: Math.min(nextPing, options.until), intervalMs: WATCH_INTERVAL_MS, signal });
    if (next.version !== task.version || isTerminal(next.status)) send(next, task);
    task = next;
    if (Date.now() >= nextPing && !isTerminal(task.status)) {
      write(': ping\n\n');
      nextPing = Date.now() + pingEvery;
    }
  }
}
