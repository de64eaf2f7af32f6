/**
 * A task's history: what happened to it, oldest first (submitted, started, input awaited and
 * received, retried, the outcome, the compensation), never a progress write. Every transition
 * appends its entry in the same conditional write (`#domain/transitions`), the workflow's own
 * records included, so the history cannot disagree with the status. Pure, no AWS imports.
 *
 * Bounded: at most MAX_ATTEMPTS attempts, each of which appends a handful of entries, and a wait
 * for input is refused once the history holds HISTORY_INPUT_CAP entries (see `awaitInputExpression`).
 */
import { attemptOf, type HistoryEvent, isTerminal, type StoredHistoryEntry, type TaskRecord, type TaskStatus } from './task.ts';

/** A wait for input is refused once the history holds this many entries; nothing else grows it without bound. */
export const HISTORY_INPUT_CAP = 200;

/** One history entry as the API shows it. */
export interface HistoryEntry {
  at: string;
  status: TaskStatus;
  attempt: number;
  event: HistoryEvent;
  detail?: string;
}

/** The `SET` clause that appends `:history` (a one-entry list) to the task's history. */
export const HISTORY_APPEND = {
  set: '#history = list_append(if_not_exists(#history, :noHistory), :history)',
  names: { '#history': 'history' },
  values: { ':noHistory': [] as never[] },
} as const;

/** The entry a write appends (as the `:history` value: a list of one). */
export function historyEntry(event: HistoryEvent, status: TaskStatus, at: string, detail?: string, attempt?: number): StoredHistoryEntry[] {
  return [{ at, status, event, ...(detail && { detail }), ...(attempt !== undefined && { attempt }) }];
}

/**
 * The history as shown: each entry's attempt counted from the `retried` entries before it (writes of
 * an earlier attempt are refused once a retry happened, so append order is attempt order), and a
 * `started` entry at `startedAt` for an attempt whose start no write recorded (a worker's progress
 * report, which never appends, made it running).
 */
export function readHistory(task: TaskRecord): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  const late: HistoryEntry[] = [];
  let attempt = 1;
  for (const stored of task.history ?? []) {
    if (stored.event === 'retried') attempt++;
    const entry: HistoryEntry = {
      at: stored.at,
      status: stored.status,
      attempt: stored.attempt ?? attempt,
      event: stored.event,
      ...(stored.detail && { detail: stored.detail }),
    };
    // An entry written with its attempt came late (a `started` recorded by a retry): placed by time below.
    (stored.attempt === undefined ? out : late).push(entry);
  }
  const current = attemptOf(task);
  if (task.startedAt && ![...out, ...late].some((e) => e.event === 'started' && e.attempt === current)) {
    late.push({ at: task.startedAt, status: 'running', attempt: current, event: 'started' });
  }
  for (const entry of late) {
    // Among its attempt's entries, before the first one that happened after it (never before `retried`/`submitted`).
    const at = out.findIndex((e) => e.attempt === entry.attempt && e.event !== 'retried' && e.event !== 'submitted' && e.at >= entry.at);
    const afterAttempt = out.findIndex((e) => e.attempt > entry.attempt);
    if (at !== -1) out.splice(at, 0, entry);
    else if (afterAttempt !== -1) out.splice(afterAttempt, 0, entry);
    else out.push(entry);
  }
  return out;
}

/**
 * What a retry appends: the previous attempt's `started` entry when no write recorded it (see
 * `readHistory`), then `retried`.
 */
export function retryEntries(task: TaskRecord, at: string): StoredHistoryEntry[] {
  const previous = attemptOf(task);
  const entries: StoredHistoryEntry[] = [];
  const shown = readHistory(task);
  const started = shown.find((e) => e.event === 'started' && e.attempt === previous);
  if (started && !(task.history ?? []).some((e) => e.event === 'started' && (e.attempt ?? previous) === previous && e.at === started.at)) {
    // Written with its attempt: it is appended after the outcome, out of order.
    entries.push({ at: started.at, status: 'running', event: 'started', attempt: previous });
  }
  entries.push({ at, status: 'pending', event: 'retried' });
  return entries;
}

/** The outcome entry of a terminal transition to `status`. */
export function outcomeEvent(status: TaskStatus): HistoryEvent {
  if (!isTerminal(status)) throw new Error(`${status} is not an outcome`);
  return status as HistoryEvent;
}
