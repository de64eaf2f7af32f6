/**
 * The whole local stack, in-process: the real synthesized template, the real handlers, DynamoDB
 * Local, the local Step Functions endpoint and the events backstop. Plus, when the vitest global
 * setup (test/support/local-stack-setup.ts) is active, a smoke test of the provided child stack.
 */
import { connect } from 'node:net';
import { type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const KEY_A = 'local-test-key-a';
const KEY_B = 'local-test-key-b';
let stack: LocalStack;

async function api(path: string, init: RequestInit & { key?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const { key = KEY_A, ...rest } = init;
  const res = await fetch(`${stack.baseUrl}${path}`, {
    ...rest,
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...(rest.headers ?? {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function waitForTask(id: string, done: (t: any) => boolean, ms = 20_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await api(`/tasks/${id}`);
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${body?.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const terminal = (t: any) => ['succeeded', 'failed', 'cancelled'].includes(t?.status);

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((res) => {
    const s = connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

beforeAll(async () => {
  stack = await startLocalStack({ assembly: inject('assemblyDir'), port: 0, apiKeys: [KEY_A, KEY_B], timeoutSecondsOverride: 3, log: () => {} });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('startLocalStack (in-process, real template and handlers)', () => {
  it('exposes its coordinates', () => {
    expect(stack.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(stack.stateMachineArn).toMatch(/^arn:aws:states:us-east-1:000000000000:stateMachine:/);
    expect(stack.tableName).toBeTruthy();
    expect(stack.apiKeys).toEqual([KEY_A, KEY_B]);
    expect(stack.timings.total).toBeGreaterThan(0);
  });

  it('runs a primes task through the synthesized state machine, with transitions counted', async () => {
    const submitted = await api('/tasks', { method: 'POST', body: JSON.stringify({ type: 'primes', input: { upTo: 1000 } }) });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const task = await waitForTask(id, terminal);
    expect(task.status).toBe('succeeded');
    expect(task.completedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect((await api(`/tasks/${id}/result`)).body).toEqual({ count: 168 });
    const stats = await stack.stepFunctions.waitForExecution(id);
    expect(stats?.status).toBe('SUCCEEDED');
    expect(stats?.byState).toMatchObject({ ChooseTaskType: 1, CountPrimes: expect.any(Number), RecordSuccess: 1 });
    expect(stats!.transitions).toBeGreaterThanOrEqual(4);
    // another caller cannot see it
    expect((await api(`/tasks/${id}`, { key: KEY_B })).status).toBe(404);
  });

  it('a state-machine timeout (overridden to 3 s) is recorded through the events backstop', async () => {
    const submitted = await api('/tasks', { method: 'POST', body: JSON.stringify({ type: 'sleep', input: { seconds: 60 } }) });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const stats = await stack.stepFunctions.waitForExecution(id);
    expect(stats?.status).toBe('TIMED_OUT');
    const task = await waitForTask(id, terminal, 5_000);
    expect(task.status).toBe('failed');
  });

  it('stop() closes every endpoint, DynamoDB Local included', async () => {
    const urls = [stack.baseUrl, stack.dynamodbEndpoint, stack.stepFunctionsEndpoint];
    for (const u of urls) expect(await portOpen(u)).toBe(true);
    await stack.stop();
    for (const u of urls) expect(await portOpen(u), u).toBe(false);
  });
});

describe('the stack provided by the vitest global setup', () => {
  it('answers over HTTP with the provided keys', async () => {
    const info = inject('localStack');
    // Consumers alpha (two keys) and beta (test/support/local-stack-setup.ts).
    expect(info.apiKeys).toHaveLength(3);
    expect(new Set(Object.values(info.consumers))).toEqual(new Set(['alpha', 'beta']));
    const res = await fetch(`${info.baseUrl}/tasks`, { headers: { 'x-api-key': info.apiKeys[0]! } });
    expect(res.status).toBe(200);
    expect((await fetch(`${info.baseUrl}/tasks`)).status).toBeGreaterThanOrEqual(401);
  });
});
