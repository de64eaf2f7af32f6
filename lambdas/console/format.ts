/** How the console writes tasks down: statuses, progress, times, JSON. Pure. */

/** The task as the console reads it: the representation, with the fields some deployments add (steering) optional. */
export interface Task {
  id: string;
  type: string;
  status: string;
  progress: { percent: number; step?: string; estimatedCompletionAt?: string };
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  expiresAt?: string;
  links?: Record<string, string>;
  error?: import('./problems.ts').Problem;
  callback?: { status: string; attempts: number; lastStatusCode?: number; lastAttemptAt?: string; nextAttemptAt?: string };
  // Steering and finding: shown when a task carries them.
  attempt?: number;
  deadline?: string;
  metadata?: Record<string, string>;
  input?: unknown;
  history?: HistoryEntry[];
  awaitingInput?: { name?: string; prompt?: string; schema?: Record<string, unknown>; since?: string; expiresAt?: string };
}

export interface HistoryEntry {
  at: string;
  status?: string;
  attempt?: number;
  event: string;
  detail?: string;
}

export const isOpen = (status: string) => status === 'pending' || status === 'running';

/** `019a4e2c-…-3f1d`: enough to tell tasks apart in a list. */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** 0–100, whole. */
export function percentOf(task: Pick<Task, 'progress' | 'status'>): number {
  const percent = Number(task.progress?.percent);
  if (!Number.isFinite(percent)) return task.status === 'succeeded' ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor(percent)));
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** `5 minutes ago`, `in 20 seconds`. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((at - now) / 1000);
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  return new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(Math.round(seconds / size), unit);
}

/** `2026-11-03 14:05:09 UTC`: exact and the same for everyone. */
export function absoluteTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** JSON for people: indented; a value too long to show is cut, saying so. */
export function prettyJson(value: unknown, maxChars = 100_000): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)` : text;
}

/** A task's webhook delivery state in a sentence. */
export function describeCallback(callback: NonNullable<Task['callback']>): string {
  const attempts = `${callback.attempts} attempt${callback.attempts === 1 ? '' : 's'}`;
  const answer =
    callback.lastStatusCode === undefined
      ? callback.attempts > 0
        ? ', last attempt got no answer'
        : ''
      : `, last answer ${callback.lastStatusCode}`;
  if (callback.status === 'delivered') return `Delivered after ${attempts}${answer}.`;
  if (callback.status === 'failed') return `Failed after ${attempts}${answer}; no more retries.`;
  const next = callback.nextAttemptAt ? ` Next attempt ${relativeTime(callback.nextAttemptAt)}.` : '';
  return callback.attempts === 0 ? `Pending: sent once the task ends.${next}` : `Retrying: ${attempts} so far${answer}.${next}`;
}
