/**
 * Steering a task over real HTTP against the local stack: deadlines (`Cancel-After`), retry and
 * attempts, input from a person (the key route and the capability URL), `Prefer: wait` on submit,
 * compensation after a cancel, and purge. Every response is checked against the OpenAPI document.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { getRow } from '../support/fixtures.ts';
import { http, localStack, pollUntil, sleep } from '../support/http.ts';

const terminal = (task: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(task.status);

async function submit(body: Record<string, unknown>, headers: Record<string, string> = {}, key?: string) {
  const response = await http('POST', '/tasks', { body, headers, ...(key && { key }) });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return { id: response.body.id as string, location: response.headers.get('location')!, task: response.body };
}

describe('Cancel-After: a deadline', () => {
  it('a sleep 120 with Cancel-After: 2s ends failed with deadline-exceeded within 5 s of its deadline, its execution stopped', async () => {
    const { location, task } = await submit({ type: 'sleep', input: { seconds: 120 } }, { 'Cancel-After': '2s' });
    expect(Date.parse(task.deadline) - Date.parse(task.createdAt)).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(task.deadline) - Date.parse(task.createdAt)).toBeLessThanOrEqual(3000);
    const { task: done } = await pollUntil(location, terminal, { timeoutMs: 15_000, maxWaitMs: 250 });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ type: 'https://longrun.dev/problems/deadline-exceeded', title: 'Deadline exceeded' });
    // The contract's own limit: deadline-exceeded within 5 s of the deadline, locally.
    expect(Date.parse(done.completedAt) - Date.parse(done.deadline)).toBeLessThanOrEqual(5000);
    expect(done.links.retry).toBe(`${location}/retry`);
    const history = await http('GET', `${location}/history`);
    expect(history.body.items.at(-1)).toMatchObject({ event: 'failed', status: 'failed', detail: 'deadline-exceeded' });
  });

  // Past the execution timeout (20 s on the test stack) is refused too.
  it.each(['soon', '0', '0s', '1.5s', '2 h', `${localStack().executionTimeoutSeconds + 1}`, '1h', '1h30', 'm5'])(
    'Cancel-After: %s is a 400 naming the header, and nothing is created',
    async (value) => {
      const response = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 1 } }, headers: { 'Cancel-After': value } });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ pointer: 'Cancel-After', detail: expect.stringContaining('duration') }]);
    },
  );

  it.each([
    ['12', 12],
    ['15s', 15],
    ['0m10s', 10],
  ])('Cancel-After: %s gives a deadline %i s ahead', async (value, seconds) => {
    const { task, location } = await submit({ type: 'sleep', input: { seconds: 0 } }, { 'Cancel-After': value });
    const ahead = (Date.parse(task.deadline) - Date.parse(task.createdAt)) / 1000;
    expect(ahead).toBeGreaterThanOrEqual(seconds);
    expect(ahead).toBeLessThanOrEqual(seconds + 1);
    await pollUntil(location, terminal);
  });
});

describe('retry and attempts', () => {
  it('flaky {failures: 1} fails, is retried in place, and succeeds as attempt 2; its history tells it in order', async () => {
    const { location, id } = await submit({ type: 'flaky', input: { failures: 1 } });
    const { task: failed } = await pollUntil(location, terminal);
    expect(failed).toMatchObject({ status: 'failed', attempt: 1, error: { detail: expect.stringContaining('planned failure') } });

    const retried = await http('POST', `${location}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('location')).toBe(location);
    expect(retried.body).toMatchObject({ id, status: 'pending', attempt: 2 });
    expect(retried.body).not.toHaveProperty('error');

    const { task: done } = await pollUntil(location, terminal);
    expect(done).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await http('GET', `${location}/result`)).body).toEqual({ attempts: 2 });

    const history = (await http('GET', `${location}/history`)).body.items as Array<{ status: string; event: string; attempt: number }>;
    const outline = history.filter((e) => e.event !== 'started').map((e) => `${e.status}/${e.event}/${e.attempt}`);
    expect(outline).toEqual(['pending/submitted/1', 'failed/failed/1', 'pending/retried/2', 'succeeded/succeeded/2']);
    // Oldest first.
    expect(history.map((e) => e.attempt)).toEqual([...history.map((e) => e.attempt)].sort());
  });

  it("a succeeded task's retry is 409, and so is a running one's", async () => {
    const quick = await submit({ type: 'sleep', input: { seconds: 0 } });
    await pollUntil(quick.location, terminal);
    const refused = await http('POST', `${quick.location}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'https://longrun.dev/problems/task-not-retryable', taskStatus: 'succeeded' });

    const running = await submit({ type: 'sleep', input: { seconds: 60 } });
    expect((await http('POST', `${running.location}/retry`)).status).toBe(409);
    await http('DELETE', running.location);
  });

  it('a cancelled task is retried with a fresh deadline, and its attempt-1 events never touch attempt 2', async () => {
    const { location } = await submit({ type: 'sleep', input: { seconds: 60 } }, { 'Cancel-After': '18s' });
    await pollUntil(location, (t) => t.status === 'running');
    const cancelled = (await http('DELETE', location)).body;
    await sleep(1100);
    const retried = await http('POST', `${location}/retry`);
    expect(retried.status).toBe(202);
    expect(Date.parse(retried.body.deadline)).toBeGreaterThan(Date.parse(cancelled.deadline));
    // The stopped first execution's events arrive and change nothing: attempt 2 runs.
    const { task } = await pollUntil(location, (t) => t.status === 'running');
    expect(task.attempt).toBe(2);
    await sleep(500);
    expect((await http('GET', location)).body).toMatchObject({ status: 'running', attempt: 2 });
    await http('DELETE', location);
  });
});

describe('input from a person or a system', () => {
  it('an approval task shows what it waits for, refuses input breaking the schema with 400, resumes on valid input and returns it', async () => {
    const { location, id } = await submit({ type: 'approval', input: { question: 'Ship release 4.2?' } });
    const { task } = await pollUntil(location, (t) => t.awaitingInput !== undefined);
    expect(task.status).toBe('running');
    expect(task.awaitingInput).toMatchObject({ name: 'approval', prompt: 'Ship release 4.2?', schema: { required: ['approved'] } });
    expect(task.awaitingInput.url).toMatch(new RegExp(`^${location}/input/[A-Za-z0-9_-]{43}$`));
    expect(task.links.input).toBe(`${location}/input`);
    expect(JSON.stringify(task)).not.toMatch(/token/i);

    const bad = await http('POST', `${location}/input`, { body: { approved: 'yes', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/approved', '/extra']);
    expect((await http('GET', location)).body.awaitingInput).toBeDefined();

    const answer = { approved: true, note: 'Looks good.' };
    const taken = await http('POST', `${location}/input`, { body: answer });
    expect(taken.status).toBe(202);
    expect(taken.body).toMatchObject({ id, status: 'running' });
    expect(taken.body).not.toHaveProperty('awaitingInput');

    const { task: done } = await pollUntil(location, terminal);
    expect(done.status).toBe('succeeded');
    expect((await http('GET', `${location}/result`)).body).toEqual(answer);
    const events = (await http('GET', `${location}/history`)).body.items.map((e: { event: string }) => e.event);
    expect(events).toEqual(['submitted', 'started', 'input_required', 'input_received', 'succeeded']);
  });

  it('its capability URL works without an API key, once, for this task only; a forged one does not', async () => {
    const first = await submit({ type: 'approval', input: { question: 'A?' } });
    const second = await submit({ type: 'approval', input: { question: 'B?' } });
    const url = (await pollUntil(first.location, (t) => t.awaitingInput !== undefined)).task.awaitingInput.url as string;
    const otherUrl = (await pollUntil(second.location, (t) => t.awaitingInput !== undefined)).task.awaitingInput.url as string;
    const capability = url.split('/').at(-1)!;

    const forged = await http('POST', `${url.slice(0, -2)}xy`, { body: { approved: true }, key: null });
    expect(forged.status).toBe(404);
    // This task's capability on the other task: refused.
    expect((await http('POST', `${second.location}/input/${capability}`, { body: { approved: true }, key: null })).status).toBe(404);
    expect((await http('POST', url, { body: { approved: 'no' }, key: null })).status).toBe(400);

    const used = await http('POST', url, { body: { approved: false }, key: null });
    expect(used.status).toBe(204);
    expect(used.text).toBe('');
    expect((await http('POST', url, { body: { approved: true }, key: null })).status).toBe(404);
    const { task } = await pollUntil(first.location, terminal);
    expect(task.status).toBe('succeeded');
    expect((await http('GET', `${first.location}/result`)).body).toEqual({ approved: false });

    // The other task still waits, and its own URL works.
    expect((await http('POST', otherUrl, { body: { approved: true }, key: null })).status).toBe(204);
    await pollUntil(second.location, terminal);
  });

  it('input to a task that is not waiting is 409', async () => {
    const { location } = await submit({ type: 'sleep', input: { seconds: 0 } });
    await pollUntil(location, terminal);
    const refused = await http('POST', `${location}/input`, { body: { approved: true } });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('https://longrun.dev/problems/no-input-awaited');
  });
});

describe('Prefer: wait on submit', () => {
  it('a quick primes with Prefer: wait=10 is answered 200 with its final state and result', async () => {
    const response = await http('POST', '/tasks', { body: { type: 'primes', input: { upTo: 1000 } }, headers: { Prefer: 'wait=10' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=10');
    expect(response.headers.get('content-location')).toBe(`${localStack().baseUrl}/tasks/${response.body.id}`);
    expect(response.body).toMatchObject({ status: 'succeeded', result: { count: 168 } });
  });

  it('a sleep 30 with Prefer: wait=1 is answered 202 after about a second', async () => {
    const started = Date.now();
    const response = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 30 } }, headers: { Prefer: 'wait=1' } });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await http('DELETE', response.headers.get('location')!);
  });

  it('a keyed replay behaves the same: 200 with the result once it ended', async () => {
    const headers = { 'Idempotency-Key': `prefer-${Date.now()}`, Prefer: 'wait=10' };
    const first = await http('POST', '/tasks', { body: { type: 'primes', input: { upTo: 500 } }, headers });
    const replay = await http('POST', '/tasks', { body: { type: 'primes', input: { upTo: 500 } }, headers });
    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(replay.body).toEqual(first.body);
  });
});

describe('compensation', () => {
  it('a cancelled sleep is compensated once: compensation.status succeeded, its own status unchanged', async () => {
    const { location } = await submit({ type: 'sleep', input: { seconds: 60 } });
    await pollUntil(location, (t) => t.status === 'running');
    expect((await http('DELETE', location)).status).toBe(200);
    const { task } = await pollUntil(location, (t) => t.compensation?.status === 'succeeded', { timeoutMs: 15_000 });
    expect(task.status).toBe('cancelled');
    expect(Date.parse(task.compensation.completedAt)).toBeGreaterThanOrEqual(Date.parse(task.completedAt));
    const events = (await http('GET', `${location}/history`)).body.items.map((e: { event: string }) => e.event);
    expect(events.filter((e: string) => e === 'compensated')).toEqual(['compensated']);
  });

  it('a task that succeeded is not compensated', async () => {
    const { location } = await submit({ type: 'sleep', input: { seconds: 0 } });
    const { task } = await pollUntil(location, terminal);
    await sleep(1000);
    expect((await http('GET', location)).body).not.toHaveProperty('compensation');
    expect(task.status).toBe('succeeded');
  });
});

describe('purge', () => {
  it('a purged task answers 410 on every route, and its data is gone from the table and the bucket', async () => {
    const { location, id } = await submit({ type: 'report', input: { sizeKb: 100 }, metadata: { secret: 'tag' } });
    await pollUntil(location, terminal);
    const s3 = new S3Client({
      endpoint: localStack().s3Endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const object = { Bucket: localStack().resultsBucketName!, Key: `results/${id}.json` };
    await s3.send(new HeadObjectCommand(object));

    const purged = await http('DELETE', `${location}?purge=true`);
    expect(purged.status).toBe(204);
    expect(purged.text).toBe('');

    for (const [method, path] of [
      ['GET', location],
      ['GET', `${location}/result`],
      ['GET', `${location}/history`],
      ['GET', `${location}/events`],
      ['DELETE', location],
      ['DELETE', `${location}?purge=true`],
      ['POST', `${location}/retry`],
    ] as const) {
      const response = await http(method, path);
      expect(response.status, `${method} ${path}`).toBe(410);
    }
    expect((await http('POST', `${location}/input`, { body: {} })).status).toBe(410);
    const row = await getRow(id);
    expect(row).toMatchObject({ id, status: 'succeeded', input: 'null' });
    for (const erased of ['result', 'error', 'metadata', 'history', 'callbackUrl']) expect(row).not.toHaveProperty(erased);
    await expect(s3.send(new HeadObjectCommand(object))).rejects.toMatchObject({ name: 'NotFound' });
    // Gone from listings too.
    expect((await http('GET', '/tasks?metadata.secret=tag')).body.items.map((t: { id: string }) => t.id)).not.toContain(id);
  });

  it('an open task is cancelled first, then purged', async () => {
    const { location, id } = await submit({ type: 'sleep', input: { seconds: 60 } });
    expect((await http('DELETE', `${location}?purge=true`)).status).toBe(204);
    expect((await http('GET', location)).status).toBe(410);
    expect((await getRow(id))?.status).toBe('cancelled');
  });

  it('purge=maybe is a 400 naming the parameter', async () => {
    const { location } = await submit({ type: 'sleep', input: { seconds: 0 } });
    const response = await http('DELETE', `${location}?purge=maybe`);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toBe('purge');
  });
});
