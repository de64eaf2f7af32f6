/**
 * The live-status building blocks against DynamoDB Local: the shared "wait for a change", the event
 * stream loop (heartbeat, close at its deadline, done), and the streaming handler's answers before a
 * stream starts, through the same `awslambda` shim the local front uses.
 */
import { reportProgress } from '@longrun/worker';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { awaitChange } from '#service/watch-task';
import { streamTask } from '#sse/event-stream';
import { getTask, transition } from '#store/task-store';
import { installAwsLambdaGlobal, LocalResponseStream } from '../../packages/local/src/functions/awslambda-global.ts';
import { apiEvent } from '../support/api-event.ts';
import { newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();
// As in the Lambda runtime, `awslambda` exists before the streaming handler's module loads.
installAwsLambdaGlobal();
const { handler: taskEvents } = await import('#http/task-events');

const running = (owner: string) => putRow({ owner, status: 'running', startedAt: new Date().toISOString(), progress: { percent: 10 } });

describe('awaitChange (long poll and stream)', () => {
  it('returns the new version as soon as the task is written', async () => {
    const caller = newCaller();
    const row = await running(caller.owner);
    const seen = (await getTask(row.id, { consistent: true }))!;
    setTimeout(() => void reportProgress(row.id, { percent: 50 }), 300);
    const changed = await awaitChange(seen, { until: Date.now() + 10_000, intervalMs: 50 });
    expect(changed.version).toBe(seen.version + 1);
    expect(changed.progress.percent).toBe(50);
  });

  it('returns the same task when nothing changed before the deadline, and a terminal task at once', async () => {
    const caller = newCaller();
    const row = await running(caller.owner);
    const seen = (await getTask(row.id, { consistent: true }))!;
    const same = await awaitChange(seen, { until: Date.now() + 400, intervalMs: 50 });
    expect(same.version).toBe(seen.version);
    const done = await putRow({ owner: caller.owner, status: 'succeeded', completedAt: new Date().toISOString() });
    const terminal = (await getTask(done.id, { consistent: true }))!;
    const started = Date.now();
    await awaitChange(terminal, { until: Date.now() + 10_000, intervalMs: 50 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops with 404 when the task disappears for this caller', async () => {
    const caller = newCaller();
    const row = await running(caller.owner);
    const seen = (await getTask(row.id, { consistent: true }))!;
    // The copy the watcher holds names another owner than the row now does.
    await expect(awaitChange({ ...seen, owner: 'key:someone-else' }, { until: Date.now() + 2_000, intervalMs: 50 })).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('streamTask', () => {
  it('sends retry, the state, pings while quiet, then closes at its deadline', async () => {
    const caller = newCaller();
    const row = await running(caller.owner);
    const chunks: string[] = [];
    await streamTask((await getTask(row.id))!, {
      baseUrl: 'https://api.example.com/v1',
      retentionSeconds: 3600,
      until: Date.now() + 1_500,
      pingIntervalMs: 400,
      write: (c) => chunks.push(c),
    });
    expect(chunks[0]).toBe('retry: 1000\n\n');
    expect(chunks[1]).toMatch(/^id: \d+\nevent: status\ndata: \{.*"links":\{"self":"https:\/\/api\.example\.com\/v1\/tasks\//s);
    expect(chunks.filter((c) => c === ': ping\n\n').length).toBeGreaterThanOrEqual(1);
    expect(chunks.some((c) => c.includes('event: done'))).toBe(false);
  });

  it('sends progress, then done, and ends with the task; a resume at the current version sends nothing first', async () => {
    const caller = newCaller();
    const row = await running(caller.owner);
    const first = (await getTask(row.id))!;
    const chunks: string[] = [];
    setTimeout(() => void reportProgress(row.id, { percent: 60 }), 200);
    setTimeout(() => void transition(row.id, 'succeeded', new Date().toISOString(), { result: '1' }), 800);
    await streamTask(first, {
      baseUrl: '',
      retentionSeconds: 3600,
      lastEventId: first.version,
      until: Date.now() + 20_000,
      write: (c) => chunks.push(c),
    });
    const events = chunks.filter((c) => c.startsWith('id: ')).map((c) => /event: (\w+)/.exec(c)![1]);
    expect(events).toEqual(['progress', 'done']);
  });
});

describe('GET /tasks/{id}/events handler, before the stream starts', () => {
  async function call(event: ReturnType<typeof apiEvent>) {
    const out: Buffer[] = [];
    const stream = new LocalResponseStream((chunk) => out.push(chunk));
    const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
    await (taskEvents as unknown as (e: unknown, s: LocalResponseStream, c: Context) => Promise<void>)(event, stream, context);
    const raw = Buffer.concat(out);
    const end = raw.indexOf(Buffer.alloc(8));
    return {
      prelude: JSON.parse(raw.subarray(0, end).toString()) as { statusCode: number; headers: Record<string, string> },
      body: raw.subarray(end + 8).toString(),
    };
  }

  it('answers 401 without a caller, 404 for another caller, as problem details', async () => {
    const row = await running(newCaller().owner);
    const anonymous = await call(apiEvent({ method: 'GET', resource: '/tasks/{id}/events', pathParameters: { id: row.id } }));
    expect(anonymous.prelude).toMatchObject({ statusCode: 401, headers: { 'Content-Type': 'application/problem+json' } });
    const other = await call(
      apiEvent({ method: 'GET', resource: '/tasks/{id}/events', pathParameters: { id: row.id }, apiKeyId: newCaller().apiKeyId }),
    );
    expect(other.prelude.statusCode).toBe(404);
    expect(JSON.parse(other.body)).toMatchObject({ type: 'https://longrun.dev/problems/not-found', status: 404 });
  });
});
