/** The props of `AsyncTaskApi`, and their validation (precise messages, at synth time). */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { TaskTypeSchemas } from '../lambdas/domain/task-types.ts';
import type { AlarmSubscriptions, TaskAlarmThresholds } from './task-api/alarm-settings.ts';
import type { CompensationOptions } from './task-api/compensation.ts';
import type { CustomDomainOptions } from './task-api/custom-domain.ts';
import { type RolloutOptions, validateWorkflowDeployment } from './task-api/rollout.ts';

/** Upper bounds of the JWT options: a revoked token must stop working within minutes, not hours. */
const JWT_MAX_CACHE_TTL_SECONDS = 300;
const JWT_MAX_CLOCK_TOLERANCE_SECONDS = 60;
const JWT_MAX_TOKEN_AGE_SECONDS = 30 * 86_400;

/** Lambda environment variables are limited to 4 KiB in total. */
const MAX_TASK_TYPES_BYTES = 3072;

/**
 * A caller of the API: one usage plan and one or more API keys. The caller is the consumer, not the
 * key: every key of a consumer sees the same tasks and webhook secret, so rotating a key loses nothing.
 */
export interface ApiConsumer {
  /** A unique name (letters, digits, `-`, `_`), used in construct ids, descriptions and as the tasks' owner. */
  readonly name: string;
  /**
   * Names of the consumer's API keys (letters, digits, `-`, `_`). To rotate: add a key, hand it
   * out, then remove the old one. `primary` keeps the construct id keys had before keys were named.
   * @default ['primary']
   */
  readonly keys?: string[];
  /**
   * Steady-state requests per second. The consumers' rates must add up to less than the stage's
   * `throttle.rateLimit`, so no consumer at its limit uses up the stage for the others.
   * @default - the stage's rate shared: `throttle.rateLimit / (consumers + 1)`
   */
  readonly rateLimit?: number;
  /** Burst capacity. @default - the stage's burst shared: `throttle.burstLimit / (consumers + 1)`, at least 1 */
  readonly burstLimit?: number;
  /** Requests per day. @default - no quota */
  readonly quotaPerDay?: number;
}

/** Request rate limits (API Gateway throttling). */
export interface Throttle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst capacity (requests). */
  readonly burstLimit: number;
}

