/**
 * The sweeper: every open task that has waited longer than SWEEP_AGE_SECONDS is checked against
 * its execution (DescribeExecution) and brought to its outcome with the same code the submit,
 * cancel and backstop paths use, several at a time, pending tasks first. Bounded per run (task
 * count, time budget); every write is
 * conditional and every Step Functions call idempotent, so overlapping or repeated runs are safe.
 */
import { config } from '#config';
import { isPastDeadline } from '#domain/deadline';
import { problemObject } from '#domain/errors';
import { executionName } from '#domain/ids';
import { OPEN_SHARDS } from '#domain/open-index';
import { expressSweepAction, type SweepAction, sweepAction } from '#domain/sweep';
import { attemptOf, type TaskRecord } from '#domain/task';
import { logger } from '#observability/logger';
import { PEER_METRICS } from '#observability/metric-names';
import { MetricUnit, metrics } from '#observability/metrics';
import { compensateIfDue } from '#service/compensation';
import { expireTask } from '#service/deadlines';
import { describeExecution, isExpress, stopExecution } from '#service/executions';
import { reconcileExecution } from '#service/reconcile';
import { startTask } from '#service/start-task';
import { closeOpenTask, deferSweep, type OpenTask, queryDue } from '#store/open-tasks';
import { getTask, transition } from '#store/task-store';

const EXECUTION_LOST = problemObject('execution-lost', "The task's execution was lost while it ran; submit it again.");
/** An Express run that ended without recording: the answer a Standard execution's TIMED_OUT gets, with what is known. */
const EXPRESS_TIMED_OUT = {
  Error: 'States.Timeout',
  Cause: 'The Express execution did not record an outcome within its timeout (it timed out, crashed or was lost).',
};

export interface SweepReport {
  /** Tasks checked, by action taken. */
  actions: Record<SweepAction, number>;
  examined: number;
  errors: number;
  /** Age in seconds of the oldest open task found due (0 if none). */
  oldestOpenAgeSeconds: number;
  /** True if the run stopped early (task or time budget); the rest stay due for the next run. */
  truncated: boolean;
}

export async function sweepOpenTasks(options: { now: number; deadline: number }): Promise<SweepReport> {
  const { now } = options;
  const stopAt = options.deadline - config.sweepSafetyMs;
  const dueBefore = new Date(now - config.sweepAgeSeconds * 1000).toISOString();
  const report: SweepReport = {
    actions: { start: 0, lose: 0, record: 0, stop: 0, expire: 0, close: 0, defer: 0 },
    examined: 0,
    errors: 0,
    oldestOpenAgeSeconds: 0,
    truncated: false,
  };
  const outOfBudget = () => report.examined >= config.sweepMaxTasks || Date.now() >= stopAt;
  // Start at a different shard each run, so a run cut short does not always favour shard 0.
  const first = Math.floor(Math.random() * OPEN_SHARDS);
  // Pending tasks first, in every shard: their callers wait for a start that may never have happened.
  for (const pending of [true, false]) {
    for (let i = 0; i < OPEN_SHARDS && !report.truncated; i++) {
      const shard = (first + i) % OPEN_SHARDS;
      let startKey: Record<string, unknown> | undefined;
      do {
        if (outOfBudget()) {
          report.truncated = true;
          break;
        }
        const page = await queryDue(shard, dueBefore, config.sweepPageSize, startKey, pending);
        // Several at once: each is a DescribeExecution and a write or two.
        const queue = [...page.items];
        const worker = async (): Promise<void> => {
          for (let task = queue.shift(); task; task = queue.shift()) {
            if (outOfBudget()) {
              report.truncated = true;
              return;
            }
            report.examined++;
            report.oldestOpenAgeSeconds = Math.max(report.oldestOpenAgeSeconds, Math.round((now - Date.parse(task.createdAt)) / 1000));
            try {
              report.actions[await sweepOne(task)]++;
            } catch (error) {
              // Left as it is: still due, so the next run tries again.
              report.errors++;
              logger.error('Sweep of a task failed', { taskId: task.id, error: error as Error });
            }
          }
        };
        await Promise.all(Array.from({ length: config.sweepConcurrency }, worker));
        startKey = report.truncated ? undefined : page.next;
      } while (startKey);
    }
  }
  publish(report);
  return report;
}

