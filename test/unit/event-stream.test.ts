import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '#domain/task';
import { alreadyComplete, eventType, formatEvent, parseLastEventId, resumeFrom } from '#sse/event-stream';
import { aTask } from '../support/task-builder.ts';

/** A running task at version 4. */
const task = (overrides: Partial<TaskRecord>): TaskRecord =>
  aTask({ status: 'running', input: '{}', progress: { percent: 10 }, ttl: 0, version: 4, ...overrides });

describe('server-sent events', () => {
  it('Last-Event-ID: a positive integer, anything else means a full snapshot', () => {
    expect(parseLastEventId('7')).toBe(7);
    expect(parseLastEventId(' 12 ')).toBe(12);
    for (const garbage of [undefined, '', '0', '-1', '1.5', 'abc', '07', '1e3', '9'.repeat(20)]) expect(parseLastEventId(garbage)).toBeUndefined();
  });

  it('resumes only from a version the task has had; an id from the future gets the snapshot', () => {
    expect(resumeFrom(task({ version: 4 }), 3)).toBe(3);
    expect(resumeFrom(task({ version: 4 }), 4)).toBe(4);
    expect(resumeFrom(task({ version: 4 }), 5)).toBeUndefined();
    expect(resumeFrom(task({ version: 4 }), undefined)).toBeUndefined();
  });

  it('nothing to send once the client has the terminal version', () => {
    expect(alreadyComplete(task({ status: 'succeeded', version: 6 }), 6)).toBe(true);
    expect(alreadyComplete(task({ status: 'succeeded', version: 6 }), 5)).toBe(false);
    expect(alreadyComplete(task({ status: 'running', version: 6 }), 6)).toBe(false);
  });

  it('event types: status on the first event and on a status change, progress otherwise, done when terminal', () => {
    expect(eventType(task({ status: 'running' }), undefined)).toBe('status');
    expect(eventType(task({ status: 'running' }), task({ status: 'pending' }))).toBe('status');
    expect(eventType(task({ status: 'running', version: 5 }), task({ status: 'running' }))).toBe('progress');
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) expect(eventType(task({ status }), task({}))).toBe('done');
  });

  it('frames an event: id, event, one data line, a blank line', () => {
    expect(formatEvent('progress', 5, { a: 'x\ny' })).toBe('id: 5\nevent: progress\ndata: {"a":"x\\ny"}\n\n');
  });
});
