/**
 * Real HTTP against the local stack. Every response is checked against the OpenAPI document as
 * it arrives, so each end-to-end test also proves the document tells the truth.
 */
import { apiKeyId } from '@longrun/local';
import { expect, inject } from 'vitest';
import { violations } from './openapi-conformance.ts';
import { fetchRetryingThrottles, type ThrottleCount } from './throttle-retry.ts';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text, sent as is. */
  raw?: string;
  headers?: Record<string, string>;
  /** API key to send; `null` sends none. Defaults to the first test key. */
  key?: string | null;
  /** Skip the conformance check (for deliberately broken requests the gateway answers). */
  unchecked?: boolean;
  /** Wait out and resend capacity answers (503/429 with Retry-After), counting them here, as a good client does. */
  retryThrottles?: ThrottleCount;
}

export function localStack() {
  return inject('localStack');
}

/** The owner the API records for a caller presenting `key`: its consumer, or the key itself when it has none. */
export function ownerOf(key: string): string {
  const consumer = localStack().consumers[key];
  return consumer ? `consumer:${consumer}` : `key:${apiKeyId(key)}`;
}

export async function http(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const stack = localStack();
  const key = options.key === undefined ? stack.apiKeys[0] : options.key;
  const headers: Record<string, string> = { ...(key && { 'x-api-key': key }), ...options.headers };
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const url = path.startsWith('http') ? path : `${stack.baseUrl}${path.replace(/^\/v1/, '')}`;
  const init = { method, headers, ...(body !== undefined && { body }) };
  const response = options.retryThrottles ? await fetchRetryingThrottles(url, init, options.retryThrottles) : await fetch(url, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!options.unchecked) {
    const found = violations(method, new URL(url).pathname, response.status, response.headers, text);
    expect(found, `${method} ${path} -> ${response.status} conforms to the OpenAPI document`).toEqual([]);
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a task until `done(task)` or the deadline, honouring Retry-After but never past `maxWaitMs` per poll. */
export async function pollUntil(
  location: string,
  done: (task: any) => boolean,
  options: { key?: string; timeoutMs?: number; maxWaitMs?: number } = {},
) {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const seen: any[] = [];
  for (;;) {
    // A poller waits out a capacity answer (503 + Retry-After) as any good client does.
    const response = await http('GET', location, { ...(options.key && { key: options.key }), retryThrottles: { throttled: 0 } });
    expect(response.status).toBe(200);
    seen.push(response.body);
    if (done(response.body)) return { task: response.body, seen, response };
    if (Date.now() > deadline) throw new Error(`task never reached the expected state; last: ${JSON.stringify(response.body)}`);
    const retryAfter = Number(response.headers.get('retry-after') ?? 1);
    await sleep(Math.min(retryAfter * 1000, options.maxWaitMs ?? 200));
  }
}