async function sweepOne(open: OpenTask): Promise<SweepAction> {
  // The index carries neither the attempt nor the deadline: read the task (0.5 RRU).
  const task = await getTask(open.id);
  if (!task) return 'close';
  const attempt = attemptOf(task);
  const nowIso = new Date().toISOString();
  // The deadline's backstop: its schedule never fired (lost with a local stack's restart, say).
  if ((task.status === 'pending' || task.status === 'running') && isPastDeadline(task.deadline)) {
    await expireTask({ taskId: task.id, attempt });
    return 'expire';
  }
  // Express: no DescribeExecution, no StopExecution; a deadline stands in for the execution's status.
  if (isExpress(task)) return sweepExpress(task, attempt, nowIso);
  const execution = await describeExecution(task.id, attempt);
  const action = sweepAction(task.status, execution.state);
  switch (action) {
    case 'start':
      // Started exactly as submit would (its deadline's schedule first).
      await startTask(task);
      await deferSweep(task.id, 'pending', nowIso);
      break;
    case 'lose':
      await transition(task.id, 'failed', nowIso, { error: JSON.stringify(EXECUTION_LOST) }, { attempt, detail: 'execution-lost' });
      break;
    case 'record':
      await reconcileExecution({
        name: executionName(task.id, attempt),
        status: execution.state,
        output: execution.output,
        error: execution.error,
        cause: execution.cause,
        stopDate: execution.stopDate,
      });
      break;
    case 'stop':
      await stopExecution(task.id, attempt, task.status === 'cancelled' ? 'cancel' : 'deadline');
      await closeOpenTask(task.id);
      break;
    case 'close':
      await closeOpenTask(task.id);
      // The execution's end event never came: start the compensation it would have (never for a task that never ran).
      if (execution.state !== 'MISSING') await compensateIfDue(task, attempt);
      break;
    case 'defer':
      await deferSweep(task.id, task.status, nowIso);
      break;
  }
  logger.info('Open task swept', { taskId: task.id, taskStatus: task.status, executionStatus: execution.state, action });
  return action;
}

/**
 * An Express task: started again while pending (its start may not have happened), recorded as timed
 * out once running past the Express timeout (the run crashed, timed out or was lost: none can be
 * left), and a terminal one kept open (a cooperative cancel, a deadline) closed, with its
 * compensation, once no run can be left.
 */
async function sweepExpress(task: TaskRecord, attempt: number, nowIso: string): Promise<SweepAction> {
  const action = expressSweepAction(task, Date.parse(nowIso), config.expressTimeoutSeconds, config.expressGraceSeconds);
  switch (action) {
    case 'start':
      await startTask(task);
      await deferSweep(task.id, 'pending', nowIso);
      break;
    case 'lose':
      await transition(task.id, 'failed', nowIso, { error: JSON.stringify(EXPRESS_TIMED_OUT) }, { attempt, detail: 'timed-out' });
      break;
    case 'close':
      await closeOpenTask(task.id);
      await compensateIfDue(task, attempt);
      break;
    default:
      await deferSweep(task.id, task.status, nowIso);
  }
  logger.info('Open task swept', { taskId: task.id, taskStatus: task.status, workflow: 'express', action });
  return action;
}

/** EMF: the age of the oldest open task (the alarm's input), tasks checked and repairs by kind. */
function publish(report: SweepReport): void {
  metrics.addMetric(PEER_METRICS.oldestOpenTaskAge, MetricUnit.Seconds, report.oldestOpenAgeSeconds);
  metrics.addMetric(PEER_METRICS.openTasks, MetricUnit.Count, report.examined);
  metrics.addMetric('SweepErrors', MetricUnit.Count, report.errors);
  for (const action of ['start', 'lose', 'record', 'stop', 'expire'] as const) {
    metrics.addMetric(`Sweep${action[0]!.toUpperCase()}${action.slice(1)}`, MetricUnit.Count, report.actions[action]);
  }
  metrics.publishStoredMetrics();
}