/** The props of {@link AsyncTaskApi}: the worker and its task types; everything else has a default. */
export interface AsyncTaskApiProps {
  /**
   * The job, as a Step Functions chain. Execution input is `{ taskId, type, input }`; the output
   * of its last state is the task result. Every Task, Parallel and Map state at its top level gets
   * a Catch (`States.ALL`) that records the failure.
   */
  readonly worker: sfn.IChainable;
  /** The accepted task types and the JSON Schema of each one's `input`. Must not be empty. */
  readonly taskTypes: TaskTypeSchemas;
  /** Longest a task may run before its execution times out (at most 1 year). @default Duration.hours(1) */
  readonly executionTimeout?: Duration;
  /**
   * Task types known to finish within a few minutes, run on an Express state machine beside the
   * Standard one (the same worker and the same records; chosen at submit by type): a fraction of the
   * price for short tasks. Must be a subset of `taskTypes`. Express runs at least once and stops at
   * `expressTimeout`; cancel is cooperative (the task is `cancelled` at once, the worker learns it at its
   * next progress report) and the sweeper records a run that ended unrecorded as timed out
   * (docs/worker.md#express). Not with a worker that waits for input (Express has no task tokens).
   * @default - none: every task type runs on the Standard state machine
   */
  readonly expressTaskTypes?: string[];
  /** Longest an Express task type may run (at most 5 minutes, Express's limit). @default Duration.minutes(5) */
  readonly expressTimeout?: Duration;
  /** How long a finished task is kept (then `410 Gone`, later deleted by TTL). @default Duration.days(7) */
  readonly retention?: Duration;
  /** How long an `Idempotency-Key` is remembered; at most `executionTimeout` + `retention`, so that no key outlives its task. @default Duration.hours(24) */
  readonly idempotencyKeyTtl?: Duration;
  /** Removal policy of the task table and the results bucket. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the task table: neither a stack deletion nor a change that
   * would replace it can delete it until it is switched off (a deploy with `false`). @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A name for this deployment, unique in its account and region (letters, digits, `-`, `_`; at most
   * 64): the `service` dimension of its business metrics, the name of its WAF metrics, the prefix of
   * its alarms, dashboard, saved query and Contributor Insights rule. Two deployments in one account
   * never read each other's metrics. @default - the stack name
   */
  readonly deploymentName?: string;
  /**
   * Create the region's API Gateway account setting (`AWS::ApiGateway::Account`) with a role that may
   * write to CloudWatch Logs: a stage with access logging is refused ("CloudWatch Logs role ARN must
   * be set in account settings") until the account has one. The role and the setting outlive the
   * stack (other APIs in the account may rely on them). `false` when the account already has one
   * (set by another stack or in the console): see docs/deploy.md. @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * The API on a domain of your own (certificate given, optional base path and hosted zone): the
   * stack maps it, and every link the API pushes (webhooks, task events) uses it. @default - the execute-api URL only
   */
  readonly domain?: CustomDomainOptions;
  /**
   * A customer managed key for everything the construct stores: the table (and its stream), the
   * results bucket, every queue, every log group and the state machine's execution data. The
   * construct grants its roles and, for a key of the same app, adds what CloudWatch Logs and
   * EventBridge need to its policy (docs/deploy.md). @default - AWS managed or owned keys
   */
  readonly encryptionKey?: kms.IKey;
  /** What the state machine logs (`ALL`: every state transition, at a price). @default sfn.LogLevel.ERROR */
  readonly workflowLogLevel?: sfn.LogLevel;
  /**
   * Tags on every resource the construct creates (e.g. cost allocation tags: activate them in the
   * Billing console). @default - none
   */
  readonly tags?: Record<string, string>;
  /**
   * How a deploy reaches traffic: each function's `live` alias (CodeDeploy) and the state machine's
   * (Step Functions) move to the new version gradually, rolled back by the alarms; `false`: at once.
   * Tasks already running always keep the state machine version they started on.
   * @default - canary: 10 % for 5 minutes, then all (functions and state machine)
   */
  readonly rollout?: false | RolloutOptions;
  /** Origins allowed by CORS (`*` allowed). @default - no CORS */
  readonly corsAllowOrigins?: string[];
  /** Stage-wide throttling. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: Throttle;
  /**
   * API consumers, one API key and usage plan each. An empty list creates none: the platform team
   * manages keys and usage plans outside the stack (methods still require a key; attach plans to
   * `api.deploymentStage`). @default [{ name: 'default' }]
   */
  readonly consumers?: ApiConsumer[];
  /**
   * Retention of the log groups, one value for all or per kind. @default - functions, workflow and
   * execution logs: one month; the API access log (who called what): one year
   */
  readonly logRetention?: logs.RetentionDays | LogRetention;
  /**
   * Protect the stage with a regional WAF web ACL: AWS managed common and known-bad-inputs rules
   * (their 8 KB body rule only where no body is accepted), bodies over 256 KiB + margin refused with
   * 413, and a rate rule per caller (API key or bearer token; `throttle.rateLimit` × 300 requests
   * per 5 minutes) answering 429 with Retry-After (see lib/task-api/firewall.ts). @default true
   */
  readonly waf?: boolean;
  /**
   * How callers authenticate. `apiKey`: an API key per consumer (`x-api-key`), owner = key id.
   * `jwt`: a bearer token from any OIDC issuer (Cognito included), verified by a Lambda TOKEN
   * authorizer; owner = the token's `sub`; no API keys or usage plans are created.
   * @default { type: 'apiKey' }
   */
  readonly auth?: ApiAuth;
  /**
   * Lambda functions the worker runs (e.g. the one behind a LambdaInvoke state): each gets the
   * errors and throttles alarms, and its reserved concurrency is capped at `reservedConcurrency.worker`.
   * @default - none
   */
  readonly workerFunctions?: lambda.Function[];
  /**
   * Reserved concurrency, so that a burst of long workers cannot starve the API and the backstop
   * (and the API cannot starve the workers). `false` reserves nothing anywhere; `false` for one
   * key reserves nothing for that group. The defaults reserve 20 for each of the 15 route functions,
   * 30 more on each of the 4 that hold connections (`heldConnections`), 5 each for the reconciler,
   * the sweeper, the deadline function and the 2 stream readers, 10 for each of the live channel's 3
   * WebSocket route functions, and 100 per worker function = 675 in all with the demo worker's two
   * functions (695 with `auth: jwt`; docs/deploy.md#figures has the template's count): a standard
   * account (1,000) deploys; Lambda refuses any reservation that leaves fewer than 100 unreserved, so
   * an account whose quota is still low (new accounts may start at 10) needs `false` or a quota increase.
   * @default { api: 20, backstop: 5, worker: 100, streamReaders: 5, live: 10 }
   */
  readonly reservedConcurrency?: false | ReservedConcurrency;
  /**
   * Held connections (event streams, `Prefer: wait` long polls and live-channel connections) are capped per caller and kept
   * apart from plain requests, so that no number of them can make another caller's plain request
   * wait or fail (docs/security.md, "Sharing fairly").
   * @default { perCaller: 10, longPolls: 30, streams: 30 }
   */
  readonly heldConnections?: HeldConnections;
  /**
   * Webhook deliveries running at once, at most (the delivery event source's maximum concurrency,
   * 2–1000): receivers that accept a connection and never answer cannot take more than this.
   * @default 10
   */
  readonly webhookConcurrency?: number;
  /** Where critical alarms notify. @default - a topic the construct creates (`monitoring.alarmTopic`), encrypted, TLS only */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Alarms and one dashboard (lib/task-api/monitoring.ts); `false` creates neither.
   * @default - on, with the thresholds documented in the runbook (docs/operations.md)
   */
  readonly monitoring?: false | MonitoringOptions;
  /** How often the sweeper checks open tasks (1 minute to 1 hour). @default Duration.minutes(5) */
  readonly sweepInterval?: Duration;
  /**
   * How long an open task waits (since submit or its last check) before the sweeper asks Step
   * Functions about it; more than a submit can take (at least 1 minute). @default Duration.minutes(5)
   */
  readonly sweepAge?: Duration;
  /** Publish task events (`detail-type` `task.<status>`) to this bus. @default - a new event bus */
  readonly eventBus?: events.IEventBus;
  /** The task events' `source`. @default 'longrun' */
  readonly eventSource?: string;
  /**
   * The live channel: a WebSocket API to which a browser or dashboard connects with a short-lived
   * watch token (`POST /watch-tokens`, obtained with the API key) and follows a task, or every task
   * of its caller, as the table's stream changes them (lib/task-api/live.ts, docs/live.md). Its
   * connections count against `heldConnections.perCaller`. `false` builds neither the WebSocket API
   * nor the token route (clients then follow tasks with the event stream or by polling).
   * @default - on, watch tokens valid 5 minutes
   */
  readonly liveUpdates?: false | LiveUpdatesOptions;
  /** Where the results bucket's S3 server access logs go. @default - none (cdk-nag finding acknowledged with the reason) */
  readonly resultsAccessLogsBucket?: s3.IBucket;
  /**
   * Roll back what a task changed: a chain run once, in its own execution, after an attempt ends
   * `cancelled` (and `failed`, with `onFailure`); the task then carries `compensation`.
   * @default - none
   */
  readonly compensation?: CompensationOptions;
  /**
   * Keep the 0.2.0 owner index (`byOwner`) for the one deploy that upgrades a 0.2.0 stack (then
   * remove this prop and deploy again): CloudFormation creates or deletes one index per update. See
   * CHANGELOG.md, "From 0.2.0 to 0.3.0". @default false
   */
  readonly legacyOwnerIndex?: boolean;
}

