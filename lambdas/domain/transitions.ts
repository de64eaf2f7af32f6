/**
 * Every status transition, written once. The store applies them with the DynamoDB document client
 * and the construct turns the same definitions into the workflow's DynamoDB service-integration
 * steps, so a terminal status can never change, whoever writes, except by an explicit retry.
 * Every transition appends its history entry (`:history`, see `#domain/history`) in the same write.
 */
import { HISTORY_APPEND } from './history.ts';
import { OPEN_INDEX } from './open-index.ts';
import { type TaskStatus, TERMINAL_STATUSES } from './task.ts';
import type { LiteralValue, TransitionExpression } from './update-expression.ts';

export { type LiteralValue, type TransitionExpression, updateExpression } from './update-expression.ts';

/** For each target status, the statuses a task may move to it from (back to `pending` only by a retry). */
export const ALLOWED_FROM: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['failed', 'cancelled'],
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
export const VERSION_BUMP = {
  set: '#version = if_not_exists(#version, :zero) + :one',
  names: { '#version': 'version' },
  values: { ':zero': 0, ':one': 1 },
} as const;

/**
 * Only a write of the task's current attempt: `:attempt` is the attempt the writer acts for (an
 * execution's, a deadline's), so a late event of an earlier attempt can never move a retried task.
 */
export const ATTEMPT_GUARD = {
  condition: '(attribute_not_exists(#attempt) OR #attempt = :attempt)',
  names: { '#attempt': 'attempt' },
} as const;

/** What a terminal transition removes besides the open-task index: the awaited input (its wait is over). */
const ENDED_WAIT = ['awaitingInput', 'inputToken'] as const;

/** Options of a transition. */
export interface TransitionOptions {
  /**
   * Keep the task in the open-task index although the status is terminal: a task cancelled by its
   * owner (or by its deadline) stays there until its execution is known to be stopped, so the
   * sweeper stops it again if needed.
   */
  keepOpen?: boolean;
  /** Require `:attempt` to be the task's attempt (see ATTEMPT_GUARD). */
  attemptGuard?: boolean;
}

/**
 * The conditional update for a transition to `to`. `fields` are extra attributes set from
 * placeholders of the same name (`result` → `#result = :result`); `:history` is the entry to append
 * and `:now` the time. Every terminal transition removes the open-task index attributes (the
 * workflow's RecordSuccess/RecordFailure steps too, since the construct builds them from this
 * expression), unless `keepOpen`, and the awaited input.
 */
