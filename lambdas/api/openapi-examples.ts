/**
 * Examples for the OpenAPI document (every operation's request and main answers, every webhook),
 * so documentation viewers and client generators show real payloads. Each is valid against its
 * schema (Redocly's `no-invalid-media-type-examples` and test/unit/openapi-examples.test.ts check).
 */
import type { JsonSchema, TaskTypeSchemas } from '#domain/task-types';
import { WEBHOOK_EVENT_TYPES, webhookEventSchemaName } from './openapi-schemas.ts';

const BASE = 'https://api.example.com/v1';
const EXAMPLE_ID = '01a24328-2ff7-7512-93cc-ade546337ba4';
const SELF = `${BASE}/tasks/${EXAMPLE_ID}`;
const T0 = '2026-12-04T09:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/**
 * A value valid against `schema`: its own `examples[0]` or `default`, else the smallest instance its
 * keywords allow (required properties only). Enough for the schemas task types use.
 */
export function exampleOf(schema: JsonSchema | undefined): unknown {
  if (!schema || typeof schema !== 'object') return {};
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 7 ? 'x'.repeat(schema.minLength) : 'example';
    case 'boolean':
      return true;
    case 'array':
      return typeof schema.minItems === 'number' && schema.minItems > 0
        ? Array.from({ length: schema.minItems }, () => exampleOf(schema.items as JsonSchema))
        : [];
    case 'null':
      return null;
    default: {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      return Object.fromEntries(required.map((name) => [name, exampleOf(properties[name])]));
    }
  }
}

function links(status: string, extra: Record<string, string> = {}) {
  return {
    self: SELF,
    result: `${SELF}/result`,
    cancel: SELF,
    events: `${SELF}/events`,
    history: `${SELF}/history`,
    ...(status === 'failed' || status === 'cancelled' ? { retry: `${SELF}/retry` } : {}),
    ...extra,
  };
}

/** The examples of one deployment, for its first task type. */
export function examples(taskTypes: TaskTypeSchemas) {
  const type = Object.keys(taskTypes)[0] ?? 'example';
  const input = exampleOf(taskTypes[type]);
  const metadata = { customer: 'acme', batch: '2026-12' };
  const submitted = {
    id: EXAMPLE_ID,
    type,
    status: 'pending',
    progress: { percent: 0 },
    createdAt: T0,
    updatedAt: T0,
    expiresAt: at(3600 + 7 * 86400),
    attempt: 1,
    deadline: at(300),
    metadata,
    links: links('pending'),
    callback: { status: 'pending', attempts: 0 },
  };
  const running = {
    ...submitted,
    status: 'running',
    progress: { percent: 40, step: 'chunk 8 of 20', estimatedCompletionAt: at(62) },
    updatedAt: at(25),
    startedAt: at(1),
  };
  const succeeded = {
    ...submitted,
    status: 'succeeded',
    progress: { percent: 100, step: 'chunk 20 of 20' },
    updatedAt: at(60),
    startedAt: at(1),
    completedAt: at(60),
    expiresAt: at(60 + 7 * 86400),
    resourceLocation: `${SELF}/result`,
    callback: { status: 'delivered', attempts: 1, lastStatusCode: 204, lastAttemptAt: at(61), event: 'task.succeeded' },
  };
  const failed = {
    ...submitted,
    status: 'failed',
    updatedAt: at(300),
    startedAt: at(1),
    completedAt: at(300),
    expiresAt: at(300 + 7 * 86400),
    links: links('failed'),
    error: {
      type: 'https://longrun.dev/problems/deadline-exceeded',
      title: 'Deadline exceeded',
      status: 504,
      detail: 'The task did not finish by its deadline (Cancel-After).',
      instance: SELF,
    },
  };
  const cancelled = {
    ...failed,
    status: 'cancelled',
    links: links('cancelled'),
    error: {
      type: 'https://longrun.dev/problems/task-cancelled',
      title: 'Task cancelled',
      status: 409,
      detail: 'The task was cancelled by its owner.',
      instance: SELF,
    },
    compensation: { status: 'succeeded', completedAt: at(302) },
  };
  const waiting = {
    ...running,
    progress: { percent: 40, step: 'waiting for approval' },
    awaitingInput: {
      name: 'approval',
      prompt: 'Ship release 4.2 to production?',
      schema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
      since: at(25),
      expiresAt: at(25 + 1800),
      url: `${SELF}/input/QPvGRAV4SCtzMmm4X-wnfBf2EGJXmJY87C65fh1ZMkw`,
    },
    links: links('running', { input: `${SELF}/input` }),
  };
  const retried = { ...submitted, attempt: 2, updatedAt: at(400), deadline: at(700), createdAt: T0 };
  const result = { ok: true };
  return {
    submission: { type, input, metadata, callbackUrl: 'https://hooks.example.com/longrun', callbackEvents: ['progress', 'completed'] },
    submitted,
    running,
    succeeded,
    succeededWithResult: { ...succeeded, result },
    failed,
    cancelled,
    waiting,
    retried,
    result,
    input: { approved: true, note: 'Looks good.' },
    list: { items: [running, succeeded], nextCursor: 'eyJ2IjoxLCJhZnRlciI6IjAxYTI0MzI4LTJmZjctNzUxMi05M2NjLWFkZTU0NjMzN2JhNCJ9' },
    history: {
      items: [
        { at: T0, status: 'pending', attempt: 1, event: 'submitted' },
        { at: at(1), status: 'running', attempt: 1, event: 'started' },
        { at: at(300), status: 'failed', attempt: 1, event: 'failed', detail: 'deadline-exceeded' },
        { at: at(400), status: 'pending', attempt: 2, event: 'retried' },
        { at: at(401), status: 'running', attempt: 2, event: 'started' },
        { at: at(460), status: 'succeeded', attempt: 2, event: 'succeeded' },
      ],
    },
    webhookSecret: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', createdAt: T0 },
    /** The webhook body of each event type. */
    webhook: (eventType: (typeof WEBHOOK_EVENT_TYPES)[number]) => {
      const { callback: _callback, ...data } = {
        'task.running': { ...running, progress: { percent: 0 }, updatedAt: at(1) },
        'task.progress': running,
        'task.input_required': waiting,
        'task.succeeded': succeeded,
        'task.failed': failed,
        'task.cancelled': cancelled,
      }[eventType] as Record<string, unknown>;
      return { type: eventType, timestamp: (data.completedAt as string | undefined) ?? (data.updatedAt as string), data };
    },
  };
}

