/**
 * The OpenAPI document's components: schemas, parameters and headers, built from the same domain
 * definitions the functions use (task statuses, problem kinds, submission schemas, history events).
 */
import { MAX_WAIT_SECONDS } from '#api/routes';
import { PROBLEM_BASE, PROBLEM_KINDS } from '#domain/errors';
import { submissionSchema } from '#domain/submission';
import { HISTORY_EVENTS, TASK_STATUSES } from '#domain/task';
import type { TaskTypeSchemas } from '#domain/task-types';
import { PROGRESS_EVENTS } from '#domain/webhook';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The event types a webhook (and the event bus) carries, in the order they happen. */
export const WEBHOOK_EVENT_TYPES = [...PROGRESS_EVENTS, 'task.succeeded', 'task.failed', 'task.cancelled'] as const;

const uri = { type: 'string', format: 'uri' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

/** The task representation's properties; `result` is added for the submit's `200` (TaskWithResult). */
function taskProperties(types: string[]): Record<string, unknown> {
  return {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string', enum: types },
    status: ref('TaskStatus'),
    progress: ref('Progress'),
    createdAt: dateTime,
    updatedAt: dateTime,
    startedAt: dateTime,
    completedAt: dateTime,
    expiresAt: dateTime,
    attempt: { type: 'integer', minimum: 1, description: '1, then 2, … after each retry.' },
    deadline: { ...dateTime, description: 'When the current attempt ends `failed` with `deadline-exceeded` unless finished (from `Cancel-After`).' },
    metadata: { type: 'object', additionalProperties: { type: 'string' }, description: 'The tags given at submit.' },
    awaitingInput: ref('AwaitingInput'),
    links: ref('TaskLinks'),
    resourceLocation: { ...uri, description: 'Once succeeded: the absolute URL of the result.' },
    error: ref('Problem'),
    callback: ref('CallbackState'),
    compensation: ref('Compensation'),
  };
}

const TASK_REQUIRED = ['id', 'type', 'status', 'progress', 'createdAt', 'updatedAt', 'expiresAt', 'attempt', 'links'];

function webhookEventSchema(type: string): Record<string, unknown> {
  return {
    type: 'object',
    description: `The body of a \`${type}\` webhook (and the shape of the event on the bus: detail = \`data\` plus \`owner\`).`,
    required: ['type', 'timestamp', 'data'],
    additionalProperties: false,
    properties: { type: { type: 'string', const: type }, timestamp: dateTime, data: ref('Task') },
  };
}

/** The schema name of a webhook event type's payload: `task.input_required` -> `WebhookEvent_task_input_required`. */
export const webhookEventSchemaName = (type: string) => `WebhookEvent_${type.replace(/\./g, '_')}`;

export function schemas(taskTypes: TaskTypeSchemas): Record<string, unknown> {
  const types = Object.keys(taskTypes);
  return {
    TaskStatus: { type: 'string', enum: [...TASK_STATUSES] },
    Submission: { oneOf: types.map((type) => ({ $ref: `#/components/schemas/Submit_${type}` })) },
    ...Object.fromEntries(types.map((type) => [`Submit_${type}`, submissionSchema(taskTypes[type]!, type)])),
    Progress: {
      type: 'object',
      required: ['percent'],
      additionalProperties: false,
      properties: {
        percent: { type: 'number', minimum: 0, maximum: 100 },
        step: { type: 'string' },
        estimatedCompletionAt: {
          ...dateTime,
          description:
            'While running with 0 < percent < 100 (and not waiting for input): when the task should end, at the rate it progressed from `startedAt` to its last report. The same estimate `Retry-After` uses.',
        },
      },
    },
    Task: { type: 'object', additionalProperties: false, required: TASK_REQUIRED, properties: taskProperties(types) },
    TaskWithResult: {
      type: 'object',
      description: 'A task that ended within `Prefer: wait=N` of its submit; `result` when it succeeded with an inline result.',
      additionalProperties: false,
      required: TASK_REQUIRED,
      properties: { ...taskProperties(types), result: { description: "The worker's result (absent for a stored one: follow `links.result`)." } },
    },
    TaskLinks: {
      type: 'object',
      required: ['self', 'result', 'cancel', 'events', 'history'],
      additionalProperties: false,
      properties: {
        self: uri,
        result: uri,
        cancel: uri,
        events: { ...uri, description: 'The event stream (`text/event-stream`).' },
        history: uri,
        retry: { ...uri, description: 'Failed or cancelled: `POST` retries it.' },
        input: { ...uri, description: 'Waiting for input: `POST` the input here.' },
      },
    },
    AwaitingInput: {
      type: 'object',
      description: 'The input the worker waits for: `POST` it to `links.input` (or, without an API key, to `url`).',
      required: ['name', 'since'],
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        prompt: { type: 'string' },
        schema: { type: 'object', description: 'The JSON Schema the input must match.' },
        since: dateTime,
        expiresAt: { ...dateTime, description: 'When the wait times out (the task then fails, unless its worker handles it).' },
        url: {
          ...uri,
          description:
            'A capability URL: a `POST` of the input to it works without an API key, once, for this wait of this task only (for an approver without a key). Absent on the event bus.',
        },
      },
    },
    Compensation: {
      type: 'object',
      description: "The compensation run after the attempt ended cancelled (or failed, if configured); the task's own status does not change.",
      required: ['status'],
      additionalProperties: false,
      properties: { status: { type: 'string', enum: ['running', 'succeeded', 'failed'] }, completedAt: dateTime },
    },
    CallbackState: {
      type: 'object',
      description: 'Webhook delivery state, for a task submitted with a callbackUrl: of the newest event attempted.',
      required: ['status', 'attempts'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
        attempts: { type: 'integer', minimum: 0 },
        lastStatusCode: { type: 'integer', description: 'Absent when the last attempt got no answer (refused, timed out, blocked).' },
        lastAttemptAt: dateTime,
        nextAttemptAt: dateTime,
        event: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES], description: 'The event this is the delivery of.' },
      },
    },
    History: {
      type: 'object',
      required: ['items'],
      additionalProperties: false,
      properties: { items: { type: 'array', items: ref('HistoryEntry') } },
    },
    HistoryEntry: {
      type: 'object',
      required: ['at', 'status', 'attempt', 'event'],
      additionalProperties: false,
      properties: {
        at: { ...dateTime, description: 'When it happened.' },
        status: { ...ref('TaskStatus'), description: 'The status the task had after it.' },
        attempt: { type: 'integer', minimum: 1, description: 'The attempt it happened in (1 for the first run, one more per retry).' },
        event: { type: 'string', enum: [...HISTORY_EVENTS], description: 'What happened.' },
        detail: { type: 'string', description: 'The input awaited or received, why it failed (a problem kind), how a compensation ended.' },
      },
    },
    WebhookSecret: {
      type: 'object',
      required: ['secret', 'createdAt'],
      additionalProperties: false,
      properties: {
        secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]+$', description: 'The Standard Webhooks secret that signs your deliveries.' },
        createdAt: { ...dateTime, description: 'When this secret was made.' },
        previousSecretExpiresAt: { ...dateTime, description: 'Until then the previous secret signs too.' },
      },
    },
    WatchTokenRequest: {
      type: 'object',
      additionalProperties: false,
      properties: { taskId: { type: 'string', description: 'The one task to follow; omit for every task of the caller.' } },
    },
    WatchToken: {
      type: 'object',
      required: ['token', 'expiresAt', 'url'],
      additionalProperties: false,
      properties: {
        token: { type: 'string', pattern: '^lrw_[A-Za-z0-9_-]{43}$', description: 'Opens one connection until `expiresAt`.' },
        expiresAt: { type: 'string', format: 'date-time', description: 'Until when the token opens a connection.' },
        url: { type: 'string', format: 'uri', description: 'The live channel (`wss://…`) with the token as its `token` query parameter.' },
        taskId: { type: 'string', description: 'The task the token is for; absent: every task of the caller.' },
      },
    },
    TaskList: {
      type: 'object',
      required: ['items', 'nextCursor'],
      additionalProperties: false,
      properties: { items: { type: 'array', items: ref('Task') }, nextCursor: { type: ['string', 'null'] } },
    },
    ...Object.fromEntries(WEBHOOK_EVENT_TYPES.map((type) => [webhookEventSchemaName(type), webhookEventSchema(type)])),
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details.',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: { type: 'string', format: 'uri', enum: Object.keys(PROBLEM_KINDS).map((kind) => PROBLEM_BASE + kind) },
        title: { type: 'string' },
        status: { type: 'integer', minimum: 100, maximum: 599 },
        detail: { type: 'string' },
        instance: { type: 'string' },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['pointer', 'detail'],
            properties: {
              pointer: {
                type: 'string',
                description:
                  'JSON Pointer (RFC 6901) to the offending field of the body, e.g. `/input/upTo`, or the name of the offending parameter or header.',
              },
              detail: { type: 'string', description: 'What is wrong with it.' },
            },
          },
        },
        taskStatus: ref('TaskStatus'),
        error: { $ref: '#/components/schemas/Problem', description: "On a result monitor's 409: the task's own problem." },
      },
    },
  };
}

