/**
 * Two callers (the local stack's two keys) over real HTTP: neither can see, list, fetch the result
 * of or cancel the other's tasks; the other's task answers exactly as a task that never existed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { http, localStack, pollUntil } from '../support/http.ts';

// keyA and keyA2 are two keys of consumer alpha; keyB is consumer beta's.
const [keyA, keyB, keyA2] = localStack().apiKeys as [string, string, string];
const submitAs = (key: string, body: unknown, headers: Record<string, string> = {}) => http('POST', '/tasks', { key, body, headers });

/** A problem body with its per-request parts (`instance`: the path) taken out. */
function shape(body: Record<string, unknown>) {
  const { instance, ...rest } = body;
  expect(typeof instance).toBe('string');
  return rest;
}

let finished: { id: string; self: string; result: string };
let running: { id: string; self: string };

beforeAll(async () => {
  // One task of A's that has a result, one still running (so cancel would succeed for A).
  const done = await submitAs(keyA, { type: 'sleep', input: { seconds: 0 } });
  expect(done.status).toBe(202);
  await pollUntil(done.body.links.self, (t) => t.status === 'succeeded', { key: keyA, maxWaitMs: 300 });
  finished = { id: done.body.id, self: done.body.links.self, result: `${done.body.links.self}/result` };
  const slow = await submitAs(keyA, { type: 'sleep', input: { seconds: 600 } });
  expect(slow.status).toBe(202);
  running = { id: slow.body.id, self: slow.body.links.self };
});

