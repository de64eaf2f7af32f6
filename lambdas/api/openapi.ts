/**
 * The OpenAPI 3.1 document: the contract of every route, header, schema, error and webhook.
 * Request schemas are the same objects the submit function validates with, so the two cannot
 * drift; the end-to-end suite checks every response it receives against this document.
 * Components: ./openapi-schemas.ts; examples and webhooks: ./openapi-examples.ts.
 */

import { CONSOLE_ASSETS, MAX_WAIT_SECONDS, STAGE_NAME } from '#api/routes';
import { PROBLEM_BASE } from '#domain/errors';
import { HISTORY_INPUT_CAP } from '#domain/history';
import { METADATA_MAX_PAIRS, METADATA_MAX_VALUE_LENGTH } from '#domain/metadata';
import { RETRY_AFTER_MAX, RETRY_AFTER_MIN } from '#domain/representation';
import { RESULT_LINK_SECONDS } from '#domain/result-pointer';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, MAX_ATTEMPTS } from '#domain/task';
import type { TaskTypeSchemas } from '#domain/task-types';
import { DEFAULT_RETRY_DELAYS, WEBHOOK_USER_AGENT } from '#domain/webhook';
import { examples, webhooks } from './openapi-examples.ts';
import { HEADERS, PARAMETERS, ref, schemas } from './openapi-schemas.ts';

const problem = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const retryAfterHeader = { $ref: '#/components/headers/Retry-After' };
const locationHeader = { $ref: '#/components/headers/Location' };
const preferenceApplied = {
  description: 'With `Prefer: wait=N`: `wait=N`, the wait honoured.',
  schema: { type: 'string', pattern: '^wait=[0-9]+$' },
};
const json = (schema: unknown, example?: unknown) => ({ 'application/json': { schema, ...(example !== undefined && { example }) } });
const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const query = (name: string, description: string, schema: Record<string, unknown>, example?: unknown) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
  ...(example !== undefined && { example }),
});

const delays = DEFAULT_RETRY_DELAYS.map((d) => (d < 60 ? `${d} s` : d < 3600 ? `${d / 60} min` : `${d / 3600} h`)).join(', ');

/** What a deployment serves besides the core routes. */
export interface OpenApiOptions {
  /** The live channel (`POST /watch-tokens`, its tag, schemas and paragraph). @default true */
  liveUpdates?: boolean;
}

/** The API's OpenAPI document, describing only what the deployment serves. */
export function openApiDocument(taskTypes: TaskTypeSchemas, options: OpenApiOptions = {}): Record<string, unknown> {
  const document = fullDocument(taskTypes);
  return options.liveUpdates === false ? withoutLiveChannel(document) : document;
}

/** A deployment built with `liveUpdates: false` has no `POST /watch-tokens`: its document does not name it. */
function withoutLiveChannel(document: ReturnType<typeof fullDocument>): Record<string, unknown> {
  const { '/watch-tokens': _route, ...paths } = document.paths;
  const { WatchToken: _token, WatchTokenRequest: _request, ...schemas } = document.components.schemas;
  const description = document.info.description
    .split('\n\n')
    .filter((paragraph) => !paragraph.startsWith('Live channel:'))
    .join('\n\n');
  return {
    ...document,
    info: { ...document.info, description },
    tags: document.tags.filter((tag) => tag.name !== 'live'),
    paths,
    components: { ...document.components, schemas },
  };
}

