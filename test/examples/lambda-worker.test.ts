/**
 * The Lambda worker example end to end on the local stack: `npm start -- --app
 * examples/lambda-worker/stack.ts` serves the example's own stack (its task type, its worker
 * function, the construct's shell around it), and a `monthly-report` task runs to its outcome over HTTP.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../examples/lambda-worker/report.ts';
import type { SmokeReport } from '../../lib/smoke/run.ts';
import { type SpawnedLocalStack, spawnLocalStack } from '../support/spawn-local-stack.ts';

let stack: SpawnedLocalStack;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(new URL(path, `${stack.baseUrl}/`), {
    method,
    headers: { 'x-api-key': stack.apiKeys[0]!, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function outcome(location: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call('GET', location);
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`task still ${body.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await spawnLocalStack(['--app', 'examples/lambda-worker/stack.ts']);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('examples/lambda-worker on the local stack', () => {
  it('serves the example stack: its own task type, not the demo ones', async () => {
    const demo = await call('POST', 'tasks', { type: 'primes', input: { upTo: 10 } });
    expect(demo.status).toBe(400);
    const bad = await call('POST', 'tasks', { type: 'monthly-report', input: { month: '26-09' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/input/month' })]);
  });

  it('runs a report task to succeeded, with the worker result as the task result', async () => {
    const input = { month: '2026-02', region: 'apac' as const };
    const submitted = await call('POST', 'tasks', { type: 'monthly-report', input });
    expect(submitted.status).toBe(202);
    const task = await outcome(submitted.headers.get('location')!);
    expect(task).toMatchObject({ status: 'succeeded', progress: { percent: 100 } });
    expect(task.startedAt).toBeDefined();
    const result = await call('GET', task.links.result);
    expect(result.status).toBe(200);
    expect(result.body).toEqual(buildReport(input));
    expect(result.body).toMatchObject({ month: '2026-02', region: 'apac', days: 28 });
  });

  it('fails a task with the message the worker threw as TaskFailed, and nothing else', async () => {
    const submitted = await call('POST', 'tasks', { type: 'monthly-report', input: { month: '2099-01' } });
    const task = await outcome(submitted.headers.get('location')!);
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({
      type: expect.stringContaining('task-failed'),
      detail: 'No complete sales data for 2099-01 yet: the month has not ended.',
    });
    expect(JSON.stringify(task.error)).not.toMatch(/trace|\.ts:|at handler/);
    expect((await call('GET', task.links.result)).status).toBe(409);
  });

  it('a worker told its task is over (cancelled, or finished) stops at its first progress report', async () => {
    const submitted = await call('POST', 'tasks', { type: 'monthly-report', input: { month: '2026-03' } });
    const location = submitted.headers.get('location')!;
    await call('DELETE', location); // 200 cancelled, or 409 if it already succeeded: over either way
    const before = await outcome(location);
    // The worker module, in this process, pointed at the spawned stack's table, as Lambda would be.
    Object.assign(process.env, { TABLE_NAME: stack.tableName, AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint });
    const { handler } = await import('../../examples/lambda-worker/worker.ts');
    const answer = await handler({ taskId: before.id, type: 'monthly-report', input: { month: '2026-03' } }, {} as never);
    expect(answer).toEqual({ cancelled: true });
    const after = await call('GET', location);
    expect(after.body).toEqual(before);
  });

  it('npm run smoke against it skips the demo-type rows and passes the contract rows', async () => {
    const args = ['bin/smoke.ts', '--url', stack.baseUrl, '--api-key', stack.apiKeys[0]!, '--json'];
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile('node_modules/.bin/tsx', args, (err, out) => {
        done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out });
      }),
    );
    const report = JSON.parse(stdout) as SmokeReport;
    const by = (status: string) => report.rows.filter((r) => r.status === status).map((r) => r.name);
    expect(by('FAIL')).toEqual([]);
    const contract = ['OpenAPI document is public', '401 without credentials', '400 for an invalid submit', '404 for an unknown task'];
    expect(by('PASS')).toEqual(contract);
    expect(by('SKIP').length).toBeGreaterThan(5);
    expect(code).toBe(0);
  }, 120_000);
});
