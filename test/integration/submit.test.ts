import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { sfn } from '#clients/sfn';
import { handler } from '#http/submit-task';
import { apiEvent, invoke } from '../support/api-event.ts';
import { getRow, newCaller, rowsOf } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

const json = { 'Content-Type': 'application/json' };
const submit = (apiKeyId: string | undefined, body: string, headers: Record<string, string> = json) =>
  invoke(handler, apiEvent({ method: 'POST', resource: '/tasks', headers, body, ...(apiKeyId && { apiKeyId }) }));

afterEach(() => vi.restoreAllMocks());

describe('POST /tasks', () => {
  it('accepts a valid task: 202, Location, Retry-After, the representation, and a stored row', async () => {
    const caller = newCaller();
    const response = await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }));
    expect(response.status).toBe(202);
    expect(response.headers.location).toMatch(/^https:\/\/local\.execute-api\.us-east-1\.amazonaws\.com\/v1\/tasks\/[0-9a-f-]{36}$/);
    expect(response.headers['operation-location']).toBe(response.headers.location);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.body).toMatchObject({ type: 'sleep', status: 'pending', progress: { percent: 0 } });
    expect(response.body!.links.self).toBe(response.headers.location);
    const row = await getRow(response.body!.id);
    expect(row).toMatchObject({ owner: caller.owner, type: 'sleep', input: '{"seconds":1}' });
  });

  it('answers the same task for a repeated Idempotency-Key and body, without a second task', async () => {
    const caller = newCaller();
    const body = JSON.stringify({ type: 'sleep', input: { seconds: 1 } });
    const headers = { ...json, 'Idempotency-Key': 'order-42' };
    const first = await submit(caller.apiKeyId, body, headers);
    // Same body, other key order and spacing: the same request.
    const second = await submit(caller.apiKeyId, '{ "input": {"seconds": 1}, "type": "sleep" }', headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.headers.location).toBe(first.headers.location);
    expect((await rowsOf(caller.owner)).length).toBe(1);
  });

  it('refuses the same Idempotency-Key with a different body: 422, nothing written', async () => {
    const caller = newCaller();
    const headers = { ...json, 'Idempotency-Key': 'k1' };
    await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }), headers);
    const response = await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 2 } }), headers);
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body!.type).toBe('https://longrun.dev/problems/idempotency-key-reused');
    expect((await rowsOf(caller.owner)).length).toBe(1);
  });

  it('scopes Idempotency-Key to the caller', async () => {
    const [a, b] = [newCaller(), newCaller()];
    const headers = { ...json, 'Idempotency-Key': 'shared' };
    const body = JSON.stringify({ type: 'sleep', input: { seconds: 1 } });
    const first = await submit(a.apiKeyId, body, headers);
    const second = await submit(b.apiKeyId, body, headers);
    expect(second.status).toBe(202);
    expect(second.body!.id).not.toBe(first.body!.id);
  });

  it.each([
    ['malformed JSON', '{"type": "primes",', 'malformed-json', undefined],
    ['a schema violation', JSON.stringify({ type: 'primes', input: { upTo: 'many' } }), 'validation-error', '/input/upTo'],
    ['an unknown task type', JSON.stringify({ type: 'mine-bitcoin', input: {} }), 'validation-error', '/type'],
    ['a missing input', JSON.stringify({ type: 'primes' }), 'validation-error', '/input'],
    ['an empty body', '', 'malformed-json', undefined],
  ])('answers 400 for %s, naming the field, writing nothing', async (_, body, kind, pointer) => {
    const caller = newCaller();
    const response = await submit(caller.apiKeyId, body);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ type: `https://longrun.dev/problems/${kind}`, status: 400, instance: '/v1/tasks' });
    if (pointer) expect(response.body!.detail).toContain(pointer);
    expect(await rowsOf(caller.owner)).toEqual([]);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['']])('answers 415 for Content-Type %j', async (contentType) => {
    const caller = newCaller();
    const response = await submit(
      caller.apiKeyId,
      JSON.stringify({ type: 'sleep', input: { seconds: 1 } }),
      contentType ? { 'Content-Type': contentType } : {},
    );
    expect(response.status).toBe(415);
    expect(response.body!.type).toBe('https://longrun.dev/problems/unsupported-media-type');
    expect(await rowsOf(caller.owner)).toEqual([]);
  });

  it('answers 413 for a body over 256 KiB', async () => {
    const caller = newCaller();
    const body = JSON.stringify({ type: 'fail', input: { message: 'x'.repeat(256 * 1024) } });
    const response = await submit(caller.apiKeyId, body);
    expect(response.status).toBe(413);
    expect(response.body!.type).toBe('https://longrun.dev/problems/payload-too-large');
    expect(await rowsOf(caller.owner)).toEqual([]);
  });

  it('answers 401 to an event with no caller identity', async () => {
    const response = await submit(undefined, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }));
    expect(response.status).toBe(401);
    expect(response.body!.type).toBe('https://longrun.dev/problems/unauthorized');
  });

  it('without an Idempotency-Key, a start that may have taken effect answers 202 and leaves the task pending for the sweeper; no AWS text leaks', async () => {
    const caller = newCaller();
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(Object.assign(new Error('Rate exceeded for arn:aws:states:...'), { name: 'ThrottlingException' }));
    const response = await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }));
    expect(response.status).toBe(202);
    expect(JSON.stringify(response.body)).not.toMatch(/arn:|Rate exceeded|Throttling/);
    const [row] = await rowsOf(caller.owner);
    expect(row).toMatchObject({ status: 'pending', id: response.body!.id });
    expect(row!.openShard).toBeDefined();
  });

  it('with an Idempotency-Key, a start that failed (maybe after taking effect) keeps the task pending: the retry gets the same task, run once', async () => {
    const caller = newCaller();
    vi.spyOn(sfn, 'send').mockRejectedValueOnce(Object.assign(new Error('Rate exceeded for arn:aws:states:...'), { name: 'ThrottlingException' }));
    const headers = { ...json, 'Idempotency-Key': 'retry-me' };
    const body = JSON.stringify({ type: 'sleep', input: { seconds: 1 } });
    const response = await submit(caller.apiKeyId, body, headers);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    const [row] = await rowsOf(caller.owner);
    expect(row!.status).toBe('pending');
    vi.restoreAllMocks();
    const retry = await submit(caller.apiKeyId, body, headers);
    expect(retry.status).toBe(202);
    expect(retry.body!.id).toBe(row!.id);
    expect(await rowsOf(caller.owner)).toHaveLength(1);
  });

  it('answers 503 when DynamoDB throttles, with no AWS text', async () => {
    const caller = newCaller();
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(
      Object.assign(new Error('Throughput exceeds the current capacity of your table longrun-Tasks'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const response = await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }));
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.body)).not.toMatch(/Throughput|longrun-Tasks/);
  });

  it('answers a generic 500 for an unexpected error, hiding its message', async () => {
    const caller = newCaller();
    vi.spyOn(dynamodb, 'send').mockRejectedValueOnce(new TypeError("Cannot read properties of undefined (reading 'Item')"));
    const response = await submit(caller.apiKeyId, JSON.stringify({ type: 'sleep', input: { seconds: 1 } }));
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ type: 'https://longrun.dev/problems/internal-error', detail: 'An unexpected error occurred.' });
  });
});
