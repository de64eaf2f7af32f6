/** The task model: statuses, the stored record and what counts as terminal. Pure, no AWS imports. */
import type { Progress } from '@longrun/worker/protocol';

export const TASK_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

export type { Progress } from '@longrun/worker/protocol';

/** A task as stored in DynamoDB (one item per task, partition key `id`). */
export interface TaskRecord {
  id: string;
  owner: string;
  type: string;
  status: TaskStatus;
  /** The submitted input, as JSON text (keeps numbers exact and the item schema flat). */
  input: string;
  progress: Progress;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  /** The worker's result as JSON text, once succeeded. */
  result?: string;
  /** Why the task failed or was cancelled, as JSON text: `{ Error, Cause }` or a problem object. */
  error?: string;
  callbackUrl?: string;
  /** Webhook delivery state, once the first attempt was made (see `#domain/webhook`). */
  callback?: CallbackState;
  /** Fingerprint of the submitted body, kept to answer an idempotent replay. */
  requestHash?: string;
  /** Incremented by every write (1 at creation); see `VERSION_BUMP` in `#domain/transitions`. */
  version: number;
  /** DynamoDB TTL (epoch seconds): the latest moment the row may be physically deleted. */
  ttl: number;
  /** Open-task index partition (see `#domain/open-index`); absent once the task needs no sweeping. */
  openShard?: number;
  /** When the sweeper next checks the task (open-task index sort key). */
  sweepAt?: string;
  /** Until when (epoch seconds) a live connection may follow the task (see `#domain/live`); absent: nobody has. */
  followedUntil?: number;
  /** Changes with each new subscription to the task (see `#domain/live`). */
  followNonce?: string;
  /** 1, then 2, … after each retry (absent on tasks written before retries existed: 1). */
  attempt?: number;
  /** The task type runs on the Express state machine (`expressTaskTypes`); absent: on the Standard one. */
  workflow?: Workflow;
  /** When the current attempt is cancelled with `deadline-exceeded` (RFC 3339), from `Cancel-After`. */
  deadline?: string;
  /** The `Cancel-After` of the submit, in seconds: a retry gets a fresh deadline this far ahead. */
  cancelAfterSeconds?: number;
  /** The caller's tags (see `#domain/metadata`). */
  metadata?: Record<string, string>;
  /** Which events `callbackUrl` receives (absent: `completed` only). */
  callbackEvents?: CallbackEventKind[];
  /** The input the worker waits for, while it does (see `#domain/input`). */
  awaitingInput?: AwaitedInput;
  /** The Step Functions task token of the awaited input: needed to resume the worker, never shown. */
  inputToken?: string;
  /** What happened to the task, oldest first (see `#domain/history`); never progress writes. */
  history?: StoredHistoryEntry[];
  /** The compensation run after the task ended cancelled (or failed), if the construct has one. */
  compensation?: CompensationState;
  /** When `DELETE …?purge=true` erased the task's data: every route answers 410 from then on. */
  purgedAt?: string;
  /** The last `task.progress` webhook: when it was claimed and for which version (at most one per 5 s). */
  progressEvent?: { at: string; version: number };
}

/** Which state machine runs a task: only Express is written (`workflow: 'express'`); absent is Standard. */
type Workflow = 'express';

/** The events a caller may subscribe its `callbackUrl` to; `completed` is every terminal status. */
export const CALLBACK_EVENT_KINDS = ['started', 'progress', 'input_required', 'completed'] as const;
export type CallbackEventKind = (typeof CALLBACK_EVENT_KINDS)[number];

/** An input the worker waits for (Step Functions `.waitForTaskToken`), as stored. */
export interface AwaitedInput {
  /** What the worker calls it, e.g. `approval`. */
  name: string;
  /** What to ask the person or system that answers. */
  prompt?: string;
  /** The JSON Schema the input must match. */
  schema?: Record<string, unknown>;
  /** When the worker started waiting (RFC 3339); identifies this wait. */
  since: string;
  /** When the wait times out, if it does. */
  expiresAt?: string;
}

/** One stored history entry; `attempt` is derived when read (see `#domain/history`). */
export interface StoredHistoryEntry {
  at: string;
  status: TaskStatus;
  event: HistoryEvent;
  detail?: string;
  /** Set on entries written out of order (a late `started`); otherwise counted from `retried` entries. */
  attempt?: number;
}

export const HISTORY_EVENTS = [
  'submitted',
  'started',
  'input_required',
  'input_received',
  'retried',
  'succeeded',
  'failed',
  'cancelled',
  'compensated',
] as const;
export type HistoryEvent = (typeof HISTORY_EVENTS)[number];

/** The state of a task's compensation run. */
export interface CompensationState {
  status: 'running' | 'succeeded' | 'failed';
  completedAt?: string;
}

/** Delivery state of a task's callback, stored on the task and shown in its representation. */
export interface CallbackState {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode?: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  /** The event this is the delivery of (`task.succeeded`, `task.progress`, …): the newest one attempted. */
  event?: string;
  /** Orders a task's events (see `eventSequence` in `#domain/webhook`); not shown. */
  seq?: number;
  /** Why a `failed` callback will not be tried again without a status code to show for it (e.g. `blocked-address`). */
  reason?: string;
}

/** What the workflow receives as execution input. */
export interface ExecutionInput {
  taskId: string;
  type: string;
  input: unknown;
  /** 1, then 2, … after each retry. */
  attempt: number;
  /** The attempt's deadline, if the submit had `Cancel-After`. */
  deadline?: string;
}

/** A task's attempt (1 for tasks written before retries existed). */
export function attemptOf(task: Pick<TaskRecord, 'attempt'>): number {
  return task.attempt ?? 1;
}

/** At most this many attempts per task: a retry after the last one answers 409 (it also bounds the history). */
export const MAX_ATTEMPTS = 20;

/** Page sizes of the task list. */
export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;
