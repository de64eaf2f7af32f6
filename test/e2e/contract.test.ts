import { describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { putRow } from '../support/fixtures.ts';
import { http, localStack, ownerOf, pollUntil } from '../support/http.ts';

const sleepTask = (seconds = 1) => ({ type: 'sleep', input: { seconds } });
const DAY = 86_400_000;

describe('Idempotency-Key', () => {
  it('same key and body: the same task and Location, and one execution, even when the requests race', async () => {
    const key = `race-${crypto.randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => http('POST', '/tasks', { body: sleepTask(2), headers: { 'Idempotency-Key': key } })),
    );
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([202]));
    expect(new Set(responses.map((r) => r.headers.get('location'))).size).toBe(1);
    const list = await http('GET', '/tasks?limit=100');
    expect(list.body.items.filter((t: { id: string }) => t.id === responses[0]!.body.id)).toHaveLength(1);
    // The one execution runs to completion; a second one would have been refused by name anyway.
    const { task } = await pollUntil(responses[0]!.headers.get('location')!, (t) => t.status === 'succeeded', { maxWaitMs: 500 });
    expect(task.status).toBe('succeeded');
  });

  it('same key, different body: 422 problem', async () => {
    const key = `k-${crypto.randomUUID()}`;
    await http('POST', '/tasks', { body: sleepTask(1), headers: { 'Idempotency-Key': key } });
    const reused = await http('POST', '/tasks', { body: sleepTask(2), headers: { 'Idempotency-Key': key } });
    expect(reused.status).toBe(422);
    expect(reused.body.type).toBe('https://longrun.dev/problems/idempotency-key-reused');
  });

  it('is scoped to the caller', async () => {
    const key = `k-${crypto.randomUUID()}`;
    const [a, b] = localStack().apiKeys;
    const mine = await http('POST', '/tasks', { body: sleepTask(1), headers: { 'Idempotency-Key': key }, key: a! });
    const theirs = await http('POST', '/tasks', { body: sleepTask(1), headers: { 'Idempotency-Key': key }, key: b! });
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('refuses a malformed key with 400', async () => {
    const response = await http('POST', '/tasks', { body: sleepTask(1), headers: { 'Idempotency-Key': 'x'.repeat(300) } });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('https://longrun.dev/problems/invalid-parameter');
  });
});

describe('ETag and Retry-After on GET /tasks/{id}', () => {
  it('answers 304 to a matching If-None-Match, and 200 with a new ETag once the task changes', async () => {
    const submitted = await http('POST', '/tasks', { body: sleepTask(3600) });
    const location = submitted.headers.get('location')!;
    const { response: first } = await pollUntil(location, (t) => t.status === 'running');
    const etag = first.headers.get('etag')!;
    const unchanged = await http('GET', location, { headers: { 'If-None-Match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    await http('DELETE', location);
    const changed = await http('GET', location, { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('sends Retry-After only while the task is not terminal', async () => {
    const submitted = await http('POST', '/tasks', { body: { type: 'fail', input: { message: 'no' } } });
    expect(submitted.headers.get('retry-after')).toBe('1');
    const { task, response } = await pollUntil(submitted.headers.get('location')!, (t) => t.status === 'failed');
    expect(task.status).toBe('failed');
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('derives Retry-After from the task age: an hour-old task is polled less often than a new one', async () => {
    const [key] = localStack().apiKeys;
    const owner = ownerOf(key!);
    const young = await putRow({ owner, type: 'sleep', status: 'running', startedAt: new Date().toISOString() });
    const old = await putRow(
      { owner, type: 'sleep', status: 'running', startedAt: new Date(Date.now() - 3_600_000).toISOString() },
      Date.now() - 3_600_000,
    );
    const youngWait = Number((await http('GET', `/tasks/${young.id}`)).headers.get('retry-after'));
    const oldWait = Number((await http('GET', `/tasks/${old.id}`)).headers.get('retry-after'));
    expect(youngWait).toBe(1);
    expect(oldWait).toBe(30);
  });
});

describe('GET /tasks', () => {
  it('pages newest first with limit and cursor, filters by status, and shows only the caller its own tasks', async () => {
    const [a, b] = localStack().apiKeys;
    const ownerA = ownerOf(a!);
    const start = Date.now() - 1000;
    const seeded = [];
    for (let i = 0; i < 5; i++) seeded.push(await putRow({ owner: ownerA, status: 'failed', completedAt: new Date().toISOString() }, start + i));
    const first = await http('GET', '/tasks?status=failed&limit=2', { key: a! });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.map((t: { status: string }) => t.status)).toEqual(['failed', 'failed']);
    const ids = first.body.items.map((t: { id: string }) => t.id);
    expect(ids).toEqual([...ids].sort().reverse());
    const second = await http('GET', `/tasks?status=failed&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: a! });
    expect(second.body.items[0].id < ids[1]).toBe(true);
    const theirs = await http('GET', '/tasks?limit=100', { key: b! });
    const seededIds = new Set(seeded.map((t) => t.id));
    expect(theirs.body.items.some((t: { id: string }) => seededIds.has(t.id))).toBe(false);
  });

  it('answers 400 to a tampered cursor and to limits out of range', async () => {
    const page = await http('GET', '/tasks?limit=1');
    const cursor: string = page.body.nextCursor ?? Buffer.from('{"v":1,"after":"x"}').toString('base64url');
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}x`;
    expect((await http('GET', `/tasks?cursor=${tampered}`)).status).toBe(400);
    expect((await http('GET', '/tasks?limit=0')).status).toBe(400);
    const tooMany = await http('GET', '/tasks?limit=101');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toContain('limit');
  });
});

describe('retention', () => {
  it('answers 410 for a task past retention, whether or not TTL has deleted its row', async () => {
    const [key] = localStack().apiKeys;
    const owner = ownerOf(key!);
    const longAgo = Date.now() - 30 * DAY;
    const expired = await putRow(
      { owner, status: 'succeeded', completedAt: new Date(longAgo).toISOString(), result: '1', ttl: Math.floor(Date.now() / 1000) + 60 },
      longAgo,
    );
    for (const path of [`/tasks/${expired.id}`, `/tasks/${expired.id}/result`]) {
      const response = await http('GET', path);
      expect(response.status).toBe(410);
      expect(response.body.type).toBe('https://longrun.dev/problems/gone');
    }
    expect((await http('GET', `/tasks/${newTaskId(longAgo)}`)).status).toBe(410);
    expect((await http('GET', `/tasks/${newTaskId()}`)).status).toBe(404);
  });
});

describe('size, media type and method rules', () => {
  it('answers 413 to a body over 256 KiB', async () => {
    const response = await http('POST', '/tasks', { body: { type: 'fail', input: { message: 'x'.repeat(300_000) } } });
    expect(response.status).toBe(413);
  });

  it('answers 415 to anything but JSON', async () => {
    const response = await http('POST', '/tasks', { raw: 'type=sleep', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
    expect(response.body.type).toBe('https://longrun.dev/problems/unsupported-media-type');
  });

  it.each([
    // The test stack allows one CORS origin, so OPTIONS (the preflight) is allowed everywhere.
    ['PUT', '/tasks', 'GET, OPTIONS, POST'],
    ['PATCH', `/tasks/${newTaskId()}`, 'DELETE, GET, OPTIONS'],
    ['POST', `/tasks/${newTaskId()}/result`, 'GET, OPTIONS'],
  ])('answers 405 with Allow to %s %s', async (method, path, allow) => {
    const response = await http(method, path, { raw: '{}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')?.split(/,\s*/).sort().join(', ')).toBe(allow);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 problem for a route that does not exist', async () => {
    const response = await http('GET', '/nothing/here');
    expect(response.status).toBe(404);
    expect(response.body.type).toBe('https://longrun.dev/problems/not-found');
  });

  it('serves the OpenAPI document without a key', async () => {
    const response = await http('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/tasks', '/tasks/{id}', '/tasks/{id}/result']));
  });
});

describe('CORS for browser clients', () => {
  const origin = 'https://app.example.test';

  it('answers the preflight of an allowed origin with the methods and headers a client needs', async () => {
    const response = await fetch(`${localStack().baseUrl}/tasks`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,idempotency-key,x-api-key',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
  });

  it('exposes Location, Retry-After and ETag to an allowed origin, and nothing to another', async () => {
    const allowed = await http('POST', '/tasks', { body: sleepTask(0), headers: { Origin: origin } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/Location.*Retry-After.*ETag/);
    const other = await http('GET', '/tasks', { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
