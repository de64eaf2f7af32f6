/**
 * Compensation: an optional chain the construct runs once, in its own execution of its own state
 * machine, after an attempt ends `cancelled` (and `failed`, if configured), to roll back what the
 * worker changed. The task carries `compensation: { status, completedAt? }`; its own status never
 * changes. Pure, no AWS imports.
 */
import { HISTORY_APPEND } from './history.ts';
import type { Progress, TaskRecord, TaskStatus } from './task.ts';
import { ATTEMPT_GUARD, type LiteralValue, type TransitionExpression, VERSION_BUMP } from './transitions.ts';

/** What the compensation chain receives as its execution input. */
export interface CompensationInput {
  taskId: string;
  type: string;
  attempt: number;
  /** How the attempt ended: `cancelled` or `failed`. */
  status: TaskStatus;
  /** The task's input, as submitted. */
  input: unknown;
  /** The last progress the worker reported. */
  progress: Progress;
}

/** Which endings a deployment compensates (`COMPENSATE_ON`): cancelled always, failed if configured. */
export function shouldCompensate(task: Pick<TaskRecord, 'status' | 'purgedAt' | 'compensation'>, compensateOn: readonly TaskStatus[]): boolean {
  return (
    compensateOn.includes(task.status) &&
    task.purgedAt === undefined &&
    task.compensation?.status !== 'succeeded' &&
    task.compensation?.status !== 'failed'
  );
}

/**
 * Claims the compensation of the task's attempt `:attempt`: `compensation` becomes `running` once
 * (the claim is what makes it run once, whoever asks how often), only if the task ended in one of
 * `statuses` and was not purged.
 */
export function compensationClaimExpression(statuses: readonly TaskStatus[]): TransitionExpression {
  const values: Record<string, LiteralValue> = { ...VERSION_BUMP.values };
  statuses.forEach((status, i) => {
    values[`:compensate${i}`] = status;
  });
  return {
    set: ['#compensation = :compensation', VERSION_BUMP.set],
    remove: [],
    condition: `attribute_exists(#id) AND #status IN (${statuses.map((_, i) => `:compensate${i}`).join(', ')}) AND ${ATTEMPT_GUARD.condition} AND attribute_not_exists(#compensation) AND attribute_not_exists(#purgedAt)`,
    names: {
      '#id': 'id',
      '#status': 'status',
      '#compensation': 'compensation',
      '#purgedAt': 'purgedAt',
      ...VERSION_BUMP.names,
      ...ATTEMPT_GUARD.names,
    },
    values,
  };
}

/**
 * Records how the compensation of attempt `:attempt` ended (`:compensation`: `{ status, completedAt }`)
 * and appends `compensated`; written by the compensation workflow's last step.
 */
export function compensationOutcomeExpression(): TransitionExpression {
  return {
    set: ['#compensation = :compensation', VERSION_BUMP.set, HISTORY_APPEND.set],
    remove: [],
    condition: `attribute_exists(#id) AND #compensation.#cstatus = :running AND ${ATTEMPT_GUARD.condition}`,
    names: {
      '#id': 'id',
      '#compensation': 'compensation',
      '#cstatus': 'status',
      ...VERSION_BUMP.names,
      ...HISTORY_APPEND.names,
      ...ATTEMPT_GUARD.names,
    },
    values: { ':running': 'running', ...VERSION_BUMP.values, ...HISTORY_APPEND.values },
  };
}

/** The compensation execution's input for a task (its input parsed back; `null` once purged). */
export function compensationInput(task: TaskRecord, attempt: number): CompensationInput {
  let input: unknown = null;
  try {
    input = JSON.parse(task.input);
  } catch {
    input = null;
  }
  return { taskId: task.id, type: task.type, attempt, status: task.status, input, progress: task.progress };
}
