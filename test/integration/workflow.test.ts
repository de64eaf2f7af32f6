import { progressReporter, reportProgress } from '@longrun/worker';
import { describe, expect, it } from 'vitest';
import { handler as reconcileHandler } from '#workflow/reconcile-execution';
import { handler as countPrimes } from '../../lib/demo/functions/count-primes.ts';
import { lambdaContext } from '../support/api-event.ts';
import { getRow, newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();
const reconcile = (event: Parameters<typeof reconcileHandler>[0]) => reconcileHandler(event, lambdaContext);

const statusChange = (name: string, status: string, extra: Record<string, unknown> = {}) =>
  ({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name, status, ...extra } }) as never;

describe('count-primes worker', () => {
  it('counts the primes and reports rising progress, making the task running', async () => {
    const row = await putRow({ owner: newCaller().owner });
    const output = await countPrimes({ taskId: row.id, input: { upTo: 100_000 } });
    expect(output).toEqual({ count: 9592 });
    const stored = await getRow(row.id);
    expect(stored!.status).toBe('running');
    expect(stored!.startedAt).toBeDefined();
    expect(stored!.progress.percent).toBeGreaterThan(0);
    expect(stored!.progress.percent).toBeLessThan(100);
  });

  it('writes progress only when an interval has passed or it moved a step, answering skipped reports from the last write', async () => {
    const row = await putRow({ owner: newCaller().owner });
    let clock = 0;
    const report = progressReporter(row.id, { minIntervalMs: 500, minStep: 25, now: () => clock });
    await report({ percent: 10, step: 'a' });
    clock = 100;
    await report({ percent: 20, step: 'b' });
    expect((await getRow(row.id))!.progress).toEqual({ percent: 10, step: 'a' });
    clock = 200;
    await report({ percent: 35, step: 'c' });
    expect((await getRow(row.id))!.progress).toEqual({ percent: 35, step: 'c' });
    clock = 800;
    await report({ percent: 40, step: 'd' });
    expect((await getRow(row.id))!.progress).toEqual({ percent: 40, step: 'd' });
  });

  it('hands over to another invocation when its time runs short, and the total is unchanged', async () => {
    const row = await putRow({ owner: newCaller().owner });
    const first = await countPrimes({ taskId: row.id, input: { upTo: 10_000 } }, { getRemainingTimeInMillis: () => 1 });
    expect(first).toMatchObject({ resumeFrom: expect.any(Number) });
    const rest = await countPrimes(first as never);
    expect(rest).toEqual({ count: 1229 });
  });

  it('stops at the next chunk once its task is cancelled', async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'cancelled', completedAt: new Date().toISOString() });
    const output = await countPrimes({ taskId: row.id, input: { upTo: 1_000_000 } });
    expect(output).toMatchObject({ cancelled: true });
    expect((await getRow(row.id))!.status).toBe('cancelled');
  });

  it('progress helper says cancelled for a finished task and never revives it', async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'succeeded', completedAt: new Date().toISOString() });
    expect(await reportProgress(row.id, { percent: 50 })).toEqual({ cancelled: true });
    expect((await getRow(row.id))!.status).toBe('succeeded');
  });
});

describe('execution status backstop', () => {
  it('records running, then a failure with its cause', async () => {
    const row = await putRow({ owner: newCaller().owner });
    await reconcile(statusChange(row.id, 'RUNNING'));
    expect((await getRow(row.id))!.status).toBe('running');
    await reconcile(statusChange(row.id, 'FAILED', { error: 'TaskFailed', cause: 'bad input', stopDate: Date.now() }));
    const stored = await getRow(row.id);
    expect(stored!.status).toBe('failed');
    expect(JSON.parse(stored!.error!)).toEqual({ Error: 'TaskFailed', Cause: 'bad input' });
  });

  it.each([
    ['TIMED_OUT', 'failed'],
    ['ABORTED', 'cancelled'],
    ['SUCCEEDED', 'succeeded'],
  ])('moves a running task to the right terminal status on %s', async (status, expected) => {
    const row = await putRow({ owner: newCaller().owner, status: 'running' });
    await reconcile(statusChange(row.id, status, { output: '{"count":1}', stopDate: Date.now() }));
    expect((await getRow(row.id))!.status).toBe(expected);
  });

  it('never moves a terminal task: late and duplicate events change nothing', async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'succeeded', completedAt: new Date().toISOString(), result: '{"count":1}' });
    for (const status of ['RUNNING', 'FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'])
      await reconcile(statusChange(row.id, status, { output: '{"count":2}' }));
    const stored = await getRow(row.id);
    expect(stored!.status).toBe('succeeded');
    expect(stored!.result).toBe('{"count":1}');
  });

  it('records a result the task record cannot hold (over 400 KB with its input) as result-too-large, never dropping it silently', async () => {
    const row = await putRow({ owner: newCaller().owner, status: 'running', input: JSON.stringify({ label: 'x'.repeat(190_000) }) });
    await reconcile(statusChange(row.id, 'SUCCEEDED', { output: JSON.stringify({ label: 'y'.repeat(230_000) }), stopDate: Date.now() }));
    const stored = await getRow(row.id);
    expect(stored!.status).toBe('failed');
    expect(stored!.result).toBeUndefined();
    expect(JSON.parse(stored!.error!).type).toBe('https://longrun.dev/problems/result-too-large');
  });

  it('ignores executions that are not tasks', async () => {
    await expect(reconcile(statusChange('some-other-execution', 'FAILED'))).resolves.toBeUndefined();
  });
});
