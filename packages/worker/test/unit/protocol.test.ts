/** The worker protocol: the progress write is complete and consistent, and a pointer names only its own task's object. */
import { describe, expect, it } from 'vitest';
import { PROGRESS_WRITE, RESULT_POINTER_MEMBER, resultKey, resultPointer, TASK_ID_PATTERN } from '../../src/protocol.ts';

const ID = '019b7b28-6c00-7000-8000-000000000001';

describe('PROGRESS_WRITE', () => {
  const text = `${PROGRESS_WRITE.updateExpression} ${PROGRESS_WRITE.condition}`;

  it('names every attribute it uses, and no other', () => {
    const used = new Set(text.match(/#\w+/g));
    expect(new Set(Object.keys(PROGRESS_WRITE.names))).toEqual(used);
  });

  it('has a value for every placeholder but the two the writer adds (:progress, :now)', () => {
    const placeholders = new Set(text.match(/:\w+/g));
    expect(new Set([...Object.keys(PROGRESS_WRITE.values), ':progress', ':now'])).toEqual(placeholders);
  });

  it('moves only a pending or running task, to running, and bumps its version', () => {
    expect(PROGRESS_WRITE.condition).toBe('attribute_exists(#id) AND #status IN (:from0, :from1)');
    expect(PROGRESS_WRITE.values).toMatchObject({ ':from0': 'pending', ':from1': 'running', ':to': 'running' });
    expect(PROGRESS_WRITE.updateExpression).toContain('#version = if_not_exists(#version, :zero) + :one');
  });
});

describe('result pointers', () => {
  it("name the task's own object and its size, under one reserved member", () => {
    expect(resultPointer(ID, 2_000_000)).toEqual({ [RESULT_POINTER_MEMBER]: { s3Key: `results/${ID}.json`, bytes: 2_000_000 } });
    expect(resultKey(ID)).toBe(`results/${ID}.json`);
  });
});

describe('TASK_ID_PATTERN', () => {
  it.each([
    [ID, true],
    ['019b7b28-6c00-4000-8000-000000000001', false], // a UUIDv4
    ['../results/x', false],
    [`${ID}/../other`, false],
    ['', false],
  ])('%s is a task id: %s', (value, expected) => {
    expect(TASK_ID_PATTERN.test(value)).toBe(expected);
  });
});
