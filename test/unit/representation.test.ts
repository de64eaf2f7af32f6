import { describe, expect, it } from 'vitest';
import { expiresAt, isExpired, retryAfterSeconds, sameRepresentation, toRepresentation } from '#domain/representation';
import { aTask, CREATED, isoAt } from '../support/task-builder.ts';

const created = CREATED;
const iso = (offsetSeconds: number) => isoAt(offsetSeconds);
const task = aTask;

describe('representation', () => {
  it('links to itself, its result and its cancel', () => {
    const representation = toRepresentation(task(), '/v1', 86400);
    expect(representation.links).toEqual({
      self: '/v1/tasks/019b7b28-6c00-7000-8000-000000000001',
      result: '/v1/tasks/019b7b28-6c00-7000-8000-000000000001/result',
      cancel: '/v1/tasks/019b7b28-6c00-7000-8000-000000000001',
    });
    expect(representation).not.toHaveProperty('owner');
    expect(representation).not.toHaveProperty('input');
  });

  it('carries resourceLocation (the result, absolute with an absolute base) once succeeded, and only then', () => {
    const base = 'https://api.example.com/longrun';
    const done = toRepresentation(task({ status: 'succeeded', completedAt: iso(5) }), base, 60);
    expect(done.resourceLocation).toBe(`${base}/tasks/019b7b28-6c00-7000-8000-000000000001/result`);
    expect(done.links.self).toBe(`${base}/tasks/019b7b28-6c00-7000-8000-000000000001`);
    for (const status of ['pending', 'running', 'failed', 'cancelled'] as const) {
      expect(toRepresentation(task({ status }), base, 60)).not.toHaveProperty('resourceLocation');
    }
  });

  it('shows 100 percent once succeeded', () => {
    expect(toRepresentation(task({ status: 'succeeded', progress: { percent: 80 }, completedAt: iso(5) }), '', 60).progress.percent).toBe(100);
  });

  it('counts retention from completion', () => {
    const done = task({ status: 'succeeded', completedAt: iso(100) });
    expect(expiresAt(done, 60).toISOString()).toBe(iso(160));
    expect(isExpired(done, 60, created + 159_000)).toBe(false);
    expect(isExpired(done, 60, created + 160_000)).toBe(true);
  });

  it('passes a worker failure message to the caller', () => {
    const failed = task({ status: 'failed', completedAt: iso(1), error: JSON.stringify({ Error: 'TaskFailed', Cause: 'boom' }) });
    expect(toRepresentation(failed, '/v1', 60).error).toMatchObject({ title: 'Task failed', detail: 'boom' });
  });

  it('passes on only the message of a Lambda error named TaskFailed, never its trace', () => {
    const cause = JSON.stringify({
      errorType: 'TaskFailed',
      errorMessage: 'no data for "2099-01"',
      trace: ['TaskFailed: x', 'at /var/task/index.mjs:1'],
    });
    const failed = task({ status: 'failed', completedAt: iso(1), error: JSON.stringify({ Error: 'TaskFailed', Cause: cause }) });
    const problem = toRepresentation(failed, '/v1', 60).error!;
    expect(problem.detail).toBe('no data for "2099-01"');
    expect(JSON.stringify(problem)).not.toContain('/var/task');
  });

  it('never passes on internal error text', () => {
    const cause = JSON.stringify({ errorType: 'TypeError', errorMessage: 'x is undefined', trace: ['at /var/task/index.mjs:1'] });
    const failed = task({ status: 'failed', completedAt: iso(1), error: JSON.stringify({ Error: 'TypeError', Cause: cause }) });
    const problem = toRepresentation(failed, '/v1', 60).error!;
    expect(problem.detail).toBe('The task failed.');
    expect(JSON.stringify(problem)).not.toContain('/var/task');
  });
});

describe('Retry-After', () => {
  it('is absent once terminal', () => {
    expect(retryAfterSeconds(task({ status: 'succeeded' }), created + 1000)).toBeUndefined();
  });

  it('starts at one second and grows with age, capped at 30', () => {
    expect(retryAfterSeconds(task(), created)).toBe(1);
    expect(retryAfterSeconds(task(), created + 50_000)).toBe(10);
    expect(retryAfterSeconds(task(), created + 3600_000)).toBe(30);
  });

  it('shrinks to the remaining time estimated from progress', () => {
    const running = task({ status: 'running', startedAt: iso(0), progress: { percent: 90 } });
    // 100 s old, 90 % done after 100 s: about 11 s left, less than age / 5 = 20 s.
    expect(retryAfterSeconds(running, created + 100_000)).toBe(12);
  });
});

describe('sameRepresentation (what a watcher compares)', () => {
  it('ignores the order of map keys and attributes a client does not see; notices anything it does see', () => {
    const a = aTask({ progress: { percent: 10, step: 'one' } });
    expect(sameRepresentation(a, { ...a, progress: { step: 'one', percent: 10 } })).toBe(true);
    expect(sameRepresentation(a, { ...a, version: a.version + 1, input: '{"other":1}' })).toBe(true);
    expect(sameRepresentation(a, { ...a, progress: { percent: 11, step: 'one' } })).toBe(false);
    expect(sameRepresentation(a, { ...a, status: 'succeeded' })).toBe(false);
    expect(sameRepresentation(a, { ...a, callback: { status: 'pending', attempts: 1 } })).toBe(false);
  });
});
