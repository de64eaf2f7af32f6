/**
 * The worker kit's guards, which act before any AWS call: a function missing its grant fails with
 * the fix, a foreign key is refused, a small result stays inline, and TaskFailed carries its message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { progressReporter, reportProgress, resultOf, storeLargeResult, TaskFailed } from '../../src/index.ts';

const ID = '019b7b28-6c00-7000-8000-000000000001';
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('reportProgress', () => {
  it('fails loudly, naming the grant, in a function never given grantProgress (no TABLE_NAME)', async () => {
    delete process.env.TABLE_NAME;
    await expect(reportProgress(ID, { percent: 10 })).rejects.toThrow(
      'environment variable TABLE_NAME is not set: give this function grantProgress on the AsyncTaskApi',
    );
  });
});

describe('progressReporter', () => {
  it('skips a report within the interval and below the step, answering the last known state without writing', async () => {
    delete process.env.TABLE_NAME;
    let now = 0;
    const report = progressReporter(ID, { minIntervalMs: 500, minStep: 25, now: () => now });
    // The first report writes (and here, with no table, fails loudly): proof that it tried.
    await expect(report({ percent: 1 })).rejects.toThrow('TABLE_NAME');
    // 100 ms later and 10 points further: skipped, so no write is attempted at all.
    now = 100;
    await expect(report({ percent: 11 })).resolves.toEqual({ cancelled: false });
    // 25 points further: written again.
    await expect(report({ percent: 26 })).rejects.toThrow('TABLE_NAME');
    // Past the interval: written again.
    now = 700;
    await expect(report({ percent: 27 })).rejects.toThrow('TABLE_NAME');
  });
});

describe('progressReporter defaults', () => {
  it('writes at most once a second (a live follower gets at most a message a second), or every 25 points', async () => {
    delete process.env.TABLE_NAME;
    let now = 0;
    const report = progressReporter(ID, { now: () => now });
    await expect(report({ percent: 1 })).rejects.toThrow('TABLE_NAME');
    now = 900;
    await expect(report({ percent: 20 })).resolves.toEqual({ cancelled: false });
    now = 1_000;
    await expect(report({ percent: 21 })).rejects.toThrow('TABLE_NAME');
    now = 1_100;
    await expect(report({ percent: 46 })).rejects.toThrow('TABLE_NAME');
  });
});

describe('results of any size', () => {
  it('resultOf returns a small result as it is, with no bucket needed', async () => {
    delete process.env.RESULTS_BUCKET_NAME;
    await expect(resultOf(ID, { count: 3 })).resolves.toEqual({ count: 3 });
  });

  it('storeLargeResult refuses a key that is not a task id, before any write', async () => {
    process.env.RESULTS_BUCKET_NAME = 'bucket';
    await expect(storeLargeResult('../other-task', { rows: [] })).rejects.toThrow('taskId must be the task id');
  });

  it('names the grant when the function may not store results (no RESULTS_BUCKET_NAME)', async () => {
    delete process.env.RESULTS_BUCKET_NAME;
    await expect(resultOf(ID, { rows: 'x'.repeat(100) }, 10)).rejects.toThrow('give this function grantResultWrite');
  });
});

describe('TaskFailed', () => {
  it('is an Error named TaskFailed carrying the message for the caller', () => {
    const error = new TaskFailed('No data for 2099-01 yet.');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TaskFailed');
    expect(error.message).toBe('No data for 2099-01 yet.');
  });
});
