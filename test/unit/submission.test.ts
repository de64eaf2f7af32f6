import { describe, expect, it } from 'vitest';
import type { ProblemError } from '#domain/errors';
import { SubmissionValidator } from '#domain/submission';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

const validator = new SubmissionValidator(DEMO_TASK_TYPES);

function problemOf(body: unknown): ProblemError {
  try {
    validator.validate(body);
  } catch (error) {
    return error as ProblemError;
  }
  throw new Error('expected a problem');
}

describe('submission validation', () => {
  it('accepts a valid submission of each demo type', () => {
    expect(validator.validate({ type: 'primes', input: { upTo: 100 } })).toEqual({ type: 'primes', input: { upTo: 100 } });
    expect(validator.validate({ type: 'sleep', input: { seconds: 0 } }).type).toBe('sleep');
    expect(validator.validate({ type: 'fail', input: { message: 'x' }, callbackUrl: 'https://example.com/hook' }).type).toBe('fail');
  });

  it.each([
    [null, ''],
    [[], ''],
    [{ input: {} }, '/type'],
    [{ type: 'nope', input: {} }, '/type'],
    [{ type: 'primes' }, '/input'],
    [{ type: 'primes', input: { upTo: 10_000_001 } }, '/input/upTo'],
    [{ type: 'primes', input: { upTo: 1.5 } }, '/input/upTo'],
    [{ type: 'sleep', input: { seconds: 5, extra: 1 } }, '/input/extra'],
    [{ type: 'sleep', input: { seconds: 1 }, callbackUrl: 'http://example.com' }, '/callbackUrl'],
    [{ type: 'sleep', input: { seconds: 1 }, owner: 'me' }, '/owner'],
  ])('rejects %j naming %s', (body, pointer) => {
    const problem = problemOf(body);
    expect(problem.status).toBe(400);
    expect(problem.type).toBe('https://longrun.dev/problems/validation-error');
    expect((problem.extensions.errors as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
  });
});
