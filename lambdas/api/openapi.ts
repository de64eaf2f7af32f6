/**
 * The OpenAPI 3.1 document: the contract of every route, header, schema and error. Request
 * schemas are the same objects the submit function validates with, so the two cannot drift; the
 * end-to-end suite checks every response it receives against this document.
 */

import { CONSOLE_ASSETS, MAX_WAIT_SECONDS, STAGE_NAME } from '#api/routes';
import { PROBLEM_BASE, PROBLEM_KINDS } from '#domain/errors';
import { RETRY_AFTER_MAX, RETRY_AFTER_MIN } from '#domain/representation';
import { RESULT_LINK_SECONDS } from '#domain/result-pointer';
import { submissionSchema } from '#domain/submission';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, TASK_STATUSES } from '#domain/task';
import type { TaskTypeSchemas } from '#domain/task-types';
import { DEFAULT_RETRY_DELAYS, WEBHOOK_USER_AGENT } from '#domain/webhook';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const retryAfterHeader = { $ref: '#/components/headers/Retry-After' };
const preferenceApplied = {
  description: 'With `Prefer: wait=N`: `wait=N`, the wait honoured.',
  schema: { type: 'string', pattern: '^wait=[0-9]+$' },
};

export function openApiDocument(taskTypes: TaskTypeSchemas): Record<string, unknown> {
  const types = Object.keys(taskTypes);
  const common = {
    '401': problem('Missing or unknown API key (or token, in JWT mode).'),
    '403': problem('Refused, e.g. by the web application firewall.'),
    '429': problem('Rate limit or quota exceeded.'),
    '503': problem('Briefly unavailable.', { 'Retry-After': retryAfterHeader }),
  };
  const taskResponses = { '404': problem('No such task for this caller.'), '410': problem('Past its retention period.') };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Longrun',
      version: '1.0.0',
      summary: 'Long-running work behind an asynchronous HTTP API.',
      description: [
        'Submit a task and get `202 Accepted` with a `Location` at once; poll it (honouring `Retry-After` and `ETag`), fetch its result, or cancel it.',
        `Retry-After rule: while a task is not terminal, a fifth of its age, capped by the remaining time estimated from progress, within [${RETRY_AFTER_MIN}, ${RETRY_AFTER_MAX}] seconds; absent once terminal.`,
        'Retention: terminal tasks stay readable for the configured retention (default 7 days), then answer 410, as does any id minted longer ago than the retention whose task is gone.',
        'Idempotency-Key (IETF httpapi draft): the same key and body from the same caller return the same task, with no second execution; a different body answers 422. Keys are kept 24 hours.',
        `Every error is RFC 9457 problem details with a stable \`type\` under ${PROBLEM_BASE}.`,
        'URLs: `Location`, `Operation-Location`, `links` and `resourceLocation` are absolute, built from the host and the path prefix the request came through (the stage on the execute-api URL, the base path behind a custom domain).',
        `Long poll: \`Prefer: wait=N\` (RFC 7240) on \`GET /tasks/{id}\` and on the result monitor answers as soon as the task differs from \`If-None-Match\` (or from its state when the request arrived), once it is terminal, or after N seconds (at most ${MAX_WAIT_SECONDS}); \`Preference-Applied\` says so. A malformed preference is ignored.`,
        'Clients nobody wrote for this API: Azure pollers (core-lro) follow `Operation-Location` and read `status` and `resourceLocation`; Logic Apps / Power Automate submit with `?location=result` and poll the result monitor, which answers 202 until the task ends.',
        `Webhooks: a task submitted with \`callbackUrl\` is POSTed once terminal, at least once, as \`{ type: task.succeeded | task.failed | task.cancelled, timestamp, data: <Task> }\` in the Standard Webhooks format (\`webhook-id\` stable across retries, \`webhook-timestamp\`, \`webhook-signature\`), signed with the caller's secret (\`GET /webhook-secret\`), User-Agent \`${WEBHOOK_USER_AGENT}\`. Retries after ${DEFAULT_RETRY_DELAYS.map((d) => (d < 60 ? `${d} s` : d < 3600 ? `${d / 60} min` : `${d / 3600} h`)).join(', ')} (+0-20 % jitter, or a longer \`Retry-After\`); any 2xx delivers, 410 stops, anything else retries. The task's \`callback\` shows the delivery state.`,
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `/${STAGE_NAME}`, description: 'This deployment' }],
    security: [{ ApiKey: [] }],
    tags: [
      { name: 'tasks', description: 'Asynchronous tasks' },
      { name: 'webhooks', description: 'Signing secret of the webhooks' },
      { name: 'meta', description: 'This document and the console' },
    ],
    paths: {
      '/tasks': {
        post: {
          operationId: 'submitTask',
          tags: ['tasks'],
          summary: 'Submit a task',
          parameters: [
            { $ref: '#/components/parameters/IdempotencyKey' },
            {
              name: 'location',
              in: 'query',
              required: false,
              description:
                'What `Location` points at: the task (default) or its result monitor (`result`, for Logic Apps / Power Automate). Any other value is a 400.',
              schema: { type: 'string', enum: ['task', 'result'], default: 'task' },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Submission') } } },
          responses: {
            '202': {
              description: 'Accepted; poll `Location` (or `Operation-Location`), or follow `GET /tasks/{id}/events`.',
              headers: {
                Location: { $ref: '#/components/headers/Location' },
                'Operation-Location': {
                  description: 'Absolute URL of the task (Azure long-running operation convention).',
                  required: true,
                  schema: { type: 'string', format: 'uri' },
                },
                'Retry-After': retryAfterHeader,
              },
              content: { 'application/json': { schema: ref('Task') } },
            },
            '400': problem('Malformed JSON, schema violation, unknown task type or `location` value; names the offending field.'),
            '413': problem('Body over 256 KiB.'),
            '415': problem('Body is not application/json.'),
            '422': problem('Idempotency-Key reused with a different body.'),
            ...common,
          },
        },
        get: {
          operationId: 'listTasks',
          tags: ['tasks'],
          summary: "List the caller's tasks, newest first",
          parameters: [
            { name: 'status', in: 'query', required: false, schema: ref('TaskStatus') },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT },
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              description: 'Opaque; `nextCursor` of the previous page, with the same `status`.',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': { description: 'A page of tasks.', content: { 'application/json': { schema: ref('TaskList') } } },
            '400': problem('Bad status, limit or cursor.'),
            ...common,
          },
        },
      },
      '/tasks/{id}': {
        parameters: [{ $ref: '#/components/parameters/TaskId' }],
        get: {
          operationId: 'getTask',
          tags: ['tasks'],
          summary: 'Status and progress of a task',
          parameters: [
            { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
            { $ref: '#/components/parameters/Prefer' },
          ],
          responses: {
            '200': {
              description: 'The task.',
              headers: { ETag: { $ref: '#/components/headers/ETag' }, 'Retry-After': retryAfterHeader, 'Preference-Applied': preferenceApplied },
              content: { 'application/json': { schema: ref('Task') } },
            },
            '304': {
              description: 'Unchanged since the ETag given in If-None-Match (with `Prefer: wait`, still unchanged when the wait ended).',
              headers: { ETag: { $ref: '#/components/headers/ETag' }, 'Retry-After': retryAfterHeader, 'Preference-Applied': preferenceApplied },
            },
            ...taskResponses,
            ...common,
          },
        },
        delete: {
          operationId: 'cancelTask',
          tags: ['tasks'],
          summary: 'Cancel a task',
          description:
            'Cancelling a pending or running task records it as cancelled and stops its execution; cancelling a cancelled task answers the same again.',
          responses: {
            '200': { description: 'Cancelled.', content: { 'application/json': { schema: ref('Task') } } },
            '409': problem('Already succeeded or failed.'),
            ...taskResponses,
            ...common,
          },
        },
      },
      '/tasks/{id}/result': {
        parameters: [{ $ref: '#/components/parameters/TaskId' }],
        get: {
          operationId: 'getTaskResult',
          tags: ['tasks'],
          summary: 'The result monitor: 202 while the task runs, its result once it succeeded',
          description:
            'Polled by Logic Apps / Power Automate and ARM-style pollers (submit with `?location=result`): they wait `Retry-After` and poll `Location` while it answers 202, and take the first other answer as the outcome.',
          parameters: [{ $ref: '#/components/parameters/Prefer' }],
          responses: {
            '200': {
              description: "The worker's result.",
              headers: { 'Preference-Applied': preferenceApplied },
              content: { 'application/json': { schema: {} } },
            },
            '202': {
              description: 'Pending or running: poll `Location` (this URL) again after `Retry-After`; the body is the task.',
              headers: {
                Location: { $ref: '#/components/headers/Location' },
                'Retry-After': retryAfterHeader,
                'Preference-Applied': preferenceApplied,
              },
              content: { 'application/json': { schema: ref('Task') } },
            },
            '303': {
              description: `A result too large to return inline (stored by the worker with storeLargeResult): \`Location\` is a presigned GET of the stored JSON, valid ${RESULT_LINK_SECONDS / 60} minutes. Follow it without credentials (it carries its own; send no \`x-api-key\` or \`Authorization\` to it); fetch again here for a fresh link.`,
              headers: {
                Location: { description: 'Absolute, short-lived URL of the result (application/json).', schema: { type: 'string', format: 'uri' } },
                'Preference-Applied': preferenceApplied,
              },
            },
            '409': problem("Failed or cancelled: `taskStatus` states the status, `error` is the task's own problem."),
            ...taskResponses,
            ...common,
          },
        },
      },
      '/tasks/{id}/events': {
        parameters: [{ $ref: '#/components/parameters/TaskId' }],
        get: {
          operationId: 'streamTaskEvents',
          tags: ['tasks'],
          summary: 'Server-sent events: the task now, then every change, ending with its outcome',
          description: [
            'A `text/event-stream`: `event: status` (the first event, and whenever the status changes), `event: progress` (progress only), `event: done` (terminal; the stream then ends). Each `data` is the task representation and each `id` its version, which only grows.',
            'Send `Last-Event-ID` to resume: only a newer state is sent (a malformed value gets the full snapshot). A comment (`: ping`) every 15 s keeps the connection open; the stream ends after 14 minutes, and clients reconnect (`retry:`).',
            'Browsers: `EventSource` cannot send `x-api-key`; read the stream with `fetch` (see examples/progress.html).',
          ].join('\n\n'),
          parameters: [{ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            '204': {
              description:
                'Nothing more to send: the task ended and `Last-Event-ID` is its final version (tells an EventSource to stop reconnecting).',
            },
            ...taskResponses,
            ...common,
          },
        },
      },
      '/webhook-secret': {
        get: {
          operationId: 'getWebhookSecret',
          tags: ['webhooks'],
          summary: "The caller's webhook signing secret (created on first use)",
          responses: {
            '200': {
              description: 'The secret; verify deliveries with it (`new Webhook(secret).verify(body, headers)`).',
              content: { 'application/json': { schema: ref('WebhookSecret') } },
            },
            ...common,
          },
        },
        post: {
          operationId: 'rotateWebhookSecret',
          tags: ['webhooks'],
          summary: 'Rotate the webhook signing secret',
          description:
            'A new secret signs from now on; the previous one keeps signing alongside it for 24 hours (space-separated signatures), so receivers can switch without missing a delivery.',
          responses: { '200': { description: 'The new secret.', content: { 'application/json': { schema: ref('WebhookSecret') } } }, ...common },
        },
      },
      '/console': {
        get: {
          operationId: 'getConsole',
          tags: ['meta'],
          summary: 'The console: a web page to see, follow and steer your tasks',
          description:
            'An HTML page, loaded without a key: it asks for your API key and keeps it in the browser tab (`sessionStorage`), never in a URL. It loads its script and stylesheet from `/console/{asset}` and talks to this API only; its `Content-Security-Policy` allows nothing else.',
          security: [],
          responses: {
            '200': {
              description: 'The page.',
              headers: {
                'Content-Security-Policy': { description: "`script-src 'self'`, no inline script.", required: true, schema: { type: 'string' } },
              },
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            '429': problem('Rate limit exceeded.'),
          },
        },
      },
      '/console/{asset}': {
        parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string', enum: Object.keys(CONSOLE_ASSETS) } }],
        get: {
          operationId: 'getConsoleAsset',
          tags: ['meta'],
          summary: "The console's script or stylesheet",
          security: [],
          responses: {
            '200': {
              description: 'The file; with `?v=` as the page names it, cacheable for good.',
              content: Object.fromEntries(Object.values(CONSOLE_ASSETS).map((type) => [type.split(';')[0]!, { schema: { type: 'string' } }])),
            },
            '404': problem('No such file.'),
            '429': problem('Rate limit exceeded.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['meta'],
          summary: 'This document',
          security: [],
          responses: {
            '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } },
            // Stage throttling applies to public routes too.
            '429': problem('Rate limit exceeded.'),
          },
        },
      },
    },
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Issued through API Gateway usage plans.' } },
      parameters: {
        TaskId: { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } },
        Prefer: {
          name: 'Prefer',
          in: 'header',
          required: false,
          description: `RFC 7240 \`wait=N\`: wait up to N seconds (at most ${MAX_WAIT_SECONDS}) for the task to change before answering. Malformed preferences are ignored.`,
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Makes the submit safe to retry: same key and body, same task.',
          schema: { type: 'string', minLength: 1, maxLength: 257 },
        },
      },
      headers: {
        Location: { description: 'Absolute URL of the task (or of its result monitor).', schema: { type: 'string', format: 'uri' } },
        'Retry-After': { description: 'Seconds to wait before polling again.', schema: { type: 'string', pattern: '^[0-9]+$' } },
        ETag: { description: 'Validator for If-None-Match.', schema: { type: 'string' } },
      },
      schemas: {
        TaskStatus: { type: 'string', enum: [...TASK_STATUSES] },
        Submission: { oneOf: types.map((type) => ({ $ref: `#/components/schemas/Submit_${type}` })) },
        ...Object.fromEntries(types.map((type) => [`Submit_${type}`, submissionSchema(taskTypes[type]!, type)])),
        Progress: {
          type: 'object',
          required: ['percent'],
          additionalProperties: false,
          properties: { percent: { type: 'number', minimum: 0, maximum: 100 }, step: { type: 'string' } },
        },
        Task: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'type', 'status', 'progress', 'createdAt', 'updatedAt', 'expiresAt', 'links'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            type: { type: 'string', enum: types },
            status: ref('TaskStatus'),
            progress: ref('Progress'),
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            startedAt: { type: 'string', format: 'date-time' },
            completedAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
            links: {
              type: 'object',
              required: ['self', 'result', 'cancel'],
              additionalProperties: false,
              properties: {
                self: { type: 'string', format: 'uri' },
                result: { type: 'string', format: 'uri' },
                cancel: { type: 'string', format: 'uri' },
              },
            },
            resourceLocation: { type: 'string', format: 'uri', description: 'Once succeeded: the absolute URL of the result.' },
            error: ref('Problem'),
            callback: ref('CallbackState'),
          },
        },
        CallbackState: {
          type: 'object',
          description: 'Webhook delivery state, for a task submitted with a callbackUrl.',
          required: ['status', 'attempts'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
            attempts: { type: 'integer', minimum: 0 },
            lastStatusCode: { type: 'integer', description: 'Absent when the last attempt got no answer (refused, timed out, blocked).' },
            lastAttemptAt: { type: 'string', format: 'date-time' },
            nextAttemptAt: { type: 'string', format: 'date-time' },
          },
        },
        WebhookSecret: {
          type: 'object',
          required: ['secret', 'createdAt'],
          additionalProperties: false,
          properties: {
            secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]+$', description: 'The Standard Webhooks secret that signs your deliveries.' },
            createdAt: { type: 'string', format: 'date-time', description: 'When this secret was made.' },
            previousSecretExpiresAt: { type: 'string', format: 'date-time', description: 'Until then the previous secret signs too.' },
          },
        },
        TaskList: {
          type: 'object',
          required: ['items', 'nextCursor'],
          additionalProperties: false,
          properties: { items: { type: 'array', items: ref('Task') }, nextCursor: { type: ['string', 'null'] } },
        },
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
                  pointer: { type: 'string', description: 'JSON Pointer (RFC 6901) to the offending field of the body, e.g. `/input/upTo`.' },
                  detail: { type: 'string', description: 'What is wrong with it.' },
                },
              },
            },
            taskStatus: ref('TaskStatus'),
            error: { $ref: '#/components/schemas/Problem', description: "On a result monitor's 409: the task's own problem." },
          },
        },
      },
    },
  };
}