/** Retention per kind of log group. */
export interface LogRetention {
  /** Every function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly functions?: logs.RetentionDays;
  /** The state machine's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly workflow?: logs.RetentionDays;
  /** The API access log: one line per request, the audit trail of who called what. @default logs.RetentionDays.ONE_YEAR */
  readonly accessLogs?: logs.RetentionDays;
  /** The API execution log: the gateway's own errors (authorizer, integration). @default logs.RetentionDays.ONE_MONTH */
  readonly executionLogs?: logs.RetentionDays;
}

/** `logRetention` per kind, defaults applied. */
export function logRetentionOf(setting: logs.RetentionDays | LogRetention | undefined): Required<LogRetention> {
  if (typeof setting === 'number') return { functions: setting, workflow: setting, accessLogs: setting, executionLogs: setting };
  return {
    functions: setting?.functions ?? logs.RetentionDays.ONE_MONTH,
    workflow: setting?.workflow ?? logs.RetentionDays.ONE_MONTH,
    accessLogs: setting?.accessLogs ?? logs.RetentionDays.ONE_YEAR,
    executionLogs: setting?.executionLogs ?? logs.RetentionDays.ONE_MONTH,
  };
}

/** Options of the live channel (see {@link AsyncTaskApiProps.liveUpdates}). */
export interface LiveUpdatesOptions {
  /** How long a watch token may open a connection (10 seconds to 1 hour); a connection it opened lives on (API Gateway: up to 2 hours). @default Duration.minutes(5) */
  readonly tokenLifetime?: Duration;
}

