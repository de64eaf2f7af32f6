/**
 * The environment: the one place a Lambda reads it. Each setting is read and validated on first
 * use (in a handler's first invocation, its cold start) and kept for the container's life, so a
 * module can be imported before its environment is set (tests) and a bad value fails loudly, with
 * the variable's name, the first time it is needed.
 */
import { STAGE_NAME } from '#api/routes';
import { DEFAULT_WATCH_TOKEN_SECONDS } from '#domain/live';
import { EXPRESS_GRACE_SECONDS } from '#domain/sweep';
import { isTaskStatus, type TaskStatus } from '#domain/task';
import { parseRetryDelays } from '#domain/webhook';

function raw(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: string): string {
  const value = raw(name);
  if (value === undefined) throw new Error(`environment variable ${name} is required`);
  return value;
}

function positiveInt(name: string, fallback: number): number {
  const text = raw(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got ${text}`);
  return value;
}

function json<T>(name: string, fallback: T): T {
  const text = raw(name);
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`environment variable ${name} must be JSON`);
  }
}

function list(name: string): string[] {
  return (raw(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Web origins (`scheme://host[:port]`, nothing else: they go into a Content-Security-Policy). */
function origins(name: string, values: Array<string | undefined>): string[] {
  return values
    .filter((value): value is string => value !== undefined)
    .map((value) => {
      const origin = value.replace(/\/+$/, '');
      if (!/^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(origin))
        throw new Error(`environment variable ${name} must list web origins, got ${value}`);
      return origin;
    });
}

function matching(name: string, test: (value: string) => boolean, what: string): string {
  const value = required(name);
  if (!test(value)) throw new Error(`environment variable ${name} must be ${what}`);
  return value;
}

type Settings<T extends Record<string, () => unknown>> = { readonly [K in keyof T]: ReturnType<T[K]> };

/** An object whose properties are read by their reader on first access, then kept. */
function lazily<T extends Record<string, () => unknown>>(readers: T): Settings<T> {
  const settings = {} as Settings<T>;
  for (const [name, read] of Object.entries(readers)) {
    let value: unknown;
    let done = false;
    Object.defineProperty(settings, name, {
      enumerable: true,
      get: () => {
        if (!done) {
          value = read();
          done = true;
        }
        return value;
      },
    });
  }
  return Object.freeze(settings);
}

export const config = lazily({
  tableName: () => required('TABLE_NAME'),
  /** How long a terminal task stays readable. */
  retentionSeconds: () => positiveInt('TASK_RETENTION_SECONDS', 7 * 24 * 3600),
  /** The state machine's timeout: a task cannot stay non-terminal longer (bounds the row's TTL). */
  executionTimeoutSeconds: () => positiveInt('EXECUTION_TIMEOUT_SECONDS', 3600),
  idempotencyTtlSeconds: () => positiveInt('IDEMPOTENCY_TTL_SECONDS', 24 * 3600),
  /** Task types accepted on submit: `{ [type]: JSON Schema of its input }` (submit and OpenAPI functions). */
  taskTypes: () => json<Record<string, Record<string, unknown>>>('TASK_TYPES', {}),
  /** Local stack only (never set by the construct): callbacks to http://127.0.0.1 / localhost are accepted. */
  allowLoopbackCallbacks: () => process.env.ALLOW_LOOPBACK_CALLBACKS === '1',
  corsAllowOrigins: () => list('CORS_ALLOW_ORIGINS'),
  /**
   * Where the result route's presigned links point (the results bucket's origins, set by the construct; an S3
   * endpoint override, as on the local stack): the console may fetch from them, to follow a 303 to a stored result.
   */
  resultLinkOrigins: () => [
    ...origins('RESULT_LINK_ORIGINS', list('RESULT_LINK_ORIGINS')),
    ...origins('AWS_ENDPOINT_URL_S3', [raw('AWS_ENDPOINT_URL_S3')]),
  ],
  /** API key id -> consumer name: every key of a consumer is the same caller (the construct sets it from `consumers`). */
  apiKeyConsumers: () => json<Record<string, string>>('API_KEY_CONSUMERS', {}),
  stateMachineArn: () => matching('STATE_MACHINE_ARN', (v) => v.includes(':stateMachine:'), 'a state machine ARN'),
  /** The Express state machine of the short task types (`expressTaskTypes`), if the construct has one. */
  expressStateMachineArn: () => matching('EXPRESS_STATE_MACHINE_ARN', (v) => v.includes(':stateMachine:'), 'a state machine ARN'),
  /** Task types that run on the Express state machine (submit). */
  expressTaskTypes: () => list('EXPRESS_TASK_TYPES'),
  /** The Express state machine's timeout: the sweeper's deadline for an Express task (at most 300). */
  expressTimeoutSeconds: () => positiveInt('EXPRESS_TIMEOUT_SECONDS', 300),
  /** Slack beyond it before the sweeper records an unrecorded Express run as timed out (tests shorten it). */
  expressGraceSeconds: () => positiveInt('EXPRESS_GRACE_SECONDS', EXPRESS_GRACE_SECONDS),
  resultsBucket: () => matching('RESULTS_BUCKET_NAME', (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), 'an S3 bucket name'),
  webhookQueueUrl: () => required('WEBHOOK_QUEUE_URL'),
  webhookDeadLetterQueueUrl: () => required('WEBHOOK_DEAD_LETTER_QUEUE_URL'),
  /** Replaces the Standard Webhooks schedule (local stack and tests: `1,2,4`). */
  webhookRetryDelays: () => parseRetryDelays(raw('LONGRUN_WEBHOOK_RETRY_DELAYS')),
  eventBusName: () => required('EVENT_BUS_NAME'),
  eventSource: () => required('EVENT_SOURCE'),
  /** The API's base URL for pushed tasks (absolute, like the links the API hands out); the construct sets the stage URL. */
  apiBaseUrl: () => (raw('API_BASE_URL') ?? `/${STAGE_NAME}`).replace(/\/+$/, ''),
  /** The live channel's origin (`wss://host`, of `LIVE_URL` when set): the console may open its WebSocket there. */
  liveOrigins: () => {
    const value = raw('LIVE_URL');
    if (value === undefined) return [];
    const origin = /^wss?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?=\/|$)/.exec(value)?.[0];
    if (!origin) throw new Error(`environment variable LIVE_URL must be a ws:// or wss:// URL, got ${value}`);
    return [origin];
  },
  /** The WebSocket URL of the live channel (`wss://…/<stage>`), handed out with watch tokens. */
  liveUrl: () => matching('LIVE_URL', (v) => /^wss?:\/\//.test(v), 'a ws:// or wss:// URL'),
  /** The live channel's management endpoint (`https://…/<stage>`): where messages are posted to connections. */
  liveCallbackUrl: () => matching('LIVE_CALLBACK_URL', (v) => /^https?:\/\//.test(v), 'an http(s) URL'),
  /** Whether the events reader also feeds the live channel (the construct sets its callback URL only then). */
  liveEnabled: () => raw('LIVE_CALLBACK_URL') !== undefined,
  /** How long a watch token may open a connection. */
  watchTokenSeconds: () => positiveInt('WATCH_TOKEN_SECONDS', DEFAULT_WATCH_TOKEN_SECONDS),
  /** The sweeper checks an open task once it has waited this long since submit (or since its last check). */
  sweepAgeSeconds: () => positiveInt('SWEEP_AGE_SECONDS', 300),
  /** The sweeper's index page size. */
  sweepPageSize: () => positiveInt('SWEEP_PAGE_SIZE', 50),
  /** At most this many tasks per sweep; the rest wait for the next run (they stay due). */
  sweepMaxTasks: () => positiveInt('SWEEP_MAX_TASKS', 1000),
  /** Open tasks the sweeper checks at once. */
  sweepConcurrency: () => positiveInt('SWEEP_CONCURRENCY', 16),
  /** The sweeper stops starting new work this long before its invocation's deadline. */
  sweepSafetyMs: () => positiveInt('SWEEP_SAFETY_MS', 5_000),
  /** Deadlines (`Cancel-After`): the schedule group, the function the schedules invoke and the role they do it with (lib/task-api/deadlines.ts). */
  deadlineScheduleGroup: () => required('DEADLINE_SCHEDULE_GROUP'),
  deadlineFunctionArn: () => matching('DEADLINE_FUNCTION_ARN', (v) => v.startsWith('arn:'), 'a Lambda function ARN'),
  deadlineRoleArn: () => matching('DEADLINE_ROLE_ARN', (v) => v.startsWith('arn:'), 'an IAM role ARN'),
  /** The compensation state machine, if the construct has a compensation chain. */
  compensationStateMachineArn: () => raw('COMPENSATION_STATE_MACHINE_ARN'),
  /** Which endings are compensated: `cancelled`, and `failed` if configured. */
  compensateOn: (): TaskStatus[] => list('COMPENSATE_ON').filter(isTaskStatus),
  /** The key capability URLs of awaited input are derived with (a secret outside the table); absent: no `awaitingInput.url`. */
  inputCapabilityKey: () => raw('INPUT_CAPABILITY_KEY'),
  /** Held connections (event streams, long polls) one caller may have open at once. */
  heldPerCaller: () => positiveInt('HELD_CONNECTIONS_PER_CALLER', 10),
  /** Of a function serving plain and held requests, the instances held ones may take (unset: no budget, the function serves held ones only). */
  heldPerFunction: () => (raw('HELD_CONNECTIONS_PER_FUNCTION') === undefined ? undefined : positiveInt('HELD_CONNECTIONS_PER_FUNCTION', 1)),
  /** This function's name (set by the Lambda runtime): its budget of held connections is its own. */
  functionName: () => required('AWS_LAMBDA_FUNCTION_NAME'),
  jwtIssuer: () => required('JWT_ISSUER'),
  jwtAudience: () => required('JWT_AUDIENCE'),
  jwtJwksUri: () => raw('JWT_JWKS_URI'),
  /** The oldest token (by its `iat`) accepted, in seconds: a stolen token stops working after it whatever its `exp` says. */
  jwtMaxTokenAgeSeconds: () => positiveInt('JWT_MAX_TOKEN_AGE_SECONDS', 86_400),
  /** Accepted `typ` headers (compared without case and without an `application/` prefix); a token without `typ` is accepted. */
  jwtTokenTypes: () =>
    (raw('JWT_TOKEN_TYPES') ?? 'JWT,at+jwt').split(',').map((t) =>
      t
        .trim()
        .toLowerCase()
        .replace(/^application\//, ''),
    ),
  /** Clock skew tolerated on `exp`/`nbf`/`iat`: at most 60 s, or expired tokens would stay alive. */
  jwtClockToleranceSeconds: () => {
    const text = raw('JWT_CLOCK_TOLERANCE_SECONDS');
    const value = text === undefined ? 5 : Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 60) {
      throw new Error(`environment variable JWT_CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 60, got ${text}`);
    }
    return value;
  },
});
