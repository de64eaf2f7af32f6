/**
 * Counts task lifecycle events as business metrics. Each count is flushed at once as its own EMF
 * record (`singleMetric`), so a handler that touches tasks of several types in one invocation
 * still dimensions each count right, and nothing depends on a publish at the end of the handler.
 */
import { TASK_METRICS, type TaskMetric } from '#service/metric-names';
import { MetricUnit, metrics } from '#service/metrics';

export { TASK_METRICS };

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
