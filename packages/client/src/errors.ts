/**
 * Errors the client throws. Every one is a `LongrunError`; an error answer of the API is a
 * `ProblemError` (or a subclass picked by status) carrying the RFC 9457 problem details.
 */
import type { FieldError, Problem, Task, TaskStatus } from './types.ts';

/** The root of every error the client throws: `catch (e) { if (e instanceof LongrunError) … }`. */
export class LongrunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request never got an HTTP answer (connection refused, DNS, reset, …). */
export class NetworkError extends LongrunError {
  constructor(
    /** The request's method. */
    readonly method: string,
    /** The request's URL. */
    readonly url: string,
    cause: unknown,
  ) {
    super(`${method} ${url} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** A 2xx answer whose body is not what the API promises (not JSON, say). */
export class InvalidResponseError extends LongrunError {
  constructor(
    message: string,
    /** The answer's HTTP status. */
    readonly status: number,
    /** The answer's body, as received. */
    readonly body: string,
  ) {
    super(message);
  }
}

/** The caller's `AbortSignal` fired. `task` is the last state seen while waiting, if any. */
export class AbortError extends LongrunError {
  constructor(
    /** The last state of the task seen while waiting, if any. */
    readonly task?: Task,
    cause?: unknown,
  ) {
    super('The operation was aborted.', { cause });
  }
}

/** `waitFor` ran out of `timeoutMs`; the task keeps running. `task` is the last state seen. */
export class TimeoutError extends LongrunError {
  constructor(
    /** The `timeoutMs` that passed. */
    readonly timeoutMs: number,
    /** The last state of the task seen while waiting, if any. */
    readonly task?: Task,
  ) {
    super(`The task did not finish within ${timeoutMs} ms${task ? ` (last status: ${task.status})` : ''}.`);
  }
}

/** An error answer from the API, with its problem details. */
export class ProblemError extends LongrunError {
  /** The HTTP status (equal to the problem's `status`). */
  readonly status: number;
  /** The problem type URI, e.g. `https://longrun.dev/problems/not-found`; stable, for code to branch on. */
  readonly type: string;
  /** A short summary of the problem type. */
  readonly title: string;
  /** What happened in this occurrence, for a person. */
  readonly detail: string | undefined;
  /** The request path the problem is about. */
  readonly instance: string | undefined;
  /** `Retry-After` of the answer in seconds, when it had one. */
  readonly retryAfter: number | undefined;

  constructor(
    /** The problem details as received, extension members (`errors`, `taskStatus`, …) included. */
    readonly problem: Problem,
    /** The answer's headers. */
    readonly headers: Headers = new Headers(),
  ) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.retryAfter = parseRetryAfter(headers.get('retry-after'));
  }
}

/** 400: malformed JSON, a schema violation, an unknown task type or a bad parameter. */
export class ValidationError extends ProblemError {
  /** Each offending field, by JSON pointer (`/input/upTo`). */
  get errors(): FieldError[] {
    return Array.isArray(this.problem.errors) ? (this.problem.errors as FieldError[]) : [];
  }
}
/** 401 / 403: no or an unaccepted API key or token. */
export class AuthenticationError extends ProblemError {}
/** 404: no such task for this caller. */
export class NotFoundError extends ProblemError {}
/** 409: result of a task that has not succeeded, or cancelling a finished task. */
export class ConflictError extends ProblemError {
  /** The task's status, when the conflict is about it (`task-not-succeeded`). */
  get taskStatus(): TaskStatus | undefined {
    return this.problem.taskStatus as TaskStatus | undefined;
  }
}
/** 410: the task has passed its retention period. */
export class GoneError extends ProblemError {}
/** 413: the submission is over the size limit. */
export class PayloadTooLargeError extends ProblemError {}
/** 422: the Idempotency-Key was used before with a different body. */
export class IdempotencyKeyReusedError extends ProblemError {}
/** 429: rate limit or quota exceeded; see `retryAfter`. */
export class RateLimitError extends ProblemError {}
/** 5xx. */
export class ServerError extends ProblemError {}

const BY_STATUS: Record<number, new (problem: Problem, headers?: Headers) => ProblemError> = {
  400: ValidationError,
  401: AuthenticationError,
  403: AuthenticationError,
  404: NotFoundError,
  409: ConflictError,
  410: GoneError,
  413: PayloadTooLargeError,
  422: IdempotencyKeyReusedError,
  429: RateLimitError,
};

/** The error for an error answer: its problem details, or ones made up from a non-problem body. */
export function problemError(status: number, statusText: string, headers: Headers, body: string): ProblemError {
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as Problem).title === 'string') {
      problem = { ...(parsed as Problem), status: typeof (parsed as Problem).status === 'number' ? (parsed as Problem).status : status };
    }
  } catch {
    // not JSON: made up below
  }
  problem ??= {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    detail: body.trim().slice(0, 500) || `The server answered ${status} without problem details.`,
  };
  const ErrorClass = BY_STATUS[status] ?? (status >= 500 ? ServerError : ProblemError);
  return new ErrorClass(problem, headers);
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
