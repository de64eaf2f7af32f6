/**
 * The client's public types, all derived from `schema.ts`, which openapi-typescript generates from
 * the OpenAPI document (`scripts/client-types.ts`; `test/client/types.test.ts` fails if it is stale).
 * Nothing here is written by hand except the widenings a generic client needs: a deployment may
 * declare task types and problem types this document (the demo stack's) does not list.
 */
import type { components } from './schema.ts';

type Schemas = components['schemas'];

export type TaskStatus = Schemas['TaskStatus'];
export type Progress = Schemas['Progress'];

/** Task types of the demo deployment; any other string is accepted for other deployments. */
export type KnownTaskType = Schemas['Task']['type'];
export type TaskType = KnownTaskType | (string & {});

/** `input` of each known task type, from its submission schema. */
export type TaskInputs = { [S in Schemas['Submission'] as S['type']]: S['input'] };
export type TaskInput<T extends string> = T extends KnownTaskType ? TaskInputs[T] : Record<string, unknown>;

/** Problem `type` URIs in the document's catalog. */
export type KnownProblemType = Schemas['Problem']['type'];

/** RFC 9457 problem details; extension members (`errors`, `taskStatus`, …) are kept. */
export type Problem = Omit<Schemas['Problem'], 'type'> & {
  type: KnownProblemType | (string & {});
  [extension: string]: unknown;
};
export type FieldError = NonNullable<Schemas['Problem']['errors']>[number];

export type Task = Omit<Schemas['Task'], 'type' | 'error'> & { type: TaskType; error?: Problem };
export type TaskList = Omit<Schemas['TaskList'], 'items'> & { items: Task[] };
export type Submission = Schemas['Submission'];
export type CallbackState = Schemas['CallbackState'];
export type WebhookSecret = Schemas['WebhookSecret'];

export const TASK_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
export const TERMINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: TaskStatus | string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

// Compile-time proof that the hand-listed statuses are exactly the document's enum.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Exact<(typeof TASK_STATUSES)[number], TaskStatus> = true;
void statusesMatch;