/** The top-level `webhooks` (OpenAPI 3.1): what Longrun POSTs to a `callbackUrl`, per event type. */
export function webhooks(taskTypes: TaskTypeSchemas): Record<string, unknown> {
  const ex = examples(taskTypes);
  const header = (name: string, description: string, example: string) => ({
    name,
    in: 'header',
    required: true,
    description,
    schema: { type: 'string' },
    example,
  });
  const when: Record<string, string> = {
    'task.running': 'The task started (with `callbackEvents` containing `started`).',
    'task.progress':
      'Its progress moved (with `progress`): the first report at once, then at most one per 5 s; never retried (the next one, or the outcome, follows).',
    'task.input_required': 'Its worker waits for input (with `input_required`): `data.awaitingInput.url` may be forwarded to whoever answers.',
    'task.succeeded': 'It succeeded (with `completed`, the default).',
    'task.failed': 'It failed (with `completed`, the default).',
    'task.cancelled': 'It was cancelled (with `completed`, the default).',
  };
  return Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace(/\./g, '_')}`,
          summary: `${type}: ${when[type]}`,
          description:
            "Standard Webhooks: verify `webhook-signature` over `<webhook-id>.<webhook-timestamp>.<body>` with your secret (`GET /webhook-secret`), e.g. `new Webhook(secret).verify(body, headers)`. `webhook-id` is the same for every retry of one event; events of one task may arrive out of order (use `timestamp`); the task's `callback` shows the newest event's delivery state.",
          tags: ['webhooks'],
          security: [],
          parameters: [
            header('webhook-id', 'Unique per event, the same for each retry of it.', `msg_${EXAMPLE_ID}_7`),
            header('webhook-timestamp', 'When this attempt was signed (epoch seconds); refuse one more than 5 minutes away.', '1796374860'),
            header(
              'webhook-signature',
              '`v1,<base64 HMAC-SHA256>`; during a secret rotation, two, space-separated.',
              'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
            ),
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${webhookEventSchemaName(type)}` }, example: ex.webhook(type) } },
          },
          // The receiver's answer: any 2xx delivers the event, a 410 stops its deliveries for good, anything else is retried.
          responses: { '200': { description: 'Any 2xx delivers it (a 410 stops its deliveries for good; anything else is retried).' } },
        },
      },
    ]),
  );
}
