/**
 * What TaskMonitoring alarms on and where its alarms point: thresholds with their defaults, the
 * routes whose latency is alarmed, the runbook anchors (docs/operations.md).
 */
import { Duration } from 'aws-cdk-lib';

/** An API route, as the dashboard and the latency alarms address it. */
export interface MonitoredRoute {
  /** The HTTP method, e.g. `GET`. */
  readonly method: string;
  /** The resource path below the stage, e.g. `/tasks/{id}`. */
  readonly path: string;
}

/**
 * Alarm thresholds. The defaults are set so that a small deployment (a few requests a minute)
 * does not page by accident: rates need a minimum number of requests, counts tolerate a stray
 * error, and most alarms need 2 of 3 periods. The runbook (docs/operations.md) documents each one.
 */
export interface TaskAlarmThresholds {
  /** Share of requests answered 5xx, 0..1, over 5 min, 2 of 3 periods, with at least `minRequests`. @default 0.05 */
  readonly api5xxRate?: number;
  /** Requests in 5 min below which the 5xx rate is not evaluated. @default 20 */
  readonly minRequests?: number;
  /** p99 latency of the routes in `latencyAlarmRoutes`, 3 of 3 periods of 5 min. @default Duration.seconds(3) */
  readonly apiLatencyP99?: Duration;
  /** Lambda errors (crashes, timeouts) per function in 5 min above which it alarms. @default 2 */
  readonly functionErrors?: number;
  /**
   * Errors per worker function in 5 min (2 of 3 periods) above which it alarms. Higher than for our
   * functions: a worker may fail a task by throwing, which Lambda counts as an error. @default 10
   */
  readonly workerFunctionErrors?: number;
  /** Lambda throttles per function in 5 min above which it alarms. @default 5 */
  readonly functionThrottles?: number;
  /** Failed executions in 5 min (2 of 3 periods) above which it alarms; tasks failing is normal, a wave is not. @default 10 */
  readonly executionsFailed?: number;
  /** Timed-out executions in 5 min above which it alarms. @default 0 */
  readonly executionsTimedOut?: number;
  /** Throttled state transitions in 5 min above which it alarms. @default 10 */
  readonly executionsThrottled?: number;
  /** Throttled read or write events on the table in 5 min (2 of 3) above which it alarms. @default 10 */
  readonly tableThrottledEvents?: number;
  /** Requests blocked by the WAF in 5 min (2 of 3) above which it alarms. @default 100 */
  readonly wafBlockedRequests?: number;
  /** Age of the oldest open task above which it alarms. @default Duration.minutes(75) */
  readonly oldestOpenTaskAge?: Duration;
  /** Webhook deliveries given up in one hour above which it alarms. @default 5 */
  readonly webhookDeliveriesFailed?: number;
  /**
   * Age of the oldest message in the webhook queue above which it alarms. A waiting retry is re-sent
   * every 15 minutes at most, so an older message means deliveries are not being picked up. @default Duration.minutes(30)
   */
  readonly webhookQueueAge?: Duration;
  /** Webhook messages in flight (received, not yet deleted) above which it alarms: retries never wait in flight. @default 1000 */
  readonly webhookMessagesInFlight?: number;
  /**
   * Age of the oldest stream record a stream reader (webhooks, task events) has yet to take, 2 of
   * 3 periods of 5 min, above which it alarms: pushes are late, and records older than 24 h are
   * dropped to the failure queue. @default Duration.minutes(10)
   */
  readonly streamIteratorAge?: Duration;
}

export type Thresholds = Readonly<Required<TaskAlarmThresholds>>;

/** The defaults of `TaskAlarmThresholds`. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  api5xxRate: 0.05,
  minRequests: 20,
  apiLatencyP99: Duration.seconds(3),
  functionErrors: 2,
  workerFunctionErrors: 10,
  functionThrottles: 5,
  executionsFailed: 10,
  executionsTimedOut: 0,
  executionsThrottled: 10,
  tableThrottledEvents: 10,
  wafBlockedRequests: 100,
  oldestOpenTaskAge: Duration.minutes(75),
  webhookDeliveriesFailed: 5,
  webhookQueueAge: Duration.minutes(30),
  webhookMessagesInFlight: 1000,
  streamIteratorAge: Duration.minutes(10),
};

/**
 * Routes whose p99 latency is alarmed by default: those that never wait on purpose. GET on a task
 * and its result honour `Prefer: wait=N` (up to 25 s), so their p99 measures callers' patience.
 */
export const DEFAULT_LATENCY_ALARM_ROUTES: readonly MonitoredRoute[] = [
  { method: 'POST', path: '/tasks' },
  { method: 'GET', path: '/tasks' },
  { method: 'DELETE', path: '/tasks/{id}' },
];

/**
 * Who hears of alarms beyond the topics: e-mail addresses and a Slack channel. A subscription is
 * made on the topic whichever created it (the construct, or the team passing its own).
 */
export interface AlarmSubscriptions {
  /** Addresses told of critical alarms (each confirms once, from the mail SNS sends). @default - none */
  readonly criticalEmails?: string[];
  /** Addresses told of warning alarms. @default - none */
  readonly warningEmails?: string[];
  /**
   * A Slack channel told of both, through AWS Chatbot: the workspace must have been authorized once in
   * the Chatbot console (its id is shown there). The channel's role has no permissions and its
   * guardrail is CloudWatch read-only: the channel shows alarms, it cannot run commands. @default - none
   */
  readonly slack?: SlackChannel;
}

/** A Slack channel AWS Chatbot posts to. */
export interface SlackChannel {
  /** The Slack workspace id (`T…`), from the AWS Chatbot console once the workspace is authorized. */
  readonly workspaceId: string;
  /** The channel id (`C…`, in Slack: the channel's details). A private channel must invite the AWS Chatbot app (`/invite @aws`). */
  readonly channelId: string;
}

/** Runbook anchors, one per alarm kind: sections of the runbook (docs/operations.md). */
export const RUNBOOK_ANCHORS = {
  api5xx: 'alarm-api-5xx-rate',
  apiLatency: 'alarm-api-p99-latency',
  functionErrors: 'alarm-lambda-errors',
  functionThrottles: 'alarm-lambda-throttles',
  executionsFailed: 'alarm-executions-failed',
  executionsTimedOut: 'alarm-executions-timed-out',
  executionsThrottled: 'alarm-executions-throttled',
  tableThrottled: 'alarm-dynamodb-throttled-requests',
  wafBlocked: 'alarm-waf-blocked-requests',
  deadLetterQueue: 'alarm-dead-letter-queue-not-empty',
  oldestOpenTask: 'alarm-oldest-open-task',
  webhookFailed: 'alarm-webhook-deliveries-failed',
  webhookQueue: 'alarm-webhook-queue-backlog',
  streamIteratorAge: 'alarm-stream-iterator-age',
} as const;
