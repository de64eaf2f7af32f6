import { describe, expect, it } from 'vitest';
import { inputCapability, isInputCapability } from '#domain/input';
import { estimatedCompletion, expiresAt, isExpired, retryAfterSeconds, sameRepresentation, toRepresentation } from '#domain/representation';
import { aTask, CREATED, isoAt } from '../support/task-builder.ts';

const created = CREATED;
const iso = (offsetSeconds: number) => isoAt(offsetSeconds);
const task = aTask;

describe('representation', () => {
  it('links to itself, its result, its cancel, its events and its history', () => {
    const representation = toRepresentation(task(), '/v1', 86400);
    const self = '/v1/tasks/019b7b28-6c00-7000-8000-000000000001';
    expect(representation.links).toEqual({ self, result: `${self}/result`, cancel: self, events: `${self}/events`, history: `${self}/history` });
    expect(representation).not.toHaveProperty('owner');
    expect(representation).not.toHaveProperty('input');
    expect(representation.attempt).toBe(1);
  });

  it.each(['failed', 'cancelled'] as const)('links to its retry once %s, and only then', (status) => {
    expect(toRepresentation(task({ status, completedAt: iso(1) }), '/v1', 60).links.retry).toMatch(/\/retry$/);
    for (const other of ['pending', 'running', 'succeeded'] as const)
      expect(toRepresentation(task({ status: other }), '/v1', 60).links.retry).toBeUndefined();
  });

  it('shows the awaited input with its input link and capability URL while running and not expired, never the token', () => {
    const wait = { name: 'approval', prompt: 'Ship?', since: iso(10), expiresAt: iso(100) };
    const waiting = task({ status: 'running', startedAt: iso(1), awaitingInput: wait, inputToken: 'secret-token' });
    const shown = toRepresentation(waiting, '/v1', 60, { inputCapabilityKey: 'k', now: created + 20_000 });
    const capability = inputCapability('k', waiting.id, wait.since);
    expect(shown.awaitingInput).toEqual({ ...wait, url: `/v1/tasks/${waiting.id}/input/${capability}` });
    expect(shown.links.input).toBe(`/v1/tasks/${waiting.id}/input`);
    expect(JSON.stringify(shown)).not.toContain('secret-token');
    // Without the key (the event bus): no URL. Expired, or no longer running: no wait at all.
    expect(toRepresentation(waiting, '/v1', 60, { now: created + 20_000 }).awaitingInput).not.toHaveProperty('url');
    expect(toRepresentation(waiting, '/v1', 60, { now: created + 200_000 }).awaitingInput).toBeUndefined();
    expect(toRepresentation({ ...waiting, status: 'failed' }, '/v1', 60).awaitingInput).toBeUndefined();
    // The capability is of this wait of this task only.
    expect(isInputCapability('k', waiting.id, wait, capability)).toBe(true);
    expect(isInputCapability('k', waiting.id, { ...wait, since: iso(11) }, capability)).toBe(false);
    expect(isInputCapability('k', '019b7b28-6c00-7000-8000-000000000002', wait, capability)).toBe(false);
    expect(isInputCapability('other', waiting.id, wait, capability)).toBe(false);
    expect(isInputCapability('k', waiting.id, wait, `${capability.slice(0, -1)}A`)).toBe(capability.endsWith('A'));
  });

  it('shows attempt, deadline, metadata and compensation', () => {
    const shown = toRepresentation(
      task({ status: 'cancelled', attempt: 3, deadline: iso(60), metadata: { a: 'b' }, compensation: { status: 'succeeded', completedAt: iso(9) } }),
      '/v1',
      60,
    );
    expect(shown).toMatchObject({ attempt: 3, deadline: iso(60), metadata: { a: 'b' }, compensation: { status: 'succeeded', completedAt: iso(9) } });
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

  it('shrinks to the time left until the estimated end', () => {
    const running = task({ status: 'running', startedAt: iso(0), updatedAt: iso(100), progress: { percent: 90 } });
    // 100 s old, 90 % done after 100 s: about 11 s left, less than age / 5 = 20 s.
    expect(retryAfterSeconds(running, created + 100_000)).toBe(12);
  });
});

describe('estimated completion', () => {
  it('extrapolates from the rate so far: 25 % in 10 s ends 40 s after the start, shown while running', () => {
    const running = task({ status: 'running', startedAt: iso(0), updatedAt: iso(10), progress: { percent: 25 } });
    expect(estimatedCompletion(running)).toBe(created + 40_000);
    expect(toRepresentation(running, '/v1', 60).progress.estimatedCompletionAt).toBe(iso(40));
  });

  it.each([
    ['pending', { status: 'pending' as const }],
    ['at 0 %', { status: 'running' as const, startedAt: iso(0), updatedAt: iso(5), progress: { percent: 0 } }],
    ['succeeded', { status: 'succeeded' as const, startedAt: iso(0), completedAt: iso(9), progress: { percent: 100 } }],
    ['waiting for input', { status: 'running' as const, startedAt: iso(0), progress: { percent: 50 }, awaitingInput: { name: 'x', since: iso(1) } }],
  ])('is absent when %s', (_, overrides) => {
    const shown = toRepresentation(task(overrides), '/v1', 60, { now: created + 5000 });
    expect(shown.progress).not.toHaveProperty('estimatedCompletionAt');
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
