/**
 * Every status transition, written once. The store applies them with the DynamoDB document client
 * and the construct turns the same definitions into the workflow's DynamoDB service-integration
 * steps, so a terminal status can never change, whoever writes.
 */
import { OPEN_INDEX } from './open-index.ts';
import type { TaskStatus } from './task.ts';
import type { TransitionExpression } from './update-expression.ts';

export { type TransitionExpression, updateExpression } from './update-expression.ts';

/** For each target status, the statuses a task may move to it from. */
export const ALLOWED_FROM: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: [],
  running: ['pending'],
  succeeded: ['pending', 'running'],
  failed: ['pending', 'running'],
  cancelled: ['pending', 'running'],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return ALLOWED_FROM[to].includes(from);
}

/**
 * Every write bumps the task's `version` (1 at creation), so "changed since" is one number:
 * long polls, server-sent event ids and stream consumers compare it instead of whole items.
 */
const VERSION_BUMP = {
  set: '#version = if_not_exists(#version, :zero) + :one',
  names: { '#version': 'version' },
  values: { ':zero': 0, ':one': 1 },
} as const;

/** Options of a transition. */
export interface TransitionOptions {
  /**
   * Keep the task in the open-task index although the status is terminal: a cancel by its owner
   * stays there until its execution is known to be stopped, so the sweeper stops it again if needed.
   */
  keepOpen?: boolean;
}

/**
 * The conditional update for a transition to `to`. `fields` are extra attributes set from
 * placeholders of the same name (`result` → `#result = :result`). Every terminal transition
 * removes the open-task index attributes (the workflow's RecordSuccess/RecordFailure steps too,
 * since the construct builds them from this expression), unless `keepOpen`.
 */
export function transitionExpression(to: TaskStatus, fields: readonly string[] = [], options: TransitionOptions = {}): TransitionExpression {
  const from = ALLOWED_FROM[to];
  if (from.length === 0) throw new Error(`no transition leads to ${to}`);
  const names: Record<string, string> = { '#id': 'id', '#status': 'status', '#updatedAt': 'updatedAt', ...VERSION_BUMP.names };
  const values: Record<string, string | number> = { ':to': to, ...VERSION_BUMP.values };
  const set = ['#status = :to', '#updatedAt = :now', VERSION_BUMP.set];
  for (const [i, status] of from.entries()) values[`:from${i}`] = status;
  if (to === 'running') {
    names['#startedAt'] = 'startedAt';
    set.push('#startedAt = if_not_exists(#startedAt, :now)');
  } else {
    names['#completedAt'] = 'completedAt';
    set.push('#completedAt = :now');
  }
  for (const field of fields) {
    names[`#${field}`] = field;
    set.push(`#${field} = :${field}`);
  }
  const remove: string[] = [];
  if (to !== 'running' && !options.keepOpen) {
    for (const attribute of OPEN_INDEX.attributes) {
      names[`#${attribute}`] = attribute;
      remove.push(`#${attribute}`);
    }
  }
  const condition = `attribute_exists(#id) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
  return { set, remove, condition, names, values };
}

/**
 * Records one webhook attempt on a terminal task. The condition is optimistic on the attempt
 * count, so two copies of one queue message cannot both record attempt n; `status` and
 * `updatedAt` stay as they are (delivery state is not a change of the task), `version` moves.
 * The stream filter for webhooks only passes non-terminal -> terminal writes, so this one never
 * triggers another delivery.
 */
export function callbackExpression(previousAttempts: number): TransitionExpression {
  const terminal = ['succeeded', 'failed', 'cancelled'] as const;
  const values: Record<string, string | number> = { ...VERSION_BUMP.values };
  terminal.forEach((status, i) => {
    values[`:terminal${i}`] = status;
  });
  const names: Record<string, string> = { '#id': 'id', '#status': 'status', '#callback': 'callback', ...VERSION_BUMP.names };
  let previous = 'attribute_not_exists(#callback)';
  if (previousAttempts > 0) {
    names['#attempts'] = 'attempts';
    values[':previousAttempts'] = previousAttempts;
    previous = '#callback.#attempts = :previousAttempts';
  }
  return {
    set: ['#callback = :callback', VERSION_BUMP.set],
    remove: [],
    condition: `attribute_exists(#id) AND #status IN (${terminal.map((_, i) => `:terminal${i}`).join(', ')}) AND ${previous}`,
    names,
    values,
  };
}