/** Reserved concurrent executions per function of each group; `false`: no reservation. */
export interface ReservedConcurrency {
  /** Each route function (and the JWT authorizer): its guaranteed share and its ceiling. @default 20 */
  readonly api?: number | false;
  /** Each backstop function (the status-event reconciler, the sweeper, the deadline expirer). @default 5 */
  readonly backstop?: number | false;
  /** Each function of `workerFunctions`: a cap on concurrent worker invocations. @default 100 */
  readonly worker?: number | false;
  /** Each function of the live channel's WebSocket routes (`$connect`, `subscribe`, `$disconnect`). @default 10 */
  readonly live?: number | false;
  /**
   * Each reader of the table's stream (the webhook forwarder, the event publisher, which also feeds the live channel): a stream reader
   * runs one invocation per shard at a time, so a few are enough, and the reservation keeps a burst of
   * other functions from throttling them into a growing iterator age. @default 5
   */
  readonly streamReaders?: number | false;
}

/** Caps on held connections (see {@link AsyncTaskApiProps.heldConnections}). */
export interface HeldConnections {
  /** Event streams, long polls and live connections one caller may hold open at once; past it a stream answers `429`, a long poll answers at once and a live connection is refused (`429`). @default 10 */
  readonly perCaller?: number;
  /**
   * Long polls each of `get-task` and `get-task-result` serves at once, on top of its `api`
   * reservation (which stays for plain requests): its reservation is `api + longPolls`. Past it a
   * long poll answers at once, as a plain request.
   * @default 30
   */
  readonly longPolls?: number;
  /** Event streams open at once (all callers): the reservation of the `task-events` function, which serves nothing else. @default 30 */
  readonly streams?: number;
}

const DEFAULT_HELD_CONNECTIONS: Required<HeldConnections> = { perCaller: 10, longPolls: 30, streams: 30 };

/** `held` with its defaults filled in. */
export function heldConnectionsOf(held: HeldConnections | undefined): Required<HeldConnections> {
  return {
    perCaller: held?.perCaller ?? DEFAULT_HELD_CONNECTIONS.perCaller,
    longPolls: held?.longPolls ?? DEFAULT_HELD_CONNECTIONS.longPolls,
    streams: held?.streams ?? DEFAULT_HELD_CONNECTIONS.streams,
  };
}

