import { describe, expect, it } from 'vitest';
import { isExpired, REPRESENTATION_ATTRIBUTES, toRepresentation } from '#domain/representation';
import { isResultPointer, RESULT_POINTER_MEMBER, resultKey, resultPointer } from '#domain/result-pointer';
import type { TaskRecord } from '#domain/task';
import { aTask, CREATED, isoAt, TASK_ID } from '../support/task-builder.ts';

const ID = TASK_ID;
const created = CREATED;
const iso = (s: number) => isoAt(s);

/** A `report` task with a callback and a request hash, as the listing tests need every attribute kind. */
const task = (overrides: Partial<TaskRecord> = {}): TaskRecord =>
  aTask({ type: 'report', input: '{"sizeKb":1}', callbackUrl: 'https://example.com/hook', requestHash: 'abc', ...overrides });

describe('result pointer', () => {
  it("names the task's own object and its size, under one reserved member", () => {
    expect(resultPointer(ID, 2_000_000)).toEqual({ [RESULT_POINTER_MEMBER]: { s3Key: `results/${ID}.json`, bytes: 2_000_000 } });
    expect(resultKey(ID)).toBe(`results/${ID}.json`);
  });

  it.each([
    [resultPointer(ID, 1), true],
    [JSON.parse(JSON.stringify(resultPointer(ID, 1))), true],
    [{ $longrunResult: { s3Key: 'x' }, other: 1 }, false],
    [{ $longrunResult: 'results/x.json' }, false],
    [{ count: 3 }, false],
    [[resultPointer(ID, 1)], false],
    [null, false],
    ['$longrunResult', false],
  ])('isResultPointer(%j) is %s', (value, expected) => {
    expect(isResultPointer(value)).toBe(expected);
  });
});

describe('a too-large result', () => {
  it.each(['States.DataLimitExceeded', 'ResultTooLarge'])('recorded by the backstop (%s) reads as the result-too-large problem', (name) => {
    const failed = task({
      status: 'failed',
      completedAt: iso(5),
      error: JSON.stringify({ Error: name, Cause: 'The state/task returned a result with a size exceeding…' }),
    });
    expect(toRepresentation(failed, '/v1', 86400).error).toMatchObject({
      type: 'https://longrun.dev/problems/result-too-large',
      detail: expect.stringContaining('storeLargeResult'),
      instance: `/v1/tasks/${ID}`,
    });
  });
});

describe('owner index projection', () => {
  const project = (record: TaskRecord): TaskRecord =>
    Object.fromEntries(
      Object.entries(record).filter(([name]) => name === 'owner' || (REPRESENTATION_ATTRIBUTES as readonly string[]).includes(name)),
    ) as unknown as TaskRecord;

  it.each([
    task(),
    task({ status: 'running', startedAt: iso(1), progress: { percent: 40, step: 'half' } }),
    task({ status: 'succeeded', startedAt: iso(1), completedAt: iso(9), result: '{"big":true}' }),
    task({ status: 'failed', completedAt: iso(9), error: JSON.stringify({ Error: 'TaskFailed', Cause: 'no' }) }),
    task({
      status: 'cancelled',
      completedAt: iso(9),
      error: '{"type":"https://longrun.dev/problems/task-cancelled","title":"Task cancelled","status":409,"detail":"x"}',
    }),
  ])('gives a listing the same representation and retention as the full item (%#)', (record) => {
    const projected = project(record);
    expect(projected).not.toHaveProperty('input');
    expect(projected).not.toHaveProperty('result');
    expect(toRepresentation(projected, '/v1', 86400)).toEqual(toRepresentation(record, '/v1', 86400));
    expect(isExpired(projected, 86400, created + 3 * 86400_000)).toBe(isExpired(record, 86400, created + 3 * 86400_000));
  });
});
