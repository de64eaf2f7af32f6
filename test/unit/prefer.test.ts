import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS } from '#api/routes';
import { preferredWait } from '#http/prefer';

describe('Prefer: wait (RFC 7240)', () => {
  it.each([
    ['wait=10', 10],
    ['wait=0', 0],
    ['WAIT = 5', 5],
    ['wait="7"', 7],
    ['respond-async, wait=3', 3],
    ['return=minimal; foo=bar, wait=12', 12],
    ['wait=8;x=y', 8],
    ['wait=100', MAX_WAIT_SECONDS],
    ['wait=25', 25],
    ['wait=4, wait=9', 4],
  ])('%s -> %s', (header, expected) => {
    expect(preferredWait(header)).toBe(expected);
  });

  it.each([undefined, '', 'wait', 'wait=', 'wait=-1', 'wait=1.5', 'wait=abc', 'wait=5s', 'respond-async', 'waiting=5', 'wait=99999999999'])(
    'ignores %j (absent or malformed)',
    (header) => {
      expect(preferredWait(header)).toBeUndefined();
    },
  );
});