export const DEFAULT_RESERVED_CONCURRENCY: Required<{ [K in keyof ReservedConcurrency]: number }> = {
  api: 20,
  backstop: 5,
  worker: 100,
  streamReaders: 5,
  live: 10,
};

/** How the construct watches itself (alarms, dashboard). */
export interface MonitoringOptions {
  /** Alarm thresholds. @default - lib/task-api/monitoring.ts DEFAULT_THRESHOLDS; the oldest open task: executionTimeout + 15 min */
  readonly thresholds?: TaskAlarmThresholds;
  /**
   * The runbook the alarm descriptions link to (section anchors appended): an absolute URL, since
   * alarms are read in a mail, a page or a chat, e.g. where your team publishes docs/operations.md.
   * @default 'docs/operations.md' (relative: set it for any deployment someone is paged for)
   */
  readonly runbookUrl?: string;
  /** Where warning alarms notify. @default - `alarmTopic` when given, else a second topic the construct creates */
  readonly warningTopic?: sns.ITopic;
  /** Where an alarm's return to OK notifies; `false`: nowhere. @default - the topic the alarm went to */
  readonly okTopic?: sns.ITopic | false;
  /** E-mail addresses (critical, warning) and a Slack channel (AWS Chatbot) subscribed to the topics. @default - none */
  readonly subscriptions?: AlarmSubscriptions;
}

/**
 * How callers authenticate: an API key per consumer (`x-api-key`), or a bearer JWT from any OIDC
 * issuer verified by a Lambda TOKEN authorizer.
 */
export type ApiAuth =
  | {
      /** API keys and usage plans, one per consumer. */
      readonly type: 'apiKey';
    }
  | {
      /** Bearer JWTs; the task owner is the token's `sub`. */
      readonly type: 'jwt';
      /** Expected `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/<pool id>`. */
      readonly issuer: string;
      /** Expected `aud` (for Cognito ID tokens: the app client id). */
      readonly audience: string;
      /** @default `${issuer}/.well-known/jwks.json` */
      readonly jwksUri?: string;
      /**
       * How long API Gateway caches the authorizer's decision per token (0 to 300 s). A token
       * rejected by the issuer (revoked, its key removed from the JWKS) keeps working at most this
       * long after it was last verified, and at most this long past its `exp`. @default Duration.seconds(60)
       */
      readonly cacheTtl?: Duration;
      /** Clock skew tolerated on `exp`/`nbf`/`iat` (0 to 60 s). @default Duration.seconds(5) */
      readonly clockTolerance?: Duration;
      /**
       * The oldest token accepted, by its `iat` (which becomes required): a leaked token stops
       * working after this whatever its `exp` says. @default Duration.hours(24)
       */
      readonly maxTokenAge?: Duration;
      /**
       * Accepted values of the token's `typ` header (without case, `application/` optional); a token
       * without `typ` is accepted, as many issuers send none. @default ['JWT', 'at+jwt']
       */
      readonly tokenTypes?: string[];
    };

/** The stage throttling when none is given. */
export const DEFAULT_THROTTLE: Throttle = { rateLimit: 50, burstLimit: 100 };

/** Each consumer's rate and burst: its own, or the stage's shared among the consumers with one share spare. */
export function consumerLimits(consumers: readonly ApiConsumer[], stage: Throttle): Array<{ rateLimit: number; burstLimit: number }> {
  const shares = consumers.length + 1;
  return consumers.map((c) => ({
    rateLimit: c.rateLimit ?? Math.floor((stage.rateLimit / shares) * 100) / 100,
    burstLimit: c.burstLimit ?? Math.max(1, Math.floor(stage.burstLimit / shares)),
  }));
}

