import { describe, expect, it } from 'vitest';
import { createdAtOfId, isTaskId, newTaskId } from '#domain/ids';

describe('task ids', () => {
  it('are UUIDv7 carrying their creation time', () => {
    const now = Date.UTC(2026, 10, 23, 7, 0, 0, 123);
    const id = newTaskId(now);
    expect(isTaskId(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(createdAtOfId(id)).toBe(now);
  });

  it('are unique and sort by creation time', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newTaskId(1_700_000_000_000 + i));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it.each(['', 'abc', '../etc/passwd', '0190d6e2-7b3c-4f00-8000-000000000000', '0190D6E2-7B3C-7F00-8000-000000000000', `${newTaskId()}x`])(
    'rejects %j',
    (value) => {
      expect(isTaskId(value)).toBe(false);
    },
  );
});
