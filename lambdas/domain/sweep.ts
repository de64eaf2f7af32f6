/**
 * What the sweeper does with one open task, given what Step Functions says of its execution.
 * Pure: the sweeper service carries the actions out, each as a conditional write or an
 * idempotent Step Functions call, so a run that dies half-way is simply repeated.
 */
import type { TaskStatus } from './task.ts';

/** DescribeExecution's status, or `MISSING` when the execution does not exist. */
export type ExecutionState = 'MISSING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type SweepAction =
  /** Pending and never started (its submit died between the write and StartExecution): start it. */
  | 'start'
  /** It was running and its execution is gone: fail it with an `execution-lost` problem. */
  | 'lose'
  /** Record the execution's status, as the lost status event would have (the backstop's logic). */
  | 'record'
  /** Cancelled (or past its deadline), but its execution still runs: StopExecution again, then close. */
  | 'stop'
  /** Open past its deadline (the deadline's schedule never fired): fail it with `deadline-exceeded` and stop it. */
  | 'expire'
  /** Terminal and its execution is not running: take it out of the open-task index. */
  | 'close'
  /** Healthy (running execution, open task): check again later. */
  | 'defer';

const FINISHED: readonly ExecutionState[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** The sweep decision: one action per (task status, execution state). */
export function sweepAction(status: TaskStatus, execution: ExecutionState): SweepAction {
  if (status === 'pending' || status === 'running') {
    if (execution === 'MISSING') return status === 'pending' ? 'start' : 'lose';
    if (FINISHED.includes(execution)) return 'record';
    // RUNNING: a pending task whose RUNNING event was lost is recorded as running too.
    return status === 'pending' ? 'record' : 'defer';
  }
  // Terminal. Only a cancel (by the owner or the deadline) keeps a task in the index while its execution may run.
  return execution === 'RUNNING' ? 'stop' : 'close';
}

/**
 * Slack beyond an Express execution's own timeout before the sweeper takes it as over: Express stops
 * an execution at its timeout, so past this no run of the attempt can still record anything.
 */
export const EXPRESS_GRACE_SECONDS = 60;

/** What the sweeper knows of an Express task: no DescribeExecution exists for Express, so times stand in for it. */
export interface ExpressTaskTimes {
  status: TaskStatus;
  /** When the attempt recorded `running` (RecordRunning). */
  startedAt?: string;
  /** The last write of a status (a cancel, a failure kept open, the submit or retry of a pending task). */
  updatedAt: string;
}

/**
 * The sweep decision for a task on the Express state machine, from a deadline instead of the
 * execution's status (Express has no DescribeExecution and no StopExecution):
 * - pending: its start may never have happened: `start` (RecordRunning's condition makes a second run of the attempt a no-op once one runs);
 * - running past its timeout + grace: the run ended without recording (crashed, timed out, lost): `lose`, recorded as timed out;
 * - terminal but kept open (a cooperative cancel, a deadline): `close` once no run can be left, else `defer`.
 */
export function expressSweepAction(
  task: ExpressTaskTimes,
  now: number,
  timeoutSeconds: number,
  graceSeconds: number = EXPRESS_GRACE_SECONDS,
): SweepAction {
  const over = (since: string | undefined): boolean => {
    const at = since === undefined ? Number.NaN : Date.parse(since);
    return Number.isFinite(at) && now - at > (timeoutSeconds + graceSeconds) * 1000;
  };
  if (task.status === 'pending') return 'start';
  if (task.status === 'running') return over(task.startedAt ?? task.updatedAt) ? 'lose' : 'defer';
  return over(task.updatedAt) ? 'close' : 'defer';
}
