/**
 * `@longrun/cdk`: long-running work behind an asynchronous HTTP API on AWS. `AsyncTaskApi` puts a
 * platform team's worker (any Step Functions chain) behind a REST API that answers `202 Accepted`,
 * with status, progress, results of any size, cancel, webhooks, task events, a live channel
 * (WebSocket) and alarms. Its Lambda
 * code is prebuilt into this package: a synth bundles nothing of Longrun's.
 *
 * The parts it composes (one construct per capability) are exported too, for teams that assemble
 * their own.
 *
 * @example
 * ```ts
 * import { AsyncTaskApi } from '@longrun/cdk';
 *
 * const api = new AsyncTaskApi(this, 'Reports', {
 *   worker: new tasks.LambdaInvoke(this, 'BuildReport', { lambdaFunction: reportFunction, payloadResponseOnly: true }),
 *   taskTypes: { report: { type: 'object', properties: { month: { type: 'string' } }, required: ['month'] } },
 * });
 * api.grantProgress(reportFunction);
 * ```
 *
 * @packageDocumentation
 */
export type { JsonSchema, TaskTypeSchemas } from '../lambdas/domain/task-types.ts';
export { AsyncTaskApi } from './async-task-api.ts';
export type {
  ApiAuth,
  ApiConsumer,
  AsyncTaskApiProps,
  HeldConnections,
  LiveUpdatesOptions,
  LogRetention,
  MonitoringOptions,
  ReservedConcurrency,
  Throttle,
} from './async-task-api-props.ts';
export type { AlarmSubscriptions, MonitoredRoute, SlackChannel, TaskAlarmThresholds } from './task-api/alarm-settings.ts';
export { AWAIT_INPUT_FUNCTION, type AwaitInputProps, awaitInput } from './task-api/await-input.ts';
export { ExecutionBackstop, type ExecutionBackstopProps, RECONCILE_FUNCTION } from './task-api/backstop.ts';
export { COMPENSATION_STATES, type CompensationOptions, TaskCompensation, type TaskCompensationProps } from './task-api/compensation.ts';
export { ApiDomain, type ApiDomainProps, type CustomDomainOptions } from './task-api/custom-domain.ts';
export { EXPIRE_FUNCTION, TaskDeadlines, type TaskDeadlinesProps } from './task-api/deadlines.ts';
export { ApiFirewall, type ApiFirewallProps } from './task-api/firewall.ts';
export { TaskHttpApi, type TaskHttpApiProps } from './task-api/http-api.ts';
export { TaskInsights, type TaskInsightsProps } from './task-api/insights.ts';
export { LiveUpdates, type LiveUpdatesProps, SUBSCRIBE_ROUTE } from './task-api/live.ts';
export { TaskMonitoring, type TaskMonitoringProps } from './task-api/monitoring.ts';
export { type PushPartProps, TaskEvents, type TaskEventsProps, WebhookDelivery, type WebhookDeliveryProps } from './task-api/push.ts';
export { ResultsBucket, type ResultsBucketProps } from './task-api/results-bucket.ts';
export { type GuardedAlias, type RolloutOptions, TaskRollout, type TaskRolloutProps, type WorkflowDeployment } from './task-api/rollout.ts';
export { SWEEPER_FUNCTION, TaskSweeper, type TaskSweeperProps } from './task-api/sweeper.ts';
export { TaskTable, type TaskTableProps } from './task-api/table.ts';
export { type ExpressWorkflow, SHELL_STATES, TaskWorkflow, type TaskWorkflowProps } from './task-api/workflow.ts';
