/**
 * Every status transition, written once. The store applies them with the DynamoDB document client
 * and the construct turns the same definitions into the workflow's DynamoDB service-integration
 * steps, so a terminal status can never change, whoever writes.
 */
import type { TaskStatus } from '#domain/task';

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

/** The parts of a conditional UpdateItem that move a task to `to`; the caller adds its own SET values. */
export interface TransitionExpression {
  /** `SET ...` clauses referring to `:to`, `:now` and the caller's placeholders. */
  set: string[];
  condition: string;
  names: Record<string, string>;
  /** Literal values; `:now` and caller values are added by whoever runs the update. */
  values: Record<string, string | number>;
}

/**
 * Every write bumps the task's `version` (1 at creation), so "changed since" is one number:
 * long polls, server-sent event ids and stream consumers compare it instead of whole items.
 * @lintignore until the long-poll and event-stream work that imports it is merged (knip then asks to drop this tag).
 */
export const VERSION_BUMP = {
  set: '#version = if_not_exists(#version, :zero) + :one',
  names: { '#version': 'version' },
  values: { ':zero': 0, ':one': 1 },
} as const;

/**
 * The conditional update for a transition to `to`. `fields` are extra attributes set from
 * placeholders of the same name (`result` → `#result = :result`).
 */
export function transitionExpression(to: TaskStatus, fields: readonly string[] = []): TransitionExpression {
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
  const condition = `attribute_exists(#id) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
  return { set, condition, names, values };
}

/** Progress may be recorded while a task is pending or running; the first report makes it running. */
export function progressExpression(): TransitionExpression {
  return {
    set: [
      '#status = :to',
      '#progress = :progress',
      '#updatedAt = :now',
      '#startedAt = if_not_exists(#startedAt, :now)',
      VERSION_BUMP.set,
    ],
    condition: 'attribute_exists(#id) AND #status IN (:from0, :from1)',
    names: {
      '#id': 'id',
      '#status': 'status',
      '#progress': 'progress',
      '#updatedAt': 'updatedAt',
      '#startedAt': 'startedAt',
      ...VERSION_BUMP.names,
    },
    values: { ':to': 'running', ':from0': 'pending', ':from1': 'running', ...VERSION_BUMP.values },
  };
}
