/**
 * Domain errors. Each kind carries the HTTP status, a stable problem `type` URI and a title, so
 * the one error middleware can turn any of them into RFC 9457 problem details.
 */
export const PROBLEM_BASE = 'https://longrun.dev/problems/';

/** Problem kinds, with the status each is sent with: listed in docs/api.md and in the OpenAPI document. */
export const PROBLEM_KINDS = {
  'malformed-json': { status: 400, title: 'Malformed JSON', when: 'The body is empty or not valid JSON.' },
  'validation-error': {
    status: 400,
    title: 'Invalid request',
    when: 'The body breaks the schema of its task type, or names an unknown type; `errors` lists each field by JSON pointer.',
  },
  'invalid-parameter': {
    status: 400,
    title: 'Invalid parameter',
    when: 'A query parameter or header (`limit`, `status`, a list filter, `purge`, `Idempotency-Key`, `Cancel-After`) is malformed; `errors` names it.',
  },
  'invalid-cursor': { status: 400, title: 'Invalid cursor', when: 'The cursor was not issued by this API for this listing.' },
  'bad-request': { status: 400, title: 'Bad Request', when: 'API Gateway refused the request before it reached the API.' },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    when: 'The API key or token (or, on the live channel, the watch token) is missing or not accepted.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    when: 'The caller may not do this (a watch token for another task, or the web application firewall refused the request).',
  },
  'not-found': { status: 404, title: 'Not Found', when: "No such route, or no such task for this caller (another caller's task answers the same)." },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed', when: 'The route exists but not with this method; `Allow` lists the methods.' },
  'task-not-succeeded': {
    status: 409,
    title: 'Result not available',
    when: 'The result of a task that has not succeeded; `taskStatus` states its status.',
  },
  'task-already-finished': { status: 409, title: 'Task already finished', when: 'Cancelling a task that already succeeded or failed.' },
  'task-not-retryable': {
    status: 409,
    title: 'Task cannot be retried',
    when: 'Retrying a task that is pending, running or succeeded (only failed and cancelled tasks are retried); `taskStatus` states its status.',
  },
  'retry-limit-reached': { status: 409, title: 'Retry limit reached', when: 'Retrying a task that has had its last attempt (20).' },
  'no-input-awaited': { status: 409, title: 'No input awaited', when: 'Sending input to a task that is not waiting for input (or no longer).' },
  gone: { status: 410, title: 'Gone', when: 'The task has passed its retention period, or was purged.' },
  'payload-too-large': { status: 413, title: 'Payload Too Large', when: 'The body exceeds 256 KiB.' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type', when: 'The body is not application/json.' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused', when: 'The Idempotency-Key was used before with a different body.' },
  'too-many-requests': { status: 429, title: 'Too Many Requests', when: 'The caller exceeded its rate limit; retry after `Retry-After`.' },
  'quota-exceeded': { status: 429, title: 'Quota Exceeded', when: "The caller used up its usage plan's quota for the period." },
  'internal-error': { status: 500, title: 'Internal Server Error', when: 'A bug; never expected.' },
  'task-failed': { status: 500, title: 'Task failed', when: "In a task's `error`: its worker failed; `detail` carries the worker's message." },
  'task-cancelled': { status: 409, title: 'Task cancelled', when: "In a task's `error`: it was cancelled." },
  'result-too-large': {
    status: 500,
    title: 'Result too large',
    when: "In a task's `error`: the worker returned a result larger than the workflow (256 KB) or the task record (400 KB) can carry; it should store it with `storeLargeResult`.",
  },
  'deadline-exceeded': {
    status: 504,
    title: 'Deadline exceeded',
    when: "In a task's `error`: it was not finished by its `deadline` (`Cancel-After`); a pending one never started, a running one was stopped.",
  },
  'start-failed': { status: 503, title: 'Task could not be started', when: "In a task's `error`: its execution could not be started; submit again." },
  'execution-lost': {
    status: 503,
    title: 'Task execution lost',
    when: "In a task's `error`: its execution disappeared while it ran (e.g. the local stack was killed); submit it again.",
  },
  'service-unavailable': {
    status: 503,
    title: 'Service Unavailable',
    when: 'A dependency is briefly unavailable, or the function behind the route was at capacity or failed; retry after `Retry-After`.',
  },
  'gateway-timeout': { status: 504, title: 'Gateway Timeout', when: 'The function behind the route did not answer in time; never expected.' },
} as const satisfies Record<string, { status: number; title: string; when: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export interface FieldError {
  /** JSON pointer into the request body, e.g. `/input/upTo`. */
  pointer: string;
  detail: string;
}

export class ProblemError extends Error {
  readonly type: string;
  readonly status: number;
  readonly title: string;
  constructor(
    kind: ProblemKind,
    readonly detail: string,
    /** Extra members of the problem object (RFC 9457 extensions). */
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that belong with this problem (`Retry-After`, `Allow`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.type = PROBLEM_BASE + kind;
    this.status = PROBLEM_KINDS[kind].status;
    this.title = PROBLEM_KINDS[kind].title;
  }
}

export const problems = {
  malformedJson: (detail: string) => new ProblemError('malformed-json', detail),
  validation: (errors: FieldError[]) =>
    new ProblemError('validation-error', errors.map((e) => `${e.pointer || '/'}: ${e.detail}`).join('; '), { errors }),
  invalidParameter: (name: string, detail: string) =>
    new ProblemError('invalid-parameter', `${name}: ${detail}`, {
      errors: [{ pointer: name, detail }],
    }),
  invalidCursor: () => new ProblemError('invalid-cursor', 'cursor is not one this API issued; start again without it'),
  unauthenticated: () => new ProblemError('unauthorized', 'This request carries no caller identity.'),
  notFound: (what = 'task') => new ProblemError('not-found', `No such ${what}.`),
  gone: () => new ProblemError('gone', 'This task has passed its retention period and is no longer available.'),
  purged: () => new ProblemError('gone', 'This task was purged: its data is erased.'),
  taskNotRetryable: (status: string) =>
    new ProblemError('task-not-retryable', `The task is ${status}; only a failed or cancelled task can be retried.`, { taskStatus: status }),
  retryLimitReached: (attempts: number) =>
    new ProblemError('retry-limit-reached', `The task has had ${attempts} attempts, the most a task may have.`),
  noInputAwaited: () => new ProblemError('no-input-awaited', 'The task is not waiting for input.'),
  /** `error`: the task's own problem (why it failed or was cancelled), carried as an extension member. */
  taskNotSucceeded: (status: string, retryAfter?: number, error?: Record<string, unknown>) =>
    new ProblemError(
      'task-not-succeeded',
      `The task is ${status}; a result exists only once it has succeeded.`,
      { taskStatus: status, ...(error && { error }) },
      retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    ),
  taskAlreadyFinished: (status: string) =>
    new ProblemError('task-already-finished', `The task has already ${status}; it can no longer be cancelled.`, {
      taskStatus: status,
    }),
  idempotencyKeyReused: () => new ProblemError('idempotency-key-reused', 'This Idempotency-Key was already used with a different request body.'),
  payloadTooLarge: (limit: number) => new ProblemError('payload-too-large', `The request body exceeds ${limit} bytes.`),
  unsupportedMediaType: () =>
    new ProblemError(
      'unsupported-media-type',
      'Send the request body as application/json.',
      {},
      {
        'Accept-Post': 'application/json',
      },
    ),
  unavailable: (retryAfter = 1) =>
    new ProblemError(
      'service-unavailable',
      'The service is briefly unable to handle this request; retry later.',
      {},
      {
        'Retry-After': String(retryAfter),
      },
    ),
  /** A caller past its cap of held connections (event streams, long polls). */
  tooManyHeldConnections: (perCaller: number, retryAfter: number) =>
    new ProblemError(
      'too-many-requests',
      `This caller already holds ${perCaller} open connections (event streams, long polls and live connections); close one or retry later.`,
      { limit: perCaller },
      { 'Retry-After': String(retryAfter) },
    ),
  internal: () => new ProblemError('internal-error', 'An unexpected error occurred.'),
  /** A live-channel connection without a usable watch token. */
  watchTokenRefused: () => new ProblemError('unauthorized', 'The watch token is missing, unknown or expired; get a new one with POST /watch-tokens.'),
  /** A subscription outside the watch token's scope. */
  otherTask: () => new ProblemError('forbidden', 'This watch token is for another task.'),
  /** A live-channel connection past its subscriptions. */
  tooManySubscriptions: (max: number) =>
    new ProblemError('too-many-requests', `A connection follows at most ${max} tasks; subscribe to all of them with a caller token instead.`, {
      limit: max,
    }),
  /** The execution input (body plus envelope) would exceed Step Functions' limit. */
  executionInputTooLarge: (limit: number) =>
    new ProblemError('payload-too-large', `The task input is too large: with its envelope it must stay under ${limit} bytes.`),
};

/** A problem object to store with a task (its `error`), without an `instance` yet. */
export function problemObject(kind: ProblemKind, detail: string) {
  return { type: PROBLEM_BASE + kind, title: PROBLEM_KINDS[kind].title, status: PROBLEM_KINDS[kind].status, detail };
}
