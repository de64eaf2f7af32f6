/**
 * The live channel's rules, pure: which stream records reach the events reader that feeds it (the
 * filters as Lambda applies them, with the local matcher), coalescing a batch, the event types,
 * resuming from a version (never a second `done`), watch tokens and subscribe messages.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_TASKS,
  FOLLOW_NONCE_ATTRIBUTE,
  FOLLOWED_ATTRIBUTE,
  isWatchToken,
  liveEventType,
  newFollowNonce,
  newWatchToken,
  parseSubscribe,
  subscriptionKey,
  subscriptionsOf,
  terminalVersion,
  tokenItemId,
  upToDate,
  visibleChanges,
} from '#domain/live';
import { progressFilters, publisherFilters, statusChangeFilters } from '#domain/stream-filters';
import type { TaskStatus } from '#domain/task';
import { callbackExpression } from '#domain/transitions';
import { passesFilters } from '../../packages/local/src/event-filter.ts';
import { aTask } from '../support/task-builder.ts';

const image = (status: TaskStatus | undefined, extra: Record<string, unknown> = {}) => ({
  id: { S: 'x' },
  ...(status && { status: { S: status } }),
  ...extra,
});
const followed = { [FOLLOWED_ATTRIBUTE]: { N: '1900000000' } };
const modify = (from: TaskStatus, to: TaskStatus, extra: Record<string, unknown> = {}) => ({
  eventName: 'MODIFY',
  dynamodb: { OldImage: image(from, extra), NewImage: image(to, extra) },
});

describe('the events reader (publisherFilters), which the live channel shares', () => {
  const f = publisherFilters();

  it('passes every status change, a retry, and every other write of an open task (progress, followed or not)', () => {
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image('pending') } })).toBe(true);
    expect(passesFilters(f, modify('pending', 'running'))).toBe(true);
    expect(passesFilters(f, modify('running', 'succeeded'))).toBe(true);
    expect(passesFilters(f, modify('failed', 'pending'))).toBe(true); // a retry
    expect(passesFilters(f, modify('running', 'running', followed))).toBe(true); // a followed task's progress
    expect(passesFilters(f, modify('running', 'running'))).toBe(true); // task.progress on the bus
    expect(passesFilters(f, modify('pending', 'pending', followed))).toBe(true);
  });

  it('passes whatever statusChangeFilters and progressFilters pass', () => {
    const samples = [
      modify('pending', 'cancelled'),
      modify('running', 'failed'),
      modify('cancelled', 'pending'),
      modify('running', 'running'),
      { eventName: 'INSERT', dynamodb: { NewImage: image('pending') } },
    ];
    for (const record of samples) {
      if (passesFilters([...statusChangeFilters(), ...progressFilters()], record)) expect(passesFilters(f, record)).toBe(true);
    }
  });

  it('never passes a write to an ended task, a removal, or an item that is not a task', () => {
    expect(passesFilters(f, modify('succeeded', 'succeeded', followed))).toBe(false); // a webhook attempt
    expect(passesFilters(f, modify('cancelled', 'cancelled', { callback: { M: {} }, ...followed }))).toBe(false);
    expect(passesFilters(f, { eventName: 'INSERT', dynamodb: { NewImage: image(undefined, { owners: { L: [] } }) } })).toBe(false); // a live item
    expect(passesFilters(f, { eventName: 'REMOVE', dynamodb: { OldImage: image('running', followed) } })).toBe(false);
  });

  it('stays within Lambda’s five filters per event source mapping (statusChangeFilters + progressFilters would take six)', () => {
    expect(f.length).toBeLessThanOrEqual(5);
    expect([...statusChangeFilters(), ...progressFilters()].length).toBeGreaterThan(5);
  });
});

describe('coalescing a batch (visibleChanges)', () => {
  const write = (version: number, status: TaskStatus, percent: number, previousStatus?: TaskStatus, id = 'a') => ({
    task: aTask({ id, version, status, progress: { percent } }),
    ...(previousStatus && { previous: aTask({ id, version: version - 1, status: previousStatus, progress: { percent: percent - 1 } }) }),
  });

  it('one change per task, its latest state; a status move anywhere in the batch makes it a status change', () => {
    const changes = visibleChanges([write(2, 'running', 1, 'pending'), write(3, 'running', 2, 'running'), write(2, 'running', 5, 'running', 'b')]);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ task: { id: 'a', version: 3, progress: { percent: 2 } }, statusChanged: true, first: 0 });
    expect(changes[1]).toMatchObject({ task: { id: 'b', version: 2 }, statusChanged: false, first: 2 });
  });

  it('a write that changes nothing a client sees is no change (the follow mark, the sweeper’s bookkeeping)', () => {
    const task = aTask({ status: 'running', version: 4 });
    expect(visibleChanges([{ task: { ...task, [FOLLOWED_ATTRIBUTE]: 1, [FOLLOW_NONCE_ATTRIBUTE]: newFollowNonce() }, previous: task }])).toEqual([]);
    expect(visibleChanges([{ task: { ...task, sweepAt: 'later' }, previous: task }])).toEqual([]);
    // A new task is a change.
    expect(visibleChanges([{ task: aTask() }])).toMatchObject([{ statusChanged: true }]);
  });

  it('event types as the event stream names them', () => {
    expect(liveEventType('pending', true)).toBe('status');
    expect(liveEventType('running', false)).toBe('progress');
    expect(liveEventType('succeeded', true)).toBe('done');
    expect(liveEventType('cancelled', false)).toBe('done');
  });
});

describe('resuming from a version (upToDate)', () => {
  it('a follower with the current version, or with a terminal task’s terminal version, gets nothing more', () => {
    const running = aTask({ status: 'running', version: 7 });
    expect(upToDate(running, 7)).toBe(true);
    expect(upToDate(running, 6)).toBe(false);
    expect(upToDate(running, undefined)).toBe(false);
    // A version from the future is not a resume point: the current state is sent.
    expect(upToDate(running, 8)).toBe(false);
    // Two webhook attempts after the terminal write (version 5): a follower that has 5 has the outcome.
    const done = aTask({ status: 'succeeded', version: 7, callback: { status: 'delivered', attempts: 2 } });
    expect(terminalVersion(done)).toBe(5);
    expect(upToDate(done, 5)).toBe(true);
    expect(upToDate(done, 6)).toBe(true);
    expect(upToDate(done, 4)).toBe(false);
    // A compensation after a cancel: claimed (1 write), then recorded (1 more); the terminal write stays 5.
    const compensated = aTask({
      status: 'cancelled',
      version: 8,
      callback: { status: 'delivered', attempts: 1 },
      compensation: { status: 'succeeded' },
    });
    expect(terminalVersion(compensated)).toBe(5);
    expect(upToDate(compensated, 5)).toBe(true);
    expect(upToDate(compensated, 4)).toBe(false);
    expect(terminalVersion(aTask({ status: 'cancelled', version: 6, compensation: { status: 'running' } }))).toBe(5);
  });

  it('terminalVersion: a webhook attempt after a terminal write is one version and one attempt', () => {
    const expression = callbackExpression(1, 3);
    expect(expression.set.filter((s) => s.includes('#version'))).toHaveLength(1);
    expect(expression.condition).toContain('#callback.#attempts = :previousAttempts');
  });
});

describe('watch tokens and subscriptions', () => {
  it('tokens are 256 random bits, prefixed; only their hash is an item id', () => {
    const token = newWatchToken();
    expect(isWatchToken(token)).toBe(true);
    expect(newWatchToken()).not.toBe(token);
    expect(isWatchToken('lrw_short')).toBe(false);
    expect(isWatchToken(undefined)).toBe(false);
    expect(tokenItemId(token)).toMatch(/^live#token#[0-9a-f]{64}$/);
    expect(tokenItemId(token)).not.toContain(token.slice(4));
  });

  it('parses subscribe messages and names what is wrong', () => {
    expect(parseSubscribe('{"action":"subscribe"}')).toEqual({});
    expect(parseSubscribe('{"action":"subscribe","taskId":"t","since":3}')).toEqual({ taskId: 't', since: 3 });
    expect(parseSubscribe('not json')).toMatch(/not JSON/);
    expect(parseSubscribe('[1]')).toMatch(/not a JSON object/);
    expect(parseSubscribe('{"taskId":7}')).toMatch(/taskId/);
    expect(parseSubscribe('{"since":-1}')).toMatch(/since/);
    expect(parseSubscribe('{"since":1.5}')).toMatch(/since/);
  });

  it('reads subscriptions back from an owner’s item, ignoring its other attributes', () => {
    const item = {
      id: 'live#subs#abc',
      ttl: 1,
      [subscriptionKey('conn/1+=', 'task-1')]: { u: 100, v: 3 },
      [subscriptionKey('conn2=', ALL_TASKS)]: { u: 200 },
      other: 5,
    };
    expect(subscriptionsOf(item).sort((a, b) => a.until - b.until)).toEqual([
      { connectionId: 'conn/1+=', taskId: 'task-1', until: 100, since: 3 },
      { connectionId: 'conn2=', taskId: '*', until: 200, since: 0 },
    ]);
    expect(subscriptionsOf(undefined)).toEqual([]);
  });
});