export function transitionExpression(to: TaskStatus, fields: readonly string[] = [], options: TransitionOptions = {}): TransitionExpression {
  if (to === 'pending') throw new Error('only a retry leads back to pending: use retryExpression');
  const from = ALLOWED_FROM[to];
  const names: Record<string, string> = {
    '#id': 'id',
    '#status': 'status',
    '#updatedAt': 'updatedAt',
    ...VERSION_BUMP.names,
    ...HISTORY_APPEND.names,
  };
  const values: Record<string, LiteralValue> = { ':to': to, ...VERSION_BUMP.values, ...HISTORY_APPEND.values };
  const set = ['#status = :to', '#updatedAt = :now', VERSION_BUMP.set, HISTORY_APPEND.set];
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
  if (to !== 'running') {
    for (const attribute of [...(options.keepOpen ? [] : OPEN_INDEX.attributes), ...ENDED_WAIT]) {
      names[`#${attribute}`] = attribute;
      remove.push(`#${attribute}`);
    }
  }
  let condition = `attribute_exists(#id) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
  if (options.attemptGuard) {
    Object.assign(names, ATTEMPT_GUARD.names);
    condition += ` AND ${ATTEMPT_GUARD.condition}`;
  }
  return { set, remove, condition, names, values };
}

/** Terminal statuses as `:terminal0…` placeholders (a condition's `IN (…)` list). */
function terminalValues(): { list: string; values: Record<string, string> } {
  const values: Record<string, string> = {};
  TERMINAL_STATUSES.forEach((status, i) => {
    values[`:terminal${i}`] = status;
  });
  return { list: TERMINAL_STATUSES.map((_, i) => `:terminal${i}`).join(', '), values };
}

/**
 * Records one webhook attempt. Events of a task are ordered by `seq` (see `eventSequence` in
 * `#domain/webhook`): the first attempt of an event may replace the state of an older event, never
 * of a newer one; a later attempt must find its own event with the attempt count it saw, so two
 * copies of one queue message cannot both record attempt n. `status` and `updatedAt` stay as they
 * are (delivery state is not a change of the task); `version` moves. Its stream record passes no
 * webhook filter (no status changed, no progress or wait appeared), so it triggers no delivery.
 */
export function callbackExpression(seq: number, previousAttempts: number): TransitionExpression {
  const names: Record<string, string> = { '#id': 'id', '#callback': 'callback', '#seq': 'seq', ...VERSION_BUMP.names };
  const values: Record<string, LiteralValue> = { ...VERSION_BUMP.values, ':seq': seq };
  let previous: string;
  if (previousAttempts === 0) {
    previous = '(attribute_not_exists(#callback) OR attribute_not_exists(#callback.#seq) OR #callback.#seq < :seq)';
  } else {
    names['#attempts'] = 'attempts';
    values[':previousAttempts'] = previousAttempts;
    // A callback recorded before events were ordered has no `seq`: it is the terminal event's.
    previous = '(#callback.#seq = :seq OR attribute_not_exists(#callback.#seq)) AND #callback.#attempts = :previousAttempts';
  }
  return { set: ['#callback = :callback', VERSION_BUMP.set], remove: [], condition: `attribute_exists(#id) AND ${previous}`, names, values };
}

/**
 * A retry: a failed or cancelled task back to `pending`, as attempt `:attempt` + 1 (`:next`), in the
 * open-task index again, with what the last attempt left removed and `:history` appended (see
 * `retryEntries`). `:deadline` is set when `withDeadline` (a fresh one), else removed. Only its
 * owner's task, not purged, still at the attempt the caller saw.
 */
export function retryExpression(withDeadline: boolean): TransitionExpression {
  const names: Record<string, string> = {
    '#id': 'id',
    '#owner': 'owner',
    '#status': 'status',
    '#updatedAt': 'updatedAt',
    '#progress': 'progress',
    '#ttl': 'ttl',
    '#purgedAt': 'purgedAt',
    ...VERSION_BUMP.names,
    ...HISTORY_APPEND.names,
    ...ATTEMPT_GUARD.names,
  };
  const set = [
    '#status = :pending',
    '#attempt = :next',
    '#updatedAt = :now',
    '#progress = :progress',
    '#ttl = :ttl',
    VERSION_BUMP.set,
    HISTORY_APPEND.set,
  ];
  for (const attribute of OPEN_INDEX.attributes) {
    names[`#${attribute}`] = attribute;
    set.push(`#${attribute} = :${attribute}`);
  }
  const removed = ['startedAt', 'completedAt', 'result', 'error', ...ENDED_WAIT, 'compensation', 'callback', 'progressEvent'];
  names['#deadline'] = 'deadline';
  if (withDeadline) set.push('#deadline = :deadline');
  else removed.push('deadline');
  for (const attribute of removed) names[`#${attribute}`] = attribute;
  return {
    set,
    remove: removed.map((attribute) => `#${attribute}`),
    condition: `attribute_exists(#id) AND #owner = :owner AND #status IN (:failed, :cancelled) AND ${ATTEMPT_GUARD.condition} AND attribute_not_exists(#purgedAt)`,
    names,
    values: { ...VERSION_BUMP.values, ...HISTORY_APPEND.values, ':pending': 'pending', ':failed': 'failed', ':cancelled': 'cancelled' },
  };
}

/**
 * A purge: the task's data erased (input, result, error detail, metadata, history, the callback and
 * the awaited input), `purgedAt` set; the row stays, so every route can answer 410 until its TTL.
 * Only a terminal task of its owner, not purged already.
 */
export function purgeExpression(): TransitionExpression {
  const terminal = terminalValues();
  const erased = [
    'result',
    'error',
    'metadata',
    'history',
    'callbackUrl',
    'callback',
    'callbackEvents',
    'requestHash',
    'progressEvent',
    'cancelAfterSeconds',
    ...ENDED_WAIT,
  ];
  const names: Record<string, string> = {
    '#id': 'id',
    '#owner': 'owner',
    '#status': 'status',
    '#input': 'input',
    '#progress': 'progress',
    '#purgedAt': 'purgedAt',
    ...VERSION_BUMP.names,
  };
  for (const attribute of erased) names[`#${attribute}`] = attribute;
  return {
    set: ['#purgedAt = :now', '#input = :erased', '#progress = :progress', VERSION_BUMP.set],
    remove: erased.map((attribute) => `#${attribute}`),
    condition: `attribute_exists(#id) AND #owner = :owner AND #status IN (${terminal.list}) AND attribute_not_exists(#purgedAt)`,
    names,
    values: { ...VERSION_BUMP.values, ...terminal.values, ':erased': 'null' },
  };
}
