/**
 * Domain errors. Each kind carries the HTTP status, a stable problem `type` URI and a title, so
 * the one error middleware can turn any of them into RFC 9457 problem details.
 */
export const PROBLEM_BASE = 'https://longrun.dev/problems/';

export interface FieldError {
  /** JSON pointer into the request body, e.g. `/input/upTo`. */
  pointer: string;
  detail: string;
}

export class ProblemError extends Error {
  readonly type: string;
  constructor(
    readonly status: number,
    kind: string,
    readonly title: string,
    readonly detail: string,
    /** Extra members of the problem object (RFC 9457 extensions). */
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that belong with this problem (`Retry-After`, `Allow`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.type = PROBLEM_BASE + kind;
  }
}

export const problems = {
  malformedJson: (detail: string) => new ProblemError(400, 'malformed-json', 'Malformed JSON', detail),
  validation: (errors: FieldError[]) =>
    new ProblemError(
      400,
      'validation-error',
      'Invalid request',
      errors.map((e) => `${e.pointer || '/'}: ${e.detail}`).join('; '),
      { errors },
    ),
  invalidParameter: (name: string, detail: string) =>
    new ProblemError(400, 'invalid-parameter', 'Invalid parameter', `${name}: ${detail}`, {
      errors: [{ pointer: name, detail }],
    }),
  invalidCursor: () => new ProblemError(400, 'invalid-cursor', 'Invalid cursor', 'cursor is not one this API issued; start again without it'),
  unauthenticated: () => new ProblemError(401, 'unauthenticated', 'Unauthenticated', 'This request carries no caller identity.'),
  notFound: (what = 'task') => new ProblemError(404, 'not-found', 'Not Found', `No such ${what}.`),
  gone: () => new ProblemError(410, 'gone', 'Gone', 'This task has passed its retention period and is no longer available.'),
  taskNotSucceeded: (status: string, retryAfter?: number) =>
    new ProblemError(
      409,
      'task-not-succeeded',
      'Result not available',
      `The task is ${status}; a result exists only once it has succeeded.`,
      { taskStatus: status },
      retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    ),
  taskAlreadyFinished: (status: string) =>
    new ProblemError(409, 'task-already-finished', 'Task already finished', `The task has already ${status}; it can no longer be cancelled.`, {
      taskStatus: status,
    }),
  idempotencyKeyReused: () =>
    new ProblemError(
      422,
      'idempotency-key-reused',
      'Idempotency key reused',
      'This Idempotency-Key was already used with a different request body.',
    ),
  payloadTooLarge: (limit: number) =>
    new ProblemError(413, 'payload-too-large', 'Payload Too Large', `The request body exceeds ${limit} bytes.`),
  unsupportedMediaType: () =>
    new ProblemError(415, 'unsupported-media-type', 'Unsupported Media Type', 'Send the request body as application/json.', {}, {
      'Accept-Post': 'application/json',
    }),
  unavailable: (retryAfter = 1) =>
    new ProblemError(503, 'service-unavailable', 'Service Unavailable', 'The service is briefly unable to handle this request; retry later.', {}, {
      'Retry-After': String(retryAfter),
    }),
  internal: () => new ProblemError(500, 'internal-error', 'Internal Server Error', 'An unexpected error occurred.'),
};
