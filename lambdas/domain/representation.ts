/** The task as clients see it, and the polling hint that goes with it. Pure functions of the record. */
import { canonicalJson } from './canonical-json.ts';
import { problemObject } from './errors.ts';
import { inputCapability, isWaiting } from './input.ts';
import { resultTooLargeProblem } from './result-pointer.ts';
import { attemptOf, type CallbackState, type CompensationState, isTerminal, type Progress, type TaskRecord, type TaskStatus } from './task.ts';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Progress as shown: with the estimated end while the task runs with 0 < percent < 100. */
interface ShownProgress extends Progress {
  estimatedCompletionAt?: string;
}

/** The awaited input as shown: with the capability URL when the renderer holds the capability key. */
interface ShownWait {
  name: string;
  prompt?: string;
  schema?: Record<string, unknown>;
  since: string;
  expiresAt?: string;
  /** POST the input here without an API key, once (a capability URL); absent on the event bus. */
  url?: string;
}

interface TaskLinks {
  self: string;
  result: string;
  cancel: string;
  /** The event stream. */
  events: string;
  history: string;
  /** Failed or cancelled: `POST` retries it. */
  retry?: string;
  /** Waiting for input: `POST` the input here. */
  input?: string;
}

export interface TaskRepresentation {
  id: string;
  type: string;
  status: TaskStatus;
  progress: ShownProgress;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  expiresAt: string;
  attempt: number;
  deadline?: string;
  metadata?: Record<string, string>;
  awaitingInput?: ShownWait;
  links: TaskLinks;
  /** Once succeeded: the absolute URL of the result (Azure's long-running operation convention, read by core-lro). */
  resourceLocation?: string;
  error?: Problem;
  /** Webhook delivery state, for a task submitted with a `callbackUrl`. */
  callback?: Omit<CallbackState, 'seq'>;
  compensation?: CompensationState;
}

/** How a representation is rendered besides the record. */
export interface RenderOptions {
  /** The deployment's capability key: without it `awaitingInput.url` is left out (the event bus). */
  inputCapabilityKey?: string;
  /** The clock (tests). @default Date.now() */
  now?: number;
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
  'attempt',
  'deadline',
  'metadata',
  'awaitingInput',
  'compensation',
  // Listings leave purged tasks out.
  'purgedAt',
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

/**
 * When a running task will end, estimated from its progress so far: at the rate it went from
 * `startedAt` to its last report (`updatedAt`), the rest takes `(100 - percent) / percent` of that.
 * Epoch ms, or undefined unless running with 0 < percent < 100 and not waiting for input.
 */
export function estimatedCompletion(task: TaskRecord, now: number = Date.now()): number | undefined {
  const percent = task.progress.percent;
  if (task.status !== 'running' || !task.startedAt || !(percent > 0 && percent < 100) || isWaiting(task.awaitingInput, now)) return undefined;
  const started = Date.parse(task.startedAt);
  const reported = Math.max(started, Date.parse(task.updatedAt));
  return Math.round(started + ((reported - started) * 100) / percent);
}

/** `baseUrl`: what every link starts with, absolute when the request named its host (`#http/base-url`). */
export function toRepresentation(task: TaskRecord, baseUrl: string, retentionSeconds: number, options: RenderOptions = {}): TaskRepresentation {
  const now = options.now ?? Date.now();
  const self = `${baseUrl}/tasks/${task.id}`;
  const eta = estimatedCompletion(task, now);
  const wait = task.status === 'running' && isWaiting(task.awaitingInput, now) ? task.awaitingInput : undefined;
  const representation: TaskRepresentation = {
    id: task.id,
    type: task.type,
    status: task.status,
    progress:
      task.status === 'succeeded'
        ? { ...task.progress, percent: 100 }
        : { ...task.progress, ...(eta !== undefined && { estimatedCompletionAt: new Date(eta).toISOString() }) },
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    ...(task.startedAt && { startedAt: task.startedAt }),
    ...(task.completedAt && { completedAt: task.completedAt }),
    expiresAt: expiresAt(task, retentionSeconds).toISOString(),
    attempt: attemptOf(task),
    ...(task.deadline && { deadline: task.deadline }),
    ...(task.metadata && Object.keys(task.metadata).length > 0 && { metadata: task.metadata }),
    ...(wait && { awaitingInput: shownWait(task.id, self, wait, options.inputCapabilityKey) }),
    links: {
      self,
      result: `${self}/result`,
      cancel: self,
      events: `${self}/events`,
      history: `${self}/history`,
      ...((task.status === 'failed' || task.status === 'cancelled') && { retry: `${self}/retry` }),
      ...(wait && { input: `${self}/input` }),
    },
    ...(task.status === 'succeeded' && { resourceLocation: `${self}/result` }),
  };
  const problem = taskProblem(task, self);
  if (problem) representation.error = problem;
  if (task.callbackUrl) {
    const { seq: _seq, ...callback } = task.callback ?? { status: 'pending' as const, attempts: 0 };
    representation.callback = callback;
  }
  if (task.compensation) representation.compensation = task.compensation;
  return representation;
}

function shownWait(taskId: string, self: string, wait: NonNullable<TaskRecord['awaitingInput']>, key: string | undefined): ShownWait {
  return {
    name: wait.name,
    ...(wait.prompt !== undefined && { prompt: wait.prompt }),
    ...(wait.schema !== undefined && { schema: wait.schema }),
    since: wait.since,
    ...(wait.expiresAt !== undefined && { expiresAt: wait.expiresAt }),
    ...(key && { url: `${self}/input/${inputCapability(key, taskId, wait.since)}` }),
  };
}

export const RETRY_AFTER_MIN = 1;
export const RETRY_AFTER_MAX = 30;

/**
 * Seconds a client should wait before polling again, or undefined once terminal. The rule:
 * a fifth of the task's age (young tasks are polled often, old ones rarely, so polls per task grow
 * only logarithmically with its duration), capped by the time left until the estimated end
 * (`estimatedCompletion`), within [1, 30].
 */
export function retryAfterSeconds(task: TaskRecord, now: number = Date.now()): number | undefined {
  if (isTerminal(task.status)) return undefined;
  const ageSeconds = Math.max(0, (now - Date.parse(task.createdAt)) / 1000);
  let wait = ageSeconds / 5;
  // The same estimate as `progress.estimatedCompletionAt`: poll again around the expected end.
  const eta = estimatedCompletion(task, now);
  if (eta !== undefined) wait = Math.min(wait, (eta - now) / 1000);
  return Math.min(RETRY_AFTER_MAX, Math.max(RETRY_AFTER_MIN, Math.ceil(wait)));
}
