/** How the client follows a task: what it remembers, when it stops, how long it waits between reads. */
import { AbortError, LongrunError, NetworkError, RateLimitError, ServerError, TimeoutError } from './errors.ts';
import type { Task } from './types.ts';

/** Polling delays when the API sends no `Retry-After`: exponential backoff with full jitter, from this base… */
export const BACKOFF_BASE_MS = 500;
/** …up to this cap. */
export const BACKOFF_CAP_MS = 30_000;
/** Transient failures (network, 429, 5xx) tolerated in a row while waiting before giving up. */
export const WAIT_MAX_TRANSIENT_FAILURES = 5;
/** The long poll's `Prefer: wait` (the API's maximum). */
export const LONG_POLL_SECONDS = 25;
/** Pause before resuming an event stream that ended early (the server's `retry:` hint). */
export const STREAM_RECONNECT_MS = 1_000;

/** What `watch` knows while it follows one task. */
export interface FollowState {
  id: string;
  last?: Task;
  lastKey?: string;
  signal?: AbortSignal;
  deadline?: number;
  timeoutMs?: number;
}

export const taskKey = (task: Task) => JSON.stringify([task.status, task.progress, task.updatedAt]);

/** Yields the tasks that differ (status, progress or update time) from the last one yielded. */
export function* changes(state: FollowState, tasks: Task[]): Generator<Task, void, undefined> {
  for (const task of tasks) {
    state.last = task;
    const key = taskKey(task);
    if (key === state.lastKey) continue;
    state.lastKey = key;
    yield task;
  }
}

/** Throws `AbortError` or `TimeoutError` (with the last task seen) once the caller's signal or deadline says stop. */
export function checkStop(state: FollowState, aborted = false): void {
  if (state.signal?.aborted) throw new AbortError(state.last, state.signal.reason);
  if (state.deadline !== undefined && Date.now() >= state.deadline) throw new TimeoutError(state.timeoutMs!, state.last);
  if (aborted) throw new AbortError(state.last);
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
}

export function isTransient(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof RateLimitError || err instanceof ServerError;
}

/** The caller's signal, plus one that fires at the deadline. */
export function combineSignals(signal: AbortSignal | undefined, deadline: number | undefined): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (signal) signals.push(signal);
  if (deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, deadline - Date.now())));
  return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
}

/** Sleeps `ms`, cut short (rejecting) by the signal or the deadline. */
export function sleepUntil(ms: number, signal: AbortSignal | undefined, deadline: number | undefined): Promise<void> {
  const wait = deadline === undefined ? ms : Math.min(ms, Math.max(0, deadline - Date.now()));
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LongrunError('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LongrunError('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      if (deadline !== undefined && Date.now() >= deadline && wait < ms) reject(new LongrunError('deadline'));
      else resolve();
    }, wait);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
