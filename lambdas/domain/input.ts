/**
 * Input from a person or a system: a worker waits (a `.waitForTaskToken` state, see `awaitInput`
 * in `@longrun/cdk`), the task carries `awaitingInput`, and `POST /tasks/{id}/input` (or the
 * capability URL, without an API key) resumes it. The writes that start and end a wait, the
 * capability tokens (the check of an input against the awaited schema: `#domain/input-schema`).
 * Pure, no AWS imports.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HISTORY_APPEND, HISTORY_INPUT_CAP } from './history.ts';
import type { AwaitedInput } from './task.ts';
import { ATTEMPT_GUARD, type TransitionExpression, VERSION_BUMP } from './transitions.ts';

/** The largest input body accepted (it becomes the state's output: Step Functions' 256 KiB bounds it). */
export const MAX_INPUT_BYTES = 256 * 1024;

/**
 * Starts a wait: records `:awaitingInput` and the task token `:token`, makes a pending task running
 * (the worker runs), appends `input_required`. Only the execution's own attempt, only an open
 * task, and only while the history has room (`:historyCap`: a worker that keeps asking is stopped).
 */
export function awaitInputExpression(): TransitionExpression {
  return {
    set: [
      '#awaitingInput = :awaitingInput',
      '#inputToken = :token',
      '#status = :running',
      '#startedAt = if_not_exists(#startedAt, :now)',
      '#updatedAt = :now',
      VERSION_BUMP.set,
      HISTORY_APPEND.set,
    ],
    remove: [],
    condition: `attribute_exists(#id) AND #status IN (:pending, :running) AND ${ATTEMPT_GUARD.condition} AND (attribute_not_exists(#history) OR size(#history) < :historyCap)`,
    names: {
      '#id': 'id',
      '#status': 'status',
      '#awaitingInput': 'awaitingInput',
      '#inputToken': 'inputToken',
      '#startedAt': 'startedAt',
      '#updatedAt': 'updatedAt',
      ...VERSION_BUMP.names,
      ...HISTORY_APPEND.names,
      ...ATTEMPT_GUARD.names,
    },
    values: {
      ':running': 'running',
      ':pending': 'pending',
      ':historyCap': HISTORY_INPUT_CAP,
      ...VERSION_BUMP.values,
      ...HISTORY_APPEND.values,
    },
  };
}

/**
 * Ends a wait as its input arrives: the wait that began at `:since` is removed (so the same input
 * cannot be given twice, and a capability URL works once) and `input_received` appended. The
 * caller resumes the worker after this write succeeded.
 */
export function inputReceivedExpression(): TransitionExpression {
  return {
    set: ['#updatedAt = :now', VERSION_BUMP.set, HISTORY_APPEND.set],
    remove: ['#awaitingInput', '#inputToken'],
    condition: 'attribute_exists(#id) AND #status = :running AND #awaitingInput.#since = :since',
    names: {
      '#id': 'id',
      '#status': 'status',
      '#awaitingInput': 'awaitingInput',
      '#inputToken': 'inputToken',
      '#since': 'since',
      '#updatedAt': 'updatedAt',
      ...VERSION_BUMP.names,
      ...HISTORY_APPEND.names,
    },
    values: { ':running': 'running', ...VERSION_BUMP.values, ...HISTORY_APPEND.values },
  };
}

/**
 * Puts a wait back (its input was claimed, but resuming the worker failed for a reason a retry may
 * fix), if no other write touched the task since (`:version`).
 */
export function restoreWaitExpression(): TransitionExpression {
  return {
    set: ['#awaitingInput = :awaitingInput', '#inputToken = :token', VERSION_BUMP.set],
    remove: [],
    condition: 'attribute_exists(#id) AND #status = :running AND #version = :version AND attribute_not_exists(#awaitingInput)',
    names: { '#id': 'id', '#status': 'status', '#awaitingInput': 'awaitingInput', '#inputToken': 'inputToken', ...VERSION_BUMP.names },
    values: { ':running': 'running', ...VERSION_BUMP.values },
  };
}

/**
 * The capability of one wait: HMAC-SHA-256 of the task id and the wait's start under the
 * deployment's capability key (a secret outside the table). Nothing about it is stored: it is
 * derived again to show `awaitingInput.url` and to check a capability URL, and it stops working
 * once the wait is over (a new wait has another `since`).
 */
export function inputCapability(key: string, taskId: string, since: string): string {
  return createHmac('sha256', key).update(`longrun-input\n${taskId}\n${since}`).digest('base64url');
}

/** Whether `presented` is the capability of the task's current wait (constant time). */
export function isInputCapability(key: string, taskId: string, wait: AwaitedInput | undefined, presented: string): boolean {
  if (!wait || !/^[A-Za-z0-9_-]{43}$/.test(presented)) return false;
  const expected = Buffer.from(inputCapability(key, taskId, wait.since));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Whether a wait is still on: not past `expiresAt`. */
export function isWaiting(wait: AwaitedInput | undefined, now: number = Date.now()): wait is AwaitedInput {
  return wait !== undefined && (wait.expiresAt === undefined || Date.parse(wait.expiresAt) > now);
}
