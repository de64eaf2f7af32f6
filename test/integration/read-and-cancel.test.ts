import { describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { handler as cancelTask } from '#http/cancel-task';
import { handler as getTask } from '#http/get-task';
import { handler as getResult } from '#http/get-task-result';
import { apiEvent, invoke } from '../support/api-event.ts';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { RETENTION_SECONDS, useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

const get = (apiKeyId: string, id: string, headers: Record<string, string> = {}) =>
  invoke(getTask, apiEvent({ method: 'GET', resource: '/tasks/{id}', pathParameters: { id }, apiKeyId, headers }));
const result = (apiKeyId: string, id: string) =>
  invoke(getResult, apiEvent({ method: 'GET', resource: '/tasks/{id}/result', pathParameters: { id }, apiKeyId }));
const cancel = (apiKeyId: string, id: string) =>
  invoke(cancelTask, apiEvent({ method: 'DELETE', resource: '/tasks/{id}', pathParameters: { id }, apiKeyId }));

const DAY = 86_400_000;

describe('GET /tasks/{id}', () => {
  it('answers 200 with the representation, an ETag and Retry-After while not terminal', async () => {
    const caller = newCaller();
    const row = await putRow({
      owner: caller.owner,
      status: 'running',
      startedAt: new Date().toISOString(),
      progress: { percent: 40, step: 'chunk 8' },
    });
    const response = await get(caller.apiKeyId, row.id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: row.id, status: 'running', progress: { percent: 40, step: 'chunk 8' } });
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('answers 304 to If-None-Match with the current ETag, and 200 once the task changed', async () => {
    const caller = newCaller();
    const row = await putRow({ owner: caller.owner, status: 'pending' });
    const first = await get(caller.apiKeyId, row.id);
    const again = await get(caller.apiKeyId, row.id, { 'If-None-Match': first.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.etag).toBe(first.headers.etag);
    await cancel(caller.apiKeyId, row.id);
    const changed = await get(caller.apiKeyId, row.id, { 'If-None-Match': first.headers.etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('sends no Retry-After once terminal', async () => {
    const caller = newCaller();
    const row = await putRow({ owner: caller.owner, status: 'succeeded', completedAt: new Date().toISOString(), result: '{"count":4}' });
    const response = await get(caller.apiKeyId, row.id);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body!.progress.percent).toBe(100);
  });

  it('answers another caller exactly as for a task that does not exist: 404', async () => {
    const [owner, stranger] = [newCaller(), newCaller()];
    const row = await putRow({ owner: owner.owner });
    const theirs = await get(stranger.apiKeyId, row.id);
    const missingId = newTaskId();
    const missing = await get(stranger.apiKeyId, missingId);
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect({ ...theirs.body, instance: undefined }).toEqual({ ...missing.body, instance: undefined });
    expect(theirs.headers['content-type']).toBe('application/problem+json');
  });

  it.each(['not-a-task-id', '..%2F..%2Fetc', 'x'.repeat(2000)])('answers 404 for the malformed id %j', async (id) => {
    const response = await get(newCaller().apiKeyId, id);
    expect(response.status).toBe(404);
  });
});

describe('retention', () => {
  it('answers 410 for a finished task past its retention, even before TTL deletes the row', async () => {
    const caller = newCaller();
    const longAgo = Date.now() - 30 * DAY;
    const row = await putRow(
      {
        owner: caller.owner,
        status: 'succeeded',
        completedAt: new Date(longAgo + 1000).toISOString(),
        result: '1',
        ttl: Math.floor(Date.now() / 1000) + 3600,
      },
      longAgo,
    );
    expect((await get(caller.apiKeyId, row.id)).status).toBe(410);
    expect((await result(caller.apiKeyId, row.id)).status).toBe(410);
    expect((await cancel(caller.apiKeyId, row.id)).status).toBe(410);
    expect((await get(caller.apiKeyId, row.id)).body!.type).toBe('https://longrun.dev/problems/gone');
  });

  it('answers 410 for an old, well-formed id whose row is gone, and 404 for a young one', async () => {
    const caller = newCaller();
    const old = newTaskId(Date.now() - RETENTION_SECONDS * 1000 - DAY);
    const young = newTaskId(Date.now() - 1000);
    expect((await get(caller.apiKeyId, old)).status).toBe(410);
    expect((await get(caller.apiKeyId, young)).status).toBe(404);
  });

  it('keeps a finished task readable within retention', async () => {
    const caller = newCaller();
    const row = await putRow(
      { owner: caller.owner, status: 'failed', completedAt: new Date(Date.now() - DAY).toISOString(), error: '{"Error":"TaskFailed","Cause":"no"}' },
      Date.now() - 2 * DAY,
    );
    const response = await get(caller.apiKeyId, row.id);
    expect(response.status).toBe(200);
    expect(response.body!.error).toMatchObject({ detail: 'no', status: 500 });
  });
});

describe('GET /tasks/{id}/result', () => {
  it('answers 200 with the result once succeeded', async () => {
    const caller = newCaller();
    const row = await putRow({ owner: caller.owner, status: 'succeeded', completedAt: new Date().toISOString(), result: '{"count":664579}' });
    const response = await result(caller.apiKeyId, row.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ count: 664579 });
  });

  it.each(['pending', 'running'] as const)(
    'is a result monitor while %s: 202, Location (itself, absolute), Retry-After, the task',
    async (status) => {
      const caller = newCaller();
      const row = await putRow({ owner: caller.owner, status });
      const response = await result(caller.apiKeyId, row.id);
      expect(response.status).toBe(202);
      expect(response.headers.location).toBe(`https://local.execute-api.us-east-1.amazonaws.com/v1/tasks/${row.id}/result`);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.body).toMatchObject({ id: row.id, status });
    },
  );

  it.each(['failed', 'cancelled'] as const)("answers 409 once %s, stating the status and carrying the task's error", async (status) => {
    const caller = newCaller();
    const row = await putRow({
      owner: caller.owner,
      status,
      completedAt: new Date().toISOString(),
      error: JSON.stringify({ Error: 'TaskFailed', Cause: 'boom' }),
    });
    const response = await result(caller.apiKeyId, row.id);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'https://longrun.dev/problems/task-not-succeeded', taskStatus: status });
    expect(response.body!.detail).toContain(status);
    expect(response.body!.error).toMatchObject(
      status === 'failed'
        ? { type: 'https://longrun.dev/problems/task-failed', detail: 'boom' }
        : { type: 'https://longrun.dev/problems/task-cancelled' },
    );
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('answers 404 for another caller', async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'succeeded', completedAt: new Date().toISOString(), result: '1' });
    expect((await result(newCaller().apiKeyId, row.id)).status).toBe(404);
  });
});

describe('DELETE /tasks/{id}', () => {
  it.each(['pending', 'running'] as const)('cancels a %s task: 200 cancelled, stored, idempotent', async (status) => {
    const caller = newCaller();
    const row = await putRow({ owner: caller.owner, status });
    const first = await cancel(caller.apiKeyId, row.id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: row.id, status: 'cancelled', error: { type: 'https://longrun.dev/problems/task-cancelled' } });
    expect((await getRow(row.id))!.status).toBe('cancelled');
    const second = await cancel(caller.apiKeyId, row.id);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it.each(['succeeded', 'failed'] as const)('answers 409 for a %s task and changes nothing', async (status) => {
    const caller = newCaller();
    const row = await putRow({ owner: caller.owner, status, completedAt: new Date().toISOString() });
    const response = await cancel(caller.apiKeyId, row.id);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'https://longrun.dev/problems/task-already-finished', taskStatus: status });
    expect((await getRow(row.id))!.status).toBe(status);
  });

  it("cannot cancel another caller's task: 404, and the task goes on", async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'running' });
    const response = await cancel(newCaller().apiKeyId, row.id);
    expect(response.status).toBe(404);
    expect((await getRow(row.id))!.status).toBe('running');
  });
});