function fullDocument(taskTypes: TaskTypeSchemas) {
  const ex = examples(taskTypes);
  const common = {
    '401': problem('Missing or unknown API key (or token, in JWT mode).'),
    '403': problem('Refused, e.g. by the web application firewall.'),
    '429': problem('Rate limit or quota exceeded.'),
    '503': problem('Briefly unavailable.', { 'Retry-After': retryAfterHeader }),
  };
  const taskResponses = { '404': problem('No such task for this caller.'), '410': problem('Past its retention period, or purged.') };
  const taskHeaders = { Location: locationHeader, 'Retry-After': retryAfterHeader };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Longrun',
      version: '1.0.0',
      summary: 'Long-running work behind an asynchronous HTTP API.',
      description: [
        'Submit a task and get `202 Accepted` with a `Location` at once; poll it (honouring `Retry-After` and `ETag`), fetch its result, or cancel it; retry it, answer its questions, find it by tag, or erase it.',
        `Retry-After rule: while a task is not terminal, a fifth of its age, capped by the time left until its estimated end (\`progress.estimatedCompletionAt\`), within [${RETRY_AFTER_MIN}, ${RETRY_AFTER_MAX}] seconds; absent once terminal.`,
        'Retention: terminal tasks stay readable for the configured retention (default 7 days), then answer 410, as does any id minted longer ago than the retention whose task is gone, and a purged task.',
        'Idempotency-Key (IETF httpapi draft): the same key and body (and `Cancel-After`) from the same caller return the same task, with no second execution; a different body answers 422. Keys are kept 24 hours.',
        `Every error is RFC 9457 problem details with a stable \`type\` under ${PROBLEM_BASE}.`,
        'URLs: `Location`, `Operation-Location`, `Content-Location`, `links` and `resourceLocation` are absolute, built from the host and the path prefix the request came through (the stage on the execute-api URL, the base path behind a custom domain).',
        `Long poll: \`Prefer: wait=N\` (RFC 7240) on \`GET /tasks/{id}\` and on the result monitor answers as soon as the task differs from \`If-None-Match\` (or from its state when the request arrived), once it is terminal, or after N seconds (at most ${MAX_WAIT_SECONDS}); \`Preference-Applied\` says so. On \`POST /tasks\` it waits for the outcome: a task that ends within N seconds is answered \`200\` with its final state (and inline result). A malformed preference is ignored.`,
        `Live channel: \`POST /watch-tokens\` (with the API key) gives a short-lived watch token for one task or for all of the caller's tasks, and the URL of a WebSocket API to connect to with it (\`?token=\`; a browser needs no API key). Send \`{ "action": "subscribe", "taskId"?, "since"? }\`; the answer is the task's current state when it is newer than \`since\` (else \`{ "event": "subscribed" }\`), then each change arrives as \`{ "event": "status" | "progress" | "done", "id": <version>, "data": <Task> }\` (the event stream's events; at most one a second per task; drop a message whose \`id\` is not newer than the last). Refusals: \`{ "event": "error", "problem": <Problem> }\`. A connection counts as a held connection of its caller (past the cap the connection is refused with 429). See docs/live.md.`,
        'Deadlines: `Cancel-After` on submit gives the task a `deadline`; a task not finished by then ends `failed` with `deadline-exceeded`, within seconds (a pending one never starts, a running one is stopped). A retry gets a fresh deadline.',
        `Retry: \`POST /tasks/{id}/retry\` runs a failed or cancelled task again in place, as its next \`attempt\` (a new execution; at most ${MAX_ATTEMPTS} attempts); \`GET /tasks/{id}/history\` lists what happened to it (at most ${HISTORY_INPUT_CAP} entries before a wait for input is refused).`,
        'Input: a task whose worker waits carries `awaitingInput`; `POST /tasks/{id}/input` (or its capability URL `awaitingInput.url`, without an API key, once) resumes it, checked against `awaitingInput.schema`.',
        `Metadata: at most ${METADATA_MAX_PAIRS} tags on submit; \`GET /tasks\` filters on them, on \`type\`, \`status\` and the creation time, ANDed. Compensation: a deployment may roll back what a cancelled (or failed) task changed; the task then shows \`compensation\`.`,
        `Webhooks: a task submitted with \`callbackUrl\` is POSTed its outcome (and, with \`callbackEvents\`, \`task.running\`, \`task.progress\`, \`task.input_required\`), at least once, as \`{ type, timestamp, data: <Task> }\` in the Standard Webhooks format (\`webhook-id\` stable across retries, \`webhook-timestamp\`, \`webhook-signature\`), signed with the caller's secret (\`GET /webhook-secret\`), User-Agent \`${WEBHOOK_USER_AGENT}\`: see \`webhooks\`. Retries after ${delays} (+0-20 % jitter, or a longer \`Retry-After\`); any 2xx delivers, 410 stops, anything else retries. The task's \`callback\` shows the delivery state of the newest event.`,
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `/${STAGE_NAME}`, description: 'This deployment' }],
    security: [{ ApiKey: [] }],
    tags: [
      { name: 'tasks', description: 'Asynchronous tasks' },
      { name: 'webhooks', description: 'Signing secret of the webhooks, and the webhooks sent' },
      { name: 'live', description: 'Watch tokens for the live channel (a WebSocket API)' },
      { name: 'meta', description: 'This document and the console' },
    ],
    paths: {
      '/tasks': {
        post: {
          operationId: 'submitTask',
          tags: ['tasks'],
          summary: 'Submit a task',
          parameters: [
            param('IdempotencyKey'),
            param('CancelAfter'),
            param('PreferOutcome'),
            query(
              'location',
              'What `Location` points at: the task (default) or its result monitor (`result`, for Logic Apps / Power Automate). Any other value is a 400.',
              { type: 'string', enum: ['task', 'result'], default: 'task' },
              'task',
            ),
          ],
          requestBody: { required: true, content: json(ref('Submission'), ex.submission) },
          responses: {
            '200': {
              description:
                'With `Prefer: wait=N`: the task ended within N seconds; its final state, with `result` when it succeeded with an inline one.',
              headers: {
                'Content-Location': { description: 'Absolute URL of the task.', required: true, schema: { type: 'string', format: 'uri' } },
                'Preference-Applied': preferenceApplied,
              },
              content: json(ref('TaskWithResult'), ex.succeededWithResult),
            },
            '202': {
              description: 'Accepted; poll `Location` (or `Operation-Location`), or follow `GET /tasks/{id}/events`.',
              headers: {
                Location: locationHeader,
                'Operation-Location': {
                  description: 'Absolute URL of the task (Azure long-running operation convention).',
                  required: true,
                  schema: { type: 'string', format: 'uri' },
                },
                'Retry-After': retryAfterHeader,
                'Preference-Applied': preferenceApplied,
              },
              content: json(ref('Task'), ex.submitted),
            },
            '400': problem(
              'Malformed JSON, schema violation (e.g. `/metadata`), unknown task type, `location` value or `Cancel-After`; names the offending field.',
            ),
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
          description: [
            'Filters, all ANDed: `status`, `type`, `createdAfter` / `createdBefore` (RFC 3339, exclusive), and `metadata.<key>=<value>` (repeatable, one per tag, e.g. `?metadata.customer=acme&metadata.batch=2026-12`).',
            'A filtered page may hold fewer than `limit` tasks (even none) while `nextCursor` says there are more: each call reads at most five index pages, so a rare match costs bounded reads per call. Follow `nextCursor` until it is null.',
          ].join('\n\n'),
          parameters: [
            query('status', 'Only tasks with this status.', ref('TaskStatus'), 'failed'),
            query('type', 'Only tasks of this type.', { type: 'string' }, Object.keys(taskTypes)[0]),
            query('createdAfter', 'Only tasks created after this time.', { type: 'string', format: 'date-time' }, '2026-12-01T00:00:00Z'),
            query('createdBefore', 'Only tasks created before this time.', { type: 'string', format: 'date-time' }, '2026-12-31T00:00:00Z'),
            // One parameter per tag, named after it: OpenAPI has no pattern for parameter names, so this one stands for them all.
            query(
              'metadata.{key}',
              'Only tasks whose tag `{key}` has this value; repeatable, one per tag (`?metadata.customer=acme&metadata.batch=2026-12`).',
              { type: 'string', maxLength: METADATA_MAX_VALUE_LENGTH },
              'acme',
            ),
            query('limit', 'Page size.', { type: 'integer', minimum: 1, maximum: LIST_MAX_LIMIT, default: LIST_DEFAULT_LIMIT }, 20),
            query('cursor', 'Opaque; `nextCursor` of the previous page, with the same filters.', { type: 'string' }, ex.list.nextCursor),
          ],
          responses: {
            '200': { description: 'A page of tasks.', content: json(ref('TaskList'), ex.list) },
            '400': problem('Bad status, limit, cursor, time or metadata filter; names the parameter.'),
            ...common,
          },
        },
      },
      '/tasks/{id}': {
        parameters: [param('TaskId')],
        get: {
          operationId: 'getTask',
          tags: ['tasks'],
          summary: 'Status and progress of a task',
          parameters: [
            { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, example: '"3n4b5Qf0kq3Xy1m8VhJt7cZ2aEo"' },
            param('Prefer'),
          ],
          responses: {
            '200': {
              description: 'The task.',
              headers: { ETag: { $ref: '#/components/headers/ETag' }, 'Retry-After': retryAfterHeader, 'Preference-Applied': preferenceApplied },
              content: json(ref('Task'), ex.running),
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
          summary: 'Cancel a task, or purge it',
          description: [
            'Cancelling a pending or running task records it as cancelled and stops its execution; cancelling a cancelled task answers the same again.',
            "With `?purge=true`: the task's input, result (the stored object too), error detail, metadata and history are erased now, not at retention (an open task is cancelled first); `204`, and from then on every route answers `410` for it.",
          ].join('\n\n'),
          parameters: [query('purge', 'Erase the task now (`true`) instead of cancelling it.', { type: 'boolean', default: false }, true)],
          responses: {
            '200': { description: 'Cancelled.', content: json(ref('Task'), ex.cancelled) },
            '204': { description: 'Purged.' },
            '400': problem('`purge` is neither true nor false.'),
            '409': problem('Already succeeded or failed (a cancel).'),
            ...taskResponses,
            ...common,
          },
        },
      },
      '/tasks/{id}/result': {
        parameters: [param('TaskId')],
        get: {
          operationId: 'getTaskResult',
          tags: ['tasks'],
          summary: 'The result monitor: 202 while the task runs, its result once it succeeded',
          description:
            'Polled by Logic Apps / Power Automate and ARM-style pollers (submit with `?location=result`): they wait `Retry-After` and poll `Location` while it answers 202, and take the first other answer as the outcome.',
          parameters: [param('Prefer')],
          responses: {
            '200': { description: "The worker's result.", headers: { 'Preference-Applied': preferenceApplied }, content: json({}, ex.result) },
            '202': {
              description: 'Pending or running: poll `Location` (this URL) again after `Retry-After`; the body is the task.',
              headers: { ...taskHeaders, 'Preference-Applied': preferenceApplied },
              content: json(ref('Task'), ex.running),
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
      '/tasks/{id}/retry': {
        parameters: [param('TaskId')],
        post: {
          operationId: 'retryTask',
          tags: ['tasks'],
          summary: 'Retry a failed or cancelled task',
          description: `The task goes back to \`pending\` as its next \`attempt\` (the worker sees it in its event), with a fresh deadline if the submit had \`Cancel-After\`, and runs in a new execution. Open or succeeded: 409; after ${MAX_ATTEMPTS} attempts: 409.`,
          responses: {
            '202': { description: 'Retrying; poll `Location` (the same task).', headers: taskHeaders, content: json(ref('Task'), ex.retried) },
            '409': problem('Pending, running or succeeded (`taskStatus`), or no attempts left.'),
            ...taskResponses,
            ...common,
          },
        },
      },
      '/tasks/{id}/input': {
        parameters: [param('TaskId')],
        post: {
          operationId: 'sendInput',
          tags: ['tasks'],
          summary: 'Send the input the task waits for',
          description:
            'The body is checked against `awaitingInput.schema` (400 naming each offending field), then the worker resumes with it. No input awaited (or no longer): 409.',
          requestBody: { required: true, content: json({}, ex.input) },
          responses: {
            '202': { description: 'Taken; the worker resumes.', headers: { Location: locationHeader }, content: json(ref('Task'), ex.running) },
            '400': problem('Malformed JSON, or the input breaks the awaited schema; names each field.'),
            '409': problem('The task is not waiting for input.'),
            '413': problem('Body over 256 KiB.'),
            '415': problem('Body is not application/json.'),
            ...taskResponses,
            ...common,
          },
        },
      },
      '/tasks/{id}/input/{capability}': {
        parameters: [
          param('TaskId'),
          {
            name: 'capability',
            in: 'path',
            required: true,
            schema: { type: 'string', maxLength: 64 },
            example: 'QPvGRAV4SCtzMmm4X-wnfBf2EGJXmJY87C65fh1ZMkw',
          },
        ],
        post: {
          operationId: 'sendInputByCapability',
          tags: ['tasks'],
          summary: 'Send the input through a capability URL (`awaitingInput.url`), without an API key',
          description:
            'The URL is the credential: for this wait of this task, once. The body is checked like `POST /tasks/{id}/input`. A forged, used or expired URL (or a task that no longer waits) answers 404, and nothing about the task is shown.',
          security: [],
          requestBody: { required: true, content: json({}, ex.input) },
          responses: {
            '204': { description: 'Taken; the worker resumes.' },
            '400': problem('Malformed JSON, or the input breaks the awaited schema; names each field.'),
            '404': problem('No such wait: forged, used or expired.'),
            '413': problem('Body over 256 KiB.'),
            '415': problem('Body is not application/json.'),
            '429': common['429'],
            '503': common['503'],
          },
        },
      },
      '/tasks/{id}/history': {
        parameters: [param('TaskId')],
        get: {
          operationId: 'getTaskHistory',
          tags: ['tasks'],
          summary: 'What happened to the task, oldest first',
          description:
            'Submitted, started, input awaited and received, retried, the outcome of each attempt, the compensation; never a progress report.',
          responses: { '200': { description: 'The history.', content: json(ref('History'), ex.history) }, ...taskResponses, ...common },
        },
      },
      '/tasks/{id}/events': {
        parameters: [param('TaskId')],
        get: {
          operationId: 'streamTaskEvents',
          tags: ['tasks'],
          summary: 'Server-sent events: the task now, then every change, ending with its outcome',
          description: [
            'A `text/event-stream`: `event: status` (the first event, and whenever the status changes), `event: progress` (progress only), `event: done` (terminal; the stream then ends). Each `data` is the task representation and each `id` its version, which only grows.',
            'Send `Last-Event-ID` to resume: only a newer state is sent (a malformed value gets the full snapshot). A comment (`: ping`) every 15 s keeps the connection open; the stream ends after 14 minutes, and clients reconnect (`retry:`).',
            'Browsers: `EventSource` cannot send `x-api-key`; read the stream with `fetch` (see examples/progress.html).',
          ].join('\n\n'),
          parameters: [{ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, example: '7' }],
          responses: {
            '200': {
              description: 'The event stream.',
              content: {
                'text/event-stream': { schema: { type: 'string' }, example: `id: 7\nevent: progress\ndata: ${JSON.stringify(ex.running)}\n\n` },
              },
            },
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
              content: json(ref('WebhookSecret'), ex.webhookSecret),
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
          responses: {
            '200': {
              description: 'The new secret.',
              content: json(ref('WebhookSecret'), { ...ex.webhookSecret, previousSecretExpiresAt: '2026-12-05T09:00:00.000Z' }),
            },
            ...common,
          },
        },
      },
      '/watch-tokens': {
        post: {
          operationId: 'createWatchToken',
          tags: ['live'],
          summary: 'A short-lived token to follow a task (or all of the caller’s tasks) on the live channel',
          description: [
            'The token opens one WebSocket connection (`url`, which carries it) until `expiresAt`; the connection then lives on (up to 2 hours). A token for a task follows that task only; without `taskId`, every task of the caller (a dashboard). Hand it to a browser instead of the API key.',
            'On the connection: `{ "action": "subscribe", "taskId"?, "since"? }` answers the current state if newer than `since`, then every change (`status`, `progress`, `done`, each with `id` = the task version). A token for another task is refused (403 problem in an `error` message); an unknown or expired token, and a caller past its cap of held connections, are refused at connect (401, 429).',
          ].join('\n\n'),
          requestBody: { required: false, content: json(ref('WatchTokenRequest'), { taskId: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' }) },
          responses: {
            '201': {
              description: 'The token.',
              content: json(ref('WatchToken'), {
                token: 'lrw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG',
                expiresAt: '2026-12-04T12:05:00Z',
                url: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/v1?token=lrw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG',
                taskId: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b',
              }),
            },
            '400': problem('Malformed JSON, or a member other than `taskId`.'),
            '404': problem('No such task for this caller.'),
            '410': problem('The task is past its retention period.'),
            '415': problem('A body that is not application/json.'),
            ...common,
          },
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
              content: {
                'text/html': { schema: { type: 'string' }, example: '<!doctype html><html lang="en"><head><title>Longrun console</title>…' },
              },
            },
            '429': problem('Rate limit exceeded.'),
          },
        },
      },
      '/console/{asset}': {
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: Object.keys(CONSOLE_ASSETS) },
            example: Object.keys(CONSOLE_ASSETS)[0],
          },
        ],
        get: {
          operationId: 'getConsoleAsset',
          tags: ['meta'],
          summary: "The console's script or stylesheet",
          security: [],
          responses: {
            '200': {
              description: 'The file; with `?v=` as the page names it, cacheable for good.',
              content: Object.fromEntries(
                Object.values(CONSOLE_ASSETS).map((type) => [
                  type.split(';')[0]!,
                  { schema: { type: 'string' }, example: type.startsWith('text/css') ? ':root{…}' : '(()=>{…})();' },
                ]),
              ),
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
            '200': {
              description: 'OpenAPI 3.1 document.',
              content: json({ type: 'object' }, { openapi: '3.1.0', info: { title: 'Longrun', version: '1.0.0' } }),
            },
            // Stage throttling applies to public routes too.
            '429': problem('Rate limit exceeded.'),
          },
        },
      },
    },
    webhooks: webhooks(taskTypes),
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Issued through API Gateway usage plans.' } },
      parameters: PARAMETERS,
      headers: HEADERS,
      schemas: schemas(taskTypes),
    },
  };
}
