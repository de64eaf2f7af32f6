/** The task as clients see it, and the polling hint that goes with it. Pure functions of the record. */
import { canonicalJson } from './canonical-json.ts';
import { problemObject } from './errors.ts';
import { resultTooLargeProblem } from './result-pointer.ts';
import { type CallbackState, isTerminal, type Progress, type TaskRecord, type TaskStatus } from './task.ts';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export interface TaskRepresentation {
  id: string;
  type: string;
  status: TaskStatus;
  progress: Progress;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  expiresAt: string;
  links: { self: string; result: string; cancel: string };
  /** Once succeeded: the absolute URL of the result (Azure's long-running operation convention, read by core-lro). */
  resourceLocation?: string;
  error?: Problem;
  /** Webhook delivery state, for a task submitted with a `callbackUrl`. */
  callback?: CallbackState;
}

/**
 * The stored attributes `toRepresentation` (and retention) read: the owner index projects exactly
 * these, so a listing never reads what it does not show (`input`, `result`, …).
 */
export const REPRESENTATION_ATTRIBUTES = [
  'id',
  'type',
  'status',
  'progress',
  'createdAt',
  'updatedAt',
  'startedAt',
  'completedAt',
  'ttl',
  'error',
  // The webhook delivery state (`callback`) is shown for a task that has a `callbackUrl`.
  'callbackUrl',
  'callback',
] as const satisfies readonly (keyof TaskRecord)[];

/** What a read that serves a representation needs: its attributes, the owner (to check it) and the version (the event id). */
export const WATCHED_ATTRIBUTES = [...REPRESENTATION_ATTRIBUTES, 'owner', 'version'] as const satisfies readonly (keyof TaskRecord)[];

/** True when two reads of a task show a client the same thing (same represented attributes). */
export function sameRepresentation(a: Partial<TaskRecord>, b: Partial<TaskRecord>): boolean {
  return REPRESENTATION_ATTRIBUTES.every((name) => canonicalJson(a[name]) === canonicalJson(b[name]));
}

/** When a terminal task stops being readable: retention counts from completion. */
export function expiresAt(task: TaskRecord, retentionSeconds: number): Date {
  if (task.completedAt) return new Date(Date.parse(task.completedAt) + retentionSeconds * 1000);
  return new Date(task.ttl * 1000);
}

export function isExpired(task: TaskRecord, retentionSeconds: number, now: number = Date.now()): boolean {
  return expiresAt(task, retentionSeconds).getTime() <= now;
}

/**
 * Turns the stored `error` (Step Functions' `{ Error, Cause }` or a problem we wrote) into a
 * problem object; only task-level messages reach the client, never internal names.
 */
function taskProblem(task: TaskRecord, selfPath: string): Problem | undefined {
  if (task.status !== 'failed' && task.status !== 'cancelled') return undefined;
  let stored: Record<string, unknown> = {};
  try {
    stored = task.error ? (JSON.parse(task.error) as Record<string, unknown>) : {};
  } catch {
    stored = {};
  }
  if (typeof stored.type === 'string' && typeof stored.title === 'string') {
    return { ...(stored as unknown as Problem), instance: selfPath };
  }
  if (task.status === 'cancelled') {
    return { ...problemObject('task-cancelled', 'The task was cancelled.'), instance: selfPath };
  }
  // A worker's own failure message (a Fail state's Cause, or a thrown error's message) is meant
  // for the caller; anything else is summarised, so no stack trace or AWS text leaks.
  const error = typeof stored.Error === 'string' ? stored.Error : 'TaskFailed';
  // Recorded by the backstop when the workflow's own record of it did not happen.
  if (error === 'States.DataLimitExceeded' || error === 'ResultTooLarge') return { ...resultTooLargeProblem(), instance: selfPath };
  const detail = (error === 'TaskFailed' && failStateCause(stored.Cause)) || failureSummary(error, stored.Cause);
  return { ...problemObject('task-failed', detail), instance: selfPath };
}

/**
 * A Fail state's Cause is the worker's message; a Lambda error named TaskFailed also has Error
 * `TaskFailed`, but its Cause is the Lambda error payload (stack trace included), which is left to
 * `failureSummary` to reduce to its `errorMessage`.
 */
function failStateCause(cause: unknown): string | undefined {
  if (typeof cause !== 'string') return undefined;
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'errorType' in parsed) return undefined;
  } catch {
    // plain text: a Fail state's Cause
  }
  return cause;
}

function failureSummary(error: string, cause: unknown): string {
  if (error === 'States.Timeout') return 'The task exceeded its time limit.';
  if (typeof cause === 'string') {
    try {
      const lambdaError = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
      if (lambdaError.errorType === 'TaskFailed' && lambdaError.errorMessage) return lambdaError.errorMessage;
    } catch {
      // not a Lambda error payload
    }
  }
  return 'The task failed.';
}

/** `baseUrl`: what every link starts with, absolute when the request named its host (`#http/base-url`). */
export function toRepresentation(task: TaskRecord, baseUrl: string, retentionSeconds: number): TaskRepresentation {
  const self = `${baseUrl}/tasks/${task.id}`;
  const representation: TaskRepresentation = {
    id: task.id,
    type: task.type,
    status: task.status,
    progress: task.status === 'succeeded' ? { ...task.progress, percent: 100 } : task.progress,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    ...(task.startedAt && { startedAt: task.startedAt }),
    ...(task.completedAt && { completedAt: task.completedAt }),
    expiresAt: expiresAt(task, retentionSeconds).toISOString(),
    links: { self, result: `${self}/result`, cancel: self },
    ...(task.status === 'succeeded' && { resourceLocation: `${self}/result` }),
  };
  const problem = taskProblem(task, self);
  if (problem) representation.error = problem;
  if (task.callbackUrl) representation.callback = task.callback ?? { status: 'pending', attempts: 0 };
  return representation;
}

export const RETRY_AFTER_MIN = 1;
export const RETRY_AFTER_MAX = 30;

/**
 * Seconds a client should wait before polling again, or undefined once terminal. The rule:
 * a fifth of the task's age (young tasks are polled often, old ones rarely, so polls per task grow
 * only logarithmically with its duration), capped by the remaining time estimated from progress,
 * within [1, 30].
 */
export function retryAfterSeconds(task: TaskRecord, now: number = Date.now()): number | undefined {
  if (isTerminal(task.status)) return undefined;
  const ageSeconds = Math.max(0, (now - Date.parse(task.createdAt)) / 1000);
  let wait = ageSeconds / 5;
  const percent = task.progress.percent;
  if (task.status === 'running' && task.startedAt && percent > 0 && percent < 100) {
    const elapsed = Math.max(0, (now - Date.parse(task.startedAt)) / 1000);
    wait = Math.min(wait, (elapsed * (100 - percent)) / percent);
  }
  return Math.min(RETRY_AFTER_MAX, Math.max(RETRY_AFTER_MIN, Math.ceil(wait)));
}
