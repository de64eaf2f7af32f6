/**
 * The HTTP routes, declared once. The CDK construct builds API Gateway resources and one
 * function per route from this list; the local stack serves the synthesized template, which
 * was built from it, so the two cannot drift.
 */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway resource path, below the stage (`/v1`). */
  path: string;
  /** The handler module `lambdas/http/<handler>.ts`, exporting `handler`; routes that name the same handler share one function. */
  handler: string;
  /** Whether the caller must present credentials (API key or JWT). */
  authenticated: boolean;
  /** The function's timeout; the default (10 s) suits a route that answers from one or two AWS calls. */
  timeoutSeconds?: number;
  /** Response streaming (`responseTransferMode: STREAM`): the handler is `awslambda.streamifyResponse`. */
  streaming?: boolean;
  /** The function's memory (MB); the default is 256. */
  memorySize?: number;
  /** Part of the live channel: built only when the construct has one (`liveUpdates`). */
  live?: boolean;
}

/** The longest `Prefer: wait=N` honoured: API Gateway ends a REST integration at 29 s; 25 s leaves room for the last read and the answer. */
export const MAX_WAIT_SECONDS = 25;
/** A long poll waits up to MAX_WAIT_SECONDS; the function gets a little longer, under API Gateway's 29 s. */
const LONG_POLL_TIMEOUT_SECONDS = 28;
/** An event stream ends itself at 14 minutes; Lambda's and API Gateway's streaming limit is 15. */
const STREAM_TIMEOUT_SECONDS = 15 * 60;

export const ROUTES: readonly Route[] = [
  // Waits up to MAX_WAIT_SECONDS with `Prefer: wait=N`.
  { method: 'POST', path: '/tasks', handler: 'submit-task', authenticated: true, timeoutSeconds: LONG_POLL_TIMEOUT_SECONDS },
  { method: 'GET', path: '/tasks', handler: 'list-tasks', authenticated: true },
  { method: 'GET', path: '/tasks/{id}', handler: 'get-task', authenticated: true, timeoutSeconds: LONG_POLL_TIMEOUT_SECONDS },
  { method: 'DELETE', path: '/tasks/{id}', handler: 'cancel-task', authenticated: true },
  { method: 'GET', path: '/tasks/{id}/result', handler: 'get-task-result', authenticated: true, timeoutSeconds: LONG_POLL_TIMEOUT_SECONDS },
  {
    method: 'GET',
    path: '/tasks/{id}/events',
    handler: 'task-events',
    authenticated: true,
    timeoutSeconds: STREAM_TIMEOUT_SECONDS,
    streaming: true,
    // Billed for every second a stream is open while it mostly sleeps: 128 MB costs ~43 % less per minute (bench/live.ts).
    memorySize: 128,
  },
  { method: 'POST', path: '/tasks/{id}/retry', handler: 'retry-task', authenticated: true },
  { method: 'POST', path: '/tasks/{id}/input', handler: 'send-input', authenticated: true },
  // A capability URL: the path is the credential (an approver without an API key), for one wait of one task.
  { method: 'POST', path: '/tasks/{id}/input/{capability}', handler: 'send-input-by-capability', authenticated: false },
  { method: 'GET', path: '/tasks/{id}/history', handler: 'get-task-history', authenticated: true },
  { method: 'GET', path: '/webhook-secret', handler: 'get-webhook-secret', authenticated: true },
  { method: 'POST', path: '/webhook-secret', handler: 'rotate-webhook-secret', authenticated: true },
  { method: 'POST', path: '/watch-tokens', handler: 'create-watch-token', authenticated: true, live: true },
  { method: 'GET', path: '/openapi.json', handler: 'get-openapi', authenticated: false },
  // The console: its page, and the two files the page loads (one function serves the three; docs/console.md).
  { method: 'GET', path: '/console', handler: 'get-console', authenticated: false },
  { method: 'GET', path: '/console/{asset}', handler: 'get-console', authenticated: false },
];

/** The console's files (`GET /console/{asset}`, built from lambdas/console) and their media types. */
export const CONSOLE_ASSETS = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' } as const;

/** The API Gateway stage; every URL the API hands out starts with it. */
export const STAGE_NAME = 'v1';
