/** The props of `AsyncTaskApi`, and their validation (precise messages, at synth time). */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { TaskTypeSchemas } from '../lambdas/domain/task-types.ts';

/** Lambda environment variables are limited to 4 KiB in total. */
const MAX_TASK_TYPES_BYTES = 3072;

/** A caller of the API: one API key and one usage plan. */
export interface ApiConsumer {
  /** A unique name (letters, digits, `-`, `_`), used in construct ids and descriptions. */
  readonly name: string;
  /** Steady-state requests per second. @default - the stage's `throttle.rateLimit` */
  readonly rateLimit?: number;
  /** Burst capacity. @default - the stage's `throttle.burstLimit` */
  readonly burstLimit?: number;
  /** Requests per day. @default - no quota */
  readonly quotaPerDay?: number;
}

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
  /** How long a finished task is kept (then `410 Gone`, later deleted by TTL). @default Duration.days(7) */
  readonly retention?: Duration;
  /** How long an `Idempotency-Key` is remembered. @default Duration.hours(24) */
  readonly idempotencyKeyTtl?: Duration;
  /** Removal policy of the task table. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Origins allowed by CORS (`*` allowed). @default - no CORS */
  readonly corsAllowOrigins?: string[];
  /** Stage-wide throttling. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * API consumers, one API key and usage plan each. An empty list creates none: the platform team
   * manages keys and usage plans outside the stack (methods still require a key; attach plans to
   * `api.deploymentStage`). @default [{ name: 'default' }]
   */
  readonly consumers?: ApiConsumer[];
  /** Retention of every log group the construct creates. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
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
  /** Publish task events (`detail-type` `task.<status>`) to this bus. @default - a new event bus */
  readonly eventBus?: events.IEventBus;
  /** The task events' `source`. @default 'longrun' */
  readonly eventSource?: string;
  /** Where the results bucket's S3 server access logs go. @default - none (cdk-nag finding acknowledged with the reason) */
  readonly resultsAccessLogsBucket?: s3.IBucket;
}

export type ApiAuth =
  | { readonly type: 'apiKey' }
  | {
      readonly type: 'jwt';
      /** Expected `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/<pool id>`. */
      readonly issuer: string;
      /** Expected `aud` (for Cognito ID tokens: the app client id). */
      readonly audience: string;
      /** @default `${issuer}/.well-known/jwks.json` */
      readonly jwksUri?: string;
    };


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
  }
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
    }
  }
}
