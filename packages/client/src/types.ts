/**
 * The client's public types, all derived from `schema/`, which openapi-typescript generates from
 * the OpenAPI document's schemas, one file per capability (`scripts/client-types.ts`;
 * `test/unit/types.test.ts` fails if it is stale).
 * Nothing here is written by hand except the widenings a generic client needs: a deployment may
 * declare task types and problem types this document (the demo stack's) does not list.
 */
import type { Schemas } from './schema/index.ts';

export type { Schemas };

/** `pending` → `running` → `succeeded` | `failed` | `cancelled`. */
export type TaskStatus = Schemas['TaskStatus'];
/** `{ percent, step?, estimatedCompletionAt? }`. */
export type Progress = Schemas['Progress'];

/** Task types of the demo deployment; any other string is accepted for other deployments. */
export type KnownTaskType = Schemas['Task']['type'];
/** A task type: one of the demo deployment's, or any other string. */
export type TaskType = KnownTaskType | (string & {});

/** `input` of each known task type, from its submission schema. */
export type TaskInputs = { [S in Schemas['Submission'] as S['type']]: S['input'] };
/** The `input` of task type `T`: typed for a known type, any JSON object otherwise. */
export type TaskInput<T extends string> = T extends KnownTaskType ? TaskInputs[T] : Record<string, unknown>;

/** Problem `type` URIs in the document's catalog. */
export type KnownProblemType = Schemas['Problem']['type'];

/** RFC 9457 problem details; extension members (`errors`, `taskStatus`, …) are kept. */
export type Problem = Omit<Schemas['Problem'], 'type'> & {
  /** The problem type URI: one of the catalog's, or another a deployment adds. */
  type: KnownProblemType | (string & {});
  [extension: string]: unknown;
};
/** One offending field of a 400: `{ pointer, detail }`. */
export type FieldError = NonNullable<Schemas['Problem']['errors']>[number];

/** A task, as the API represents it. */
export type Task = Omit<Schemas['Task'], 'type' | 'error'> & {
  /** Its task type. */
  type: TaskType;
  /** Why it failed or was cancelled (problem details), for `failed` and `cancelled`. */
  error?: Problem;
};
/** A task that ended within `Prefer: wait` of its submit, with its inline result (`result`) when it succeeded. */
export type TaskWithResult = Task & {
  /** The worker's result, when the task succeeded with an inline one. */
  result?: unknown;
};
/** The input a task's worker waits for: `name`, `prompt?`, `schema?`, `since`, `expiresAt?`, `url?` (its capability URL). */
export type AwaitingInput = Schemas['AwaitingInput'];
/** A task's compensation: `{ status, completedAt? }`. */
export type Compensation = Schemas['Compensation'];
/** One entry of a task's history: `{ at, status, attempt, event, detail? }`. */
export type HistoryEntry = Schemas['HistoryEntry'];
/** The events a `callbackUrl` may subscribe to (`callbackEvents`). */
export type CallbackEventKind = NonNullable<Schemas['Submission']['callbackEvents']>[number];
/** One page of a listing. */
export type TaskList = Omit<Schemas['TaskList'], 'items'> & {
  /** The tasks, newest first. */
  items: Task[];
};
/** The body of `POST /tasks`. */
export type Submission = Schemas['Submission'];
/** A task's webhook delivery state. */
export type CallbackState = Schemas['CallbackState'];
/** The caller's webhook signing secret. */
export type WebhookSecret = Schemas['WebhookSecret'];
/** A watch token for the live channel (`POST /watch-tokens`). */
export type WatchToken = Schemas['WatchToken'];

/** Every task status. */
export const TASK_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
/** The statuses a task never leaves. */
export const TERMINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
/** `succeeded` | `failed` | `cancelled`. */
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** True once the task can change no more. */
export function isTerminal(status: TaskStatus | string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

// Compile-time proof that the hand-listed statuses are exactly the document's enum.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Exact<(typeof TASK_STATUSES)[number], TaskStatus> = true;
void statusesMatch;