export function validateProps(props: AsyncTaskApiProps): void {
  const where = 'AsyncTaskApi';
  const types = Object.keys(props.taskTypes ?? {});
  if (types.length === 0) {
    throw new Error(`${where}: taskTypes must declare at least one task type (got an empty object).`);
  }
  const taskTypesBytes = Buffer.byteLength(JSON.stringify(props.taskTypes));
  if (taskTypesBytes > MAX_TASK_TYPES_BYTES) {
    throw new Error(
      `${where}: taskTypes is ${taskTypesBytes} bytes as JSON; it is passed in the TASK_TYPES environment variable and must stay under ${MAX_TASK_TYPES_BYTES} bytes (Lambda allows 4 KiB of environment in total).`,
    );
  }
  const positive = (name: string, d: Duration | undefined, max?: Duration): void => {
    if (d === undefined || d.isUnresolved()) return;
    if (d.toSeconds() <= 0) throw new Error(`${where}: ${name} must be positive (got ${d.toHumanString()}).`);
    if (max && d.toSeconds() > max.toSeconds()) {
      throw new Error(`${where}: ${name} must be at most ${max.toHumanString()} (got ${d.toHumanString()}).`);
    }
  };
  positive('executionTimeout', props.executionTimeout, Duration.days(365));
  positive('retention', props.retention);
  positive('idempotencyKeyTtl', props.idempotencyKeyTtl);
  // A key must not outlive its task: a replay would find the claim and no task to answer with.
  const keyTtl = props.idempotencyKeyTtl ?? Duration.hours(24);
  const taskLifetime = (props.executionTimeout ?? Duration.hours(1)).plus(props.retention ?? Duration.days(7));
  if (![keyTtl, taskLifetime].some((d) => d.isUnresolved()) && keyTtl.toSeconds() > taskLifetime.toSeconds()) {
    throw new Error(
      `${where}: idempotencyKeyTtl (${keyTtl.toHumanString()}) must not exceed executionTimeout + retention (${taskLifetime.toHumanString()}): a key would outlive the task it names.`,
    );
  }
  positive('expressTimeout', props.expressTimeout, Duration.minutes(5));
  if (props.expressTimeout && !props.expressTaskTypes?.length) {
    throw new Error(`${where}: expressTimeout applies to expressTaskTypes only; list the task types that run on Express.`);
  }
  if (props.expressTaskTypes) {
    if (props.expressTaskTypes.length === 0)
      throw new Error(`${where}: expressTaskTypes must list at least one task type; omit it to run every type on Standard.`);
    const unknown = props.expressTaskTypes.filter((type) => !types.includes(type));
    if (unknown.length > 0) {
      throw new Error(
        `${where}: expressTaskTypes must be a subset of taskTypes; not in taskTypes: ${unknown.map((t) => `'${t}'`).join(', ')} (task types: ${types.join(', ')}).`,
      );
    }
  }
  positive('sweepInterval', props.sweepInterval, Duration.hours(1));
  positive('sweepAge', props.sweepAge, Duration.days(1));
  positive('compensation.timeout', props.compensation?.timeout, Duration.days(365));
  if (props.sweepInterval && !props.sweepInterval.isUnresolved() && props.sweepInterval.toSeconds() < 60) {
    throw new Error(
      `${where}: sweepInterval must be at least 1 minute, the finest EventBridge schedule (got ${props.sweepInterval.toHumanString()}).`,
    );
  }
  // A younger task may still be inside its submit, between the write and StartExecution.
  if (props.sweepAge && !props.sweepAge.isUnresolved() && props.sweepAge.toSeconds() < 60) {
    throw new Error(`${where}: sweepAge must be at least 1 minute, longer than any submit can take (got ${props.sweepAge.toHumanString()}).`);
  }
  if (props.throttle) {
    const { rateLimit, burstLimit } = props.throttle;
    if (!(rateLimit > 0)) throw new Error(`${where}: throttle.rateLimit must be > 0 (got ${rateLimit}).`);
    if (!Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new Error(`${where}: throttle.burstLimit must be a positive integer (got ${burstLimit}).`);
    }
  }
  if (props.corsAllowOrigins) {
    if (props.corsAllowOrigins.length === 0) {
      throw new Error(`${where}: corsAllowOrigins must list at least one origin; omit it to disable CORS.`);
    }
    const bad = props.corsAllowOrigins.find((o) => o !== '*' && !/^https?:\/\/[^/\s,]+$/.test(o));
    if (bad !== undefined) {
      throw new Error(`${where}: corsAllowOrigins entry '${bad}' is not '*' or an origin like 'https://example.com' (no path, no trailing slash).`);
    }
  }
  if (props.auth?.type === 'jwt') {
    for (const name of ['issuer', 'audience'] as const) {
      if (!props.auth[name]) throw new Error(`${where}: auth.${name} is required with auth type 'jwt'.`);
    }
    if (props.consumers) throw new Error(`${where}: consumers (API keys and usage plans) apply only with auth type 'apiKey'.`);
    const within = (name: string, d: Duration | undefined, max: number): void => {
      if (d === undefined || d.isUnresolved()) return;
      const seconds = d.toSeconds({ integral: false });
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > max) {
        throw new Error(`${where}: auth.${name} must be a whole number of seconds from 0 to ${max} (got ${d.toHumanString()}).`);
      }
    };
    within('cacheTtl', props.auth.cacheTtl, JWT_MAX_CACHE_TTL_SECONDS);
    within('clockTolerance', props.auth.clockTolerance, JWT_MAX_CLOCK_TOLERANCE_SECONDS);
    within('maxTokenAge', props.auth.maxTokenAge, JWT_MAX_TOKEN_AGE_SECONDS);
    if (props.auth.maxTokenAge?.toSeconds() === 0) throw new Error(`${where}: auth.maxTokenAge must be at least 1 second.`);
    if (props.auth.tokenTypes && (props.auth.tokenTypes.length === 0 || props.auth.tokenTypes.some((t) => !/^[A-Za-z0-9!#$&^_.+/-]+$/.test(t)))) {
      throw new Error(`${where}: auth.tokenTypes must list at least one media type such as 'at+jwt' (got ${JSON.stringify(props.auth.tokenTypes)}).`);
    }
  }
  if (props.reservedConcurrency) {
    for (const [group, n] of Object.entries(props.reservedConcurrency)) {
      if (n !== false && n !== undefined && (!Number.isInteger(n) || n < 1)) {
        throw new Error(`${where}: reservedConcurrency.${group} must be a positive integer or false (got ${n}).`);
      }
    }
  }
  if (
    props.webhookConcurrency !== undefined &&
    (!Number.isInteger(props.webhookConcurrency) || props.webhookConcurrency < 2 || props.webhookConcurrency > 1000)
  ) {
    throw new Error(`${where}: webhookConcurrency must be a whole number from 2 to 1000 (got ${props.webhookConcurrency}).`);
  }
  if (props.liveUpdates) {
    const lifetime = props.liveUpdates.tokenLifetime;
    if (lifetime && !lifetime.isUnresolved() && (lifetime.toSeconds() < 10 || lifetime.toSeconds() > 3600)) {
      throw new Error(`${where}: liveUpdates.tokenLifetime must be from 10 seconds to 1 hour (got ${lifetime.toHumanString()}).`);
    }
  }
  if (props.heldConnections) {
    for (const [name, n] of Object.entries(props.heldConnections)) {
      if (n !== undefined && (!Number.isInteger(n) || n < 1))
        throw new Error(`${where}: heldConnections.${name} must be a positive integer (got ${n}).`);
    }
  }
  validateDeployment(where, props);
  if (props.consumers) {
    const seen = new Set<string>();
    for (const c of props.consumers) {
      if (!/^[A-Za-z0-9_-]+$/.test(c.name)) {
        throw new Error(`${where}: consumer name '${c.name}' must use only letters, digits, '-' and '_'.`);
      }
      const key = c.name.toLowerCase();
      if (seen.has(key)) throw new Error(`${where}: consumer name '${c.name}' is used twice.`);
      seen.add(key);
      if (c.quotaPerDay !== undefined && (!Number.isInteger(c.quotaPerDay) || c.quotaPerDay < 1)) {
        throw new Error(`${where}: consumer '${c.name}' quotaPerDay must be a positive integer (got ${c.quotaPerDay}).`);
      }
      const keys = c.keys ?? ['primary'];
      if (keys.length === 0) throw new Error(`${where}: consumer '${c.name}' must have at least one key.`);
      const bad = keys.find((k) => !/^[A-Za-z0-9_-]+$/.test(k));
      if (bad !== undefined) throw new Error(`${where}: consumer '${c.name}' key name '${bad}' must use only letters, digits, '-' and '_'.`);
      if (new Set(keys.map((k) => k.toLowerCase())).size !== keys.length) throw new Error(`${where}: consumer '${c.name}' names a key twice.`);
    }
    const stage = props.throttle ?? DEFAULT_THROTTLE;
    const limits = consumerLimits(props.consumers, stage);
    const rate = limits.reduce((sum, l) => sum + l.rateLimit, 0);
    if (limits.length > 0 && !(rate < stage.rateLimit)) {
      throw new Error(
        `${where}: the consumers' rateLimits add up to ${rate} requests/s, not less than the stage's throttle.rateLimit (${stage.rateLimit}): one consumer at its limit would use up the stage for the others. Lower them or raise throttle.rateLimit.`,
      );
    }
  }
}

const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DOMAIN_NAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const BASE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The props of deploying (names, domain, tags, alarms' reach, rollout), checked with precise messages. */
function validateDeployment(where: string, props: AsyncTaskApiProps): void {
  if (props.deploymentName !== undefined && !DEPLOYMENT_NAME.test(props.deploymentName)) {
    throw new Error(`${where}: deploymentName '${props.deploymentName}' must be 1-64 letters, digits, '-' or '_', starting with a letter or digit.`);
  }
  if (props.domain) {
    const { domainName, basePath } = props.domain;
    if (!DOMAIN_NAME.test(domainName))
      throw new Error(`${where}: domain.domainName '${domainName}' is not a lower-case domain name like 'api.example.com'.`);
    if (basePath !== undefined && !BASE_PATH.test(basePath)) {
      throw new Error(
        `${where}: domain.basePath '${basePath}' must be path segments of letters, digits, '.', '_' or '-', joined by '/', with no leading or trailing '/'.`,
      );
    }
  }
  for (const [key, value] of Object.entries(props.tags ?? {})) {
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key) || key.toLowerCase().startsWith('aws:')) {
      throw new Error(`${where}: tag key '${key}' must be 1-128 letters, digits, spaces or _.:/=+-@, and not start with 'aws:'.`);
    }
    if (value.length > 256 || !TAG_TEXT.test(value))
      throw new Error(`${where}: tag '${key}' has a value that is not 0-256 letters, digits, spaces or _.:/=+-@.`);
  }
  const monitoring = props.monitoring === false ? undefined : props.monitoring;
  if (monitoring?.runbookUrl !== undefined && !/^https?:\/\/[^\s#]+$/.test(monitoring.runbookUrl)) {
    throw new Error(
      `${where}: monitoring.runbookUrl must be an absolute http(s) URL without a fragment (alarms are read in a mail or a page), got '${monitoring.runbookUrl}'.`,
    );
  }
  const subscriptions = monitoring?.subscriptions;
  for (const email of [...(subscriptions?.criticalEmails ?? []), ...(subscriptions?.warningEmails ?? [])]) {
    if (!EMAIL.test(email)) throw new Error(`${where}: monitoring.subscriptions has '${email}', which is not an e-mail address.`);
  }
  if (subscriptions?.slack) {
    for (const name of ['workspaceId', 'channelId'] as const) {
      if (!/^[A-Z0-9]{1,255}$/.test(subscriptions.slack[name])) {
        throw new Error(
          `${where}: monitoring.subscriptions.slack.${name} must be the Slack id (upper-case letters and digits), got '${subscriptions.slack[name]}'.`,
        );
      }
    }
  }
  if (props.rollout) validateWorkflowDeployment(where, props.rollout.workflow);
}
