/**
 * The HTTP routes, declared once. The CDK construct builds API Gateway resources and one
 * function per route from this list; the local stack serves the synthesized template, which
 * was built from it, so the two cannot drift.
 */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway resource path, below the stage (`/v1`). */
  path: string;
  /** The handler module `lambdas/http/<handler>.ts`, exporting `handler`. */
  handler: string;
  /** Whether the caller must present credentials (API key or JWT). */
  authenticated: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/tasks', handler: 'submit-task', authenticated: true },
  { method: 'GET', path: '/tasks', handler: 'list-tasks', authenticated: true },
  { method: 'GET', path: '/tasks/{id}', handler: 'get-task', authenticated: true },
  { method: 'DELETE', path: '/tasks/{id}', handler: 'cancel-task', authenticated: true },
  { method: 'GET', path: '/tasks/{id}/result', handler: 'get-task-result', authenticated: true },
  { method: 'GET', path: '/webhook-secret', handler: 'get-webhook-secret', authenticated: true },
  { method: 'POST', path: '/webhook-secret', handler: 'rotate-webhook-secret', authenticated: true },
  { method: 'GET', path: '/openapi.json', handler: 'get-openapi', authenticated: false },
];

/** The API Gateway stage; every URL the API hands out starts with it. */
export const STAGE_NAME = 'v1';
