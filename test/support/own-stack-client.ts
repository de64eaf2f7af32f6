/**
 * A small API client for tests that start a local stack of their own (with their own options): JSON
 * requests with one API key, a submit that expects 202, and a wait for a task's state.
 */
import { expect } from 'vitest';

export interface OwnStackClient {
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  submit(type: string, input: unknown): Promise<string>;
  waitFor(id: string, done: (task: any) => boolean, ms?: number): Promise<any>;
}

/** `baseUrl` is read at each request: the stack starts after the client is made. */
export function ownStackClient(baseUrl: () => string, key: string): OwnStackClient {
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function submit(type: string, input: unknown): Promise<string> {
    const res = await api('POST', '/tasks', { type, input });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }
  async function waitFor(id: string, done: (task: any) => boolean, ms = 45_000): Promise<any> {
    const deadline = Date.now() + ms;
    for (;;) {
      const { body } = await api('GET', `/tasks/${id}`);
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { api, submit, waitFor };
}
