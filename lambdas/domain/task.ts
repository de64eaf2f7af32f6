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
}

/** Delivery state of a task's callback, stored on the task and shown in its representation. */
export interface CallbackState {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode?: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  /** Why a `failed` callback will not be tried again without a status code to show for it (e.g. `blocked-address`). */
  reason?: string;
}

/** What the workflow receives as execution input. */
export interface ExecutionInput {
  taskId: string;
  type: string;
  input: unknown;
}

/** Page sizes of the task list. */
export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;