export const PARAMETERS = {
  TaskId: { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 64 }, example: '01a24328-2ff7-7512-93cc-ade546337ba4' },
  Prefer: {
    name: 'Prefer',
    in: 'header',
    required: false,
    description: `RFC 7240 \`wait=N\`: wait up to N seconds (at most ${MAX_WAIT_SECONDS}) for the task to change before answering. Malformed preferences are ignored.`,
    schema: { type: 'string' },
    example: 'wait=20',
  },
  PreferOutcome: {
    name: 'Prefer',
    in: 'header',
    required: false,
    description: `RFC 7240 \`wait=N\` (N ≤ ${MAX_WAIT_SECONDS}): if the task ends within N seconds, answer \`200\` with its final state (and its inline result) instead of \`202\`. Malformed preferences are ignored.`,
    schema: { type: 'string' },
    example: 'wait=10',
  },
  CancelAfter: {
    name: 'Cancel-After',
    in: 'header',
    required: false,
    description:
      "The task's deadline, from now: whole seconds (`90`) or a duration (`90s`, `5m`, `2h`, `1h30m`), at least 1 s and at most the execution timeout. A task not finished by then ends `failed` with `deadline-exceeded` (a pending one never starts; a running one is stopped). Anything else is a 400 naming the header.",
    schema: { type: 'string', pattern: '^(?:[0-9]+|(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$' },
    example: '5m',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'Makes the submit safe to retry: same key and body, same task.',
    schema: { type: 'string', minLength: 1, maxLength: 257 },
    example: 'order-4711',
  },
} as const;

export const HEADERS = {
  Location: { description: 'Absolute URL of the task (or of its result monitor).', schema: { type: 'string', format: 'uri' } },
  'Retry-After': { description: 'Seconds to wait before polling again.', schema: { type: 'string', pattern: '^[0-9]+$' } },
  ETag: { description: 'Validator for If-None-Match.', schema: { type: 'string' } },
} as const;