describe("another caller's task is a task that does not exist", () => {
  const never = () => newTaskId(Date.now());

  it.each([
    ['GET', (t: { self: string }) => t.self],
    ['GET', (t: { self: string }) => `${t.self}/result`],
    ['DELETE', (t: { self: string }) => t.self],
  ])("%s: B gets the same 404 for A's task as for a never-existing id", async (method, url) => {
    for (const task of [finished, running]) {
      const theirs = await http(method, url(task), { key: keyB });
      const missing = await http(method, url({ self: task.self.replace(task.id, never()) }), { key: keyB });
      expect(theirs.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(theirs.headers.get('content-type')).toBe('application/problem+json');
      expect(shape(theirs.body)).toEqual(shape(missing.body));
      expect([...theirs.headers.keys()].sort()).toEqual([...missing.headers.keys()].sort());
    }
  });

  it.each([
    ['GET', '/history', undefined],
    ['POST', '/retry', undefined],
    ['POST', '/input', { approved: true }],
    ['DELETE', '?purge=true', undefined],
  ])("%s …%s: B gets the same 404 for A's task as for a never-existing id", async (method, suffix, body) => {
    for (const task of [finished, running]) {
      const theirs = await http(method, `${task.self}${suffix}`, { key: keyB, ...(body && { body }) });
      const missing = await http(method, `${task.self.replace(task.id, never())}${suffix}`, { key: keyB, ...(body && { body }) });
      expect(theirs.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(shape(theirs.body)).toEqual(shape(missing.body));
    }
  });

  it("B's purge and retry changed nothing: A's tasks are as they were", async () => {
    expect((await http('GET', finished.self, { key: keyA })).body.status).toBe('succeeded');
    expect((await http('GET', `${finished.self}/history`, { key: keyA })).status).toBe(200);
  });

  it("B's cancel changed nothing: A still sees its task running and its result", async () => {
    const still = await http('GET', running.self, { key: keyA });
    expect(still.status).toBe(200);
    // (The local stack times executions out after a while; cancelled is what must not happen.)
    expect(still.body.status).not.toBe('cancelled');
    expect((await http('GET', finished.result, { key: keyA })).status).toBe(200);
  });

  it("lists show only the caller's own tasks (every status, every page)", async () => {
    const idsOf = async (key: string, query = '') => {
      const ids: string[] = [];
      let next: string | null = `/tasks?limit=100${query}`;
      while (next) {
        const page = await http('GET', next, { key });
        expect(page.status).toBe(200);
        ids.push(...page.body.items.map((t: { id: string }) => t.id));
        next = page.body.nextCursor ? `/tasks?limit=100${query}&cursor=${page.body.nextCursor}` : null;
      }
      return ids;
    };
    const mine = await idsOf(keyA);
    expect(mine).toEqual(expect.arrayContaining([finished.id, running.id]));
    for (const query of ['', '&status=succeeded', '&status=running', '&status=pending']) {
      const theirs = await idsOf(keyB, query);
      expect(theirs).not.toContain(finished.id);
      expect(theirs).not.toContain(running.id);
    }
  });

  it("A's cursor gives B B's own listing, never A's tasks", async () => {
    const page = await http('GET', '/tasks?limit=1', { key: keyA });
    expect(page.body.nextCursor).toBeTruthy();
    const stolen = await http('GET', `/tasks?limit=100&cursor=${page.body.nextCursor}`, { key: keyB });
    expect(stolen.status).toBe(200);
    const ids = stolen.body.items.map((t: { id: string }) => t.id);
    expect(ids).not.toContain(finished.id);
    expect(ids).not.toContain(running.id);
  });
});

describe('Idempotency-Key is per caller', () => {
  it("B reusing A's key gets its own new task, and A's key still replays A's task", async () => {
    const key = `iso-${crypto.randomUUID()}`;
    const body = { type: 'sleep', input: { seconds: 0 } };
    const a = await submitAs(keyA, body, { 'Idempotency-Key': key });
    // Even with a different body (which A's key would refuse with 422), B is not affected.
    // ({"seconds":1}: the one body the fuzzer, which also uses key B, never sends.)
    const b = await submitAs(keyB, { type: 'sleep', input: { seconds: 1 } }, { 'Idempotency-Key': key });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
    const again = await submitAs(keyA, body, { 'Idempotency-Key': key });
    expect(again.body.id).toBe(a.body.id);
    expect((await http('GET', b.body.links.self, { key: keyA })).status).toBe(404);
  });
});

describe('a consumer, not a key, owns tasks and the webhook secret', () => {
  it("a second key of the same consumer sees, lists, fetches the result of and cancels the first key's tasks", async () => {
    expect((await http('GET', finished.self, { key: keyA2 })).body).toMatchObject({ id: finished.id, status: 'succeeded' });
    expect((await http('GET', finished.result, { key: keyA2 })).status).toBe(200);
    const listed = await http('GET', '/tasks?limit=100', { key: keyA2 });
    expect(listed.body.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([finished.id, running.id]));
    const mine = await submitAs(keyA2, { type: 'sleep', input: { seconds: 600 } });
    const cancelled = await http('DELETE', mine.body.links.self, { key: keyA });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    // Another consumer still sees none of it.
    expect((await http('GET', mine.body.links.self, { key: keyB })).status).toBe(404);
  });

  it('both keys of a consumer get the same webhook secret; another consumer a different one', async () => {
    const a = await http('GET', '/webhook-secret', { key: keyA });
    const a2 = await http('GET', '/webhook-secret', { key: keyA2 });
    const b = await http('GET', '/webhook-secret', { key: keyB });
    expect(a.status).toBe(200);
    expect(a2.body.secret).toBe(a.body.secret);
    expect(b.body.secret).not.toBe(a.body.secret);
  });
});

describe('no key, wrong key', () => {
  it.each([
    ['no key', null],
    ['a wrong key', 'not-a-key'],
    ['an empty key', ''],
    ['a key differing in case', keyA.toUpperCase()],
    ['a key with padding', `${keyA}x`],
  ])('%s: 401 problem on every authenticated route, and nothing was done', async (_, key) => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/tasks', { type: 'sleep', input: { seconds: 0 } }],
      ['GET', '/tasks'],
      ['GET', finished.self],
      ['GET', finished.result],
      ['DELETE', running.self],
    ];
    for (const [method, path, body] of routes) {
      const response = await http(method, path, { key: key as string | null, ...(body !== undefined && { body }), unchecked: true });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).toMatchObject({ status: 401, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
      expect(response.text).not.toContain(keyA);
    }
    const still = await http('GET', running.self, { key: keyA });
    expect(still.body.status).not.toBe('cancelled');
  });
});
