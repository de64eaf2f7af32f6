/**
 * Counts task lifecycle events as business metrics. Each count is flushed at once as its own EMF
 * record (`singleMetric`), so a handler that touches tasks of several types in one invocation
 * still dimensions each count right, and nothing depends on a publish at the end of the handler.
 *
 * Where outcomes are counted: RecordSuccess and RecordFailure are DynamoDB steps of the workflow,
 * with no code of ours to count in. Every execution end, however, emits one Step Functions status
 * event to the backstop (and the sweeper replays the same logic for an event that never came), so
 * outcomes are counted there, by the task's status after the event: one count per execution end.
 */
import { isTerminal, type TaskStatus } from '#domain/task';
import { TASK_METRICS, type TaskMetric } from '#observability/metric-names';
import { MetricUnit, metrics } from '#observability/metrics';
import type { WriteOutcome } from '#store/task-store';

export { TASK_METRICS };

const OUTCOME_METRIC: Partial<Record<TaskStatus, TaskMetric>> = {
  succeeded: TASK_METRICS.succeeded,
  failed: TASK_METRICS.failed,
  cancelled: TASK_METRICS.cancelled,
};

/**
 * One count of `name` for a task of `type`, in two dimension sets: `service` alone (what alarms
 * and the dashboard's totals read) and `service` + `type`. Never the owner or the task id.
 */
export function countTask(name: TaskMetric, type: string | undefined): void {
  const single = metrics.singleMetric();
  single.addDimension('type', type || 'unknown');
  // An empty dimension set is the default dimensions alone: `service`.
  single.addDimensions({});
  single.addMetric(name, MetricUnit.Count, 1);
}

/**
 * Counts what one execution status event did: RUNNING counts a start; an execution end counts the
 * task's outcome, and, when this write (not the workflow) recorded it, a reconciliation too.
 */
export function countExecutionEvent(executionStatus: string, outcome: WriteOutcome): void {
  const task = outcome.ok ? outcome.task : outcome.current;
  if (!task) return;
  if (executionStatus === 'RUNNING') {
    countTask(TASK_METRICS.started, task.type);
    return;
  }
  const metric = OUTCOME_METRIC[task.status];
  if (!metric || !isTerminal(task.status)) return;
  countTask(metric, task.type);
  if (outcome.ok) countTask(TASK_METRICS.reconciledByBackstop, task.type);
}
