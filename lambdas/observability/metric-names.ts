/**
 * The business metrics Longrun publishes (CloudWatch EMF, namespace `Longrun`), named once: the
 * Lambdas emit them and the monitoring construct alarms and graphs them, so the two cannot drift.
 * Every one carries the `service` dimension; task counts also a second dimension set with `type`.
 */
export const METRICS_NAMESPACE = 'Longrun';
/**
 * The default `service` dimension. The construct sets POWERTOOLS_SERVICE_NAME on every function to
 * its deployment name (the stack name by default) and its alarms read that same value.
 */
export const METRICS_SERVICE = 'longrun';

export const TASK_METRICS = {
  /** A new task was accepted (not an idempotent replay). */
  submitted: 'TaskSubmitted',
  /** Its execution reported RUNNING. */
  started: 'TaskStarted',
  /** Its execution ended and the task is `succeeded` / `failed` / `cancelled` (one per execution end). */
  succeeded: 'TaskSucceeded',
  failed: 'TaskFailed',
  cancelled: 'TaskCancelled',
  /** StartExecution failed at submit: the task was closed as failed (`start-failed`), the caller got 503. */
  startFailed: 'TaskStartFailed',
  /** StartExecution failed transiently at a submit without Idempotency-Key: the task stays pending for the sweeper, the caller got 202. */
  startDeferred: 'TaskStartDeferred',
  /** The backstop (status event or sweeper), not the workflow, recorded the task's terminal status. */
  reconciledByBackstop: 'TaskReconciledByBackstop',
} as const;

/** Published by other parts, alarmed on and graphed here. */
export const PEER_METRICS = {
  /** A webhook delivery succeeded (webhook delivery function). */
  webhookDelivered: 'WebhookDelivered',
  /** A webhook delivery was given up after its last retry (webhook delivery function). */
  webhookDeliveryFailed: 'WebhookDeliveryFailed',
  /** Age of the oldest task still pending or running, in seconds (sweeper; `service` dimension only). */
  oldestOpenTaskAge: 'OldestOpenTaskAgeSeconds',
  /** Open tasks the sweeper saw in its last run (sweeper; `service` dimension only). */
  openTasks: 'OpenTasks',
} as const;

/** A metric counted per task, with the `service` and `service` + `type` dimension sets (`countTask`). */
export type TaskMetric =
  | (typeof TASK_METRICS)[keyof typeof TASK_METRICS]
  | typeof PEER_METRICS.webhookDelivered
  | typeof PEER_METRICS.webhookDeliveryFailed;
