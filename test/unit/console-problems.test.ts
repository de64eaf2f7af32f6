/** Error answers as the console shows them: problem details read as a heading, a sentence and what to do next. */
import { describe, expect, it } from 'vitest';
import { explain, problemFrom, retryAfterSeconds } from '../../lambdas/console/problems.ts';

describe('console problems', () => {
  it('keeps problem details as sent, field errors included', () => {
    const text = JSON.stringify({
      type: 'https://longrun.dev/problems/validation-error',
      title: 'Validation Error',
      status: 400,
      detail: 'The request body is invalid.',
      errors: [{ pointer: '/input/upTo', detail: 'must be <= 10000000' }],
    });
    const problem = problemFrom(400, text);
    expect(explain(problem)).toEqual({
      heading: 'Validation Error',
      message: 'The request body is invalid.',
      fields: [{ pointer: '/input/upTo', detail: 'must be <= 10000000' }],
    });
  });

  it('describes an answer without problem details, never showing its body', () => {
    const problem = problemFrom(502, '<html><body>Bad gateway from a proxy</body></html>');
    expect(problem).toEqual({ title: 'Bad gateway', status: 502, detail: 'The API answered 502 without problem details.' });
    expect(JSON.stringify(explain(problem))).not.toContain('<html>');
  });

  it.each([
    [401, undefined, /API key/],
    [403, undefined, /API key/],
    [404, undefined, /another caller/],
    [410, undefined, /retention|purged/],
    [429, 7, /in 7 s/],
    [503, 2, /in 2 s/],
    [0, undefined, /resume/],
  ])('says what to do about a %s', (status, retryAfter, hint) => {
    expect(explain({ title: 't', status }, retryAfter).hint).toMatch(hint);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterSeconds('5')).toBe(5);
    expect(retryAfterSeconds(new Date(10_000).toUTCString(), 1_000)).toBe(9);
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});
