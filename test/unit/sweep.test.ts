import { describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { OPEN_SHARDS, openIndexAttributes, openShardOf } from '#domain/open-index';
import { EXPRESS_GRACE_SECONDS, type ExecutionState, expressSweepAction, type SweepAction, sweepAction } from '#domain/sweep';
import type { TaskStatus } from '#domain/task';
import { transitionExpression, updateExpression } from '#domain/transitions';

// Every (task status, execution state) pair, with what the sweeper must do.
const table: [TaskStatus, ExecutionState, SweepAction][] = [
  ['pending', 'MISSING', 'start'],
  ['pending', 'RUNNING', 'record'],
  ['pending', 'SUCCEEDED', 'record'],
  ['pending', 'FAILED', 'record'],
  ['pending', 'TIMED_OUT', 'record'],
  ['pending', 'ABORTED', 'record'],
  ['running', 'MISSING', 'lose'],
  ['running', 'RUNNING', 'defer'],
  ['running', 'SUCCEEDED', 'record'],
  ['running', 'FAILED', 'record'],
  ['running', 'TIMED_OUT', 'record'],
  ['running', 'ABORTED', 'record'],
  ['cancelled', 'RUNNING', 'stop'],
  ['cancelled', 'MISSING', 'close'],
  ['cancelled', 'SUCCEEDED', 'close'],
  ['cancelled', 'FAILED', 'close'],
  ['cancelled', 'TIMED_OUT', 'close'],
  ['cancelled', 'ABORTED', 'close'],
  // Only a keepOpen task (cancelled, or failed by its deadline) is in the index with a running execution: stop it.
  ['succeeded', 'RUNNING', 'stop'],
  ['succeeded', 'SUCCEEDED', 'close'],
  ['failed', 'RUNNING', 'stop'],
  ['failed', 'MISSING', 'close'],
];

describe('sweep decision', () => {
  it.each(table)('a %s task whose execution is %s: %s', (status, execution, action) => {
    expect(sweepAction(status, execution)).toBe(action);
  });
});

describe('sweep decision for an Express task (no DescribeExecution: a deadline)', () => {
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  const timeout = 300;
  const limit = timeout + EXPRESS_GRACE_SECONDS;

  it('starts a pending task again, however old (its start may never have happened)', () => {
    expect(expressSweepAction({ status: 'pending', updatedAt: ago(10) }, now, timeout)).toBe('start');
    expect(expressSweepAction({ status: 'pending', updatedAt: ago(10 * limit) }, now, timeout)).toBe('start');
  });

  it('leaves a running task alone until its timeout plus the grace has passed since it started, then records it lost (timed out)', () => {
    expect(expressSweepAction({ status: 'running', startedAt: ago(limit - 1), updatedAt: ago(1) }, now, timeout)).toBe('defer');
    expect(expressSweepAction({ status: 'running', startedAt: ago(limit + 1), updatedAt: ago(1) }, now, timeout)).toBe('lose');
    // Progress writes move updatedAt, not the start: a run that reports until Express stops it is still lost.
    expect(expressSweepAction({ status: 'running', startedAt: ago(limit + 1), updatedAt: ago(0) }, now, timeout)).toBe('lose');
    // Without startedAt (an old row), the last write stands in for it.
    expect(expressSweepAction({ status: 'running', updatedAt: ago(limit + 1) }, now, timeout)).toBe('lose');
  });

  it('keeps a terminal task open while a run may still go on (a cooperative cancel), then closes it', () => {
    for (const status of ['cancelled', 'failed', 'succeeded'] as const) {
      expect(expressSweepAction({ status, startedAt: ago(limit + 100), updatedAt: ago(limit - 1) }, now, timeout)).toBe('defer');
      expect(expressSweepAction({ status, startedAt: ago(limit + 100), updatedAt: ago(limit + 1) }, now, timeout)).toBe('close');
    }
  });

  it('follows the configured timeout and grace', () => {
    expect(expressSweepAction({ status: 'running', startedAt: ago(12), updatedAt: ago(0) }, now, 10, 1)).toBe('lose');
    expect(expressSweepAction({ status: 'running', startedAt: ago(10), updatedAt: ago(0) }, now, 10, 1)).toBe('defer');
    expect(expressSweepAction({ status: 'running', startedAt: ago(70), updatedAt: ago(0) }, now, 10)).toBe('defer');
  });

  it('never answers with a Step Functions action (stop, record)', () => {
    const statuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
    const actions = new Set(
      statuses.flatMap((status) => [0, 10_000].map((age) => expressSweepAction({ status, startedAt: ago(age), updatedAt: ago(age) }, now, timeout))),
    );
    expect([...actions].sort()).toEqual(['close', 'defer', 'lose', 'start']);
  });
});

describe('open-task index', () => {
  it('spreads ids over every shard', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(openShardOf(newTaskId()));
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(OPEN_SHARDS).keys()]);
  });

  it('is due at creation', () => {
    const id = newTaskId();
    expect(openIndexAttributes(id, '2026-01-01T00:00:00.000Z')).toEqual({ openShard: openShardOf(id), sweepAt: '2026-01-01T00:00:00.000Z' });
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('a transition to %s leaves the index', (to) => {
    const expression = transitionExpression(to, []);
    expect(updateExpression(expression)).toMatch(/ REMOVE #openShard, #sweepAt, #awaitingInput, #inputToken$/);
    expect(expression.names).toMatchObject({ '#openShard': 'openShard', '#sweepAt': 'sweepAt' });
  });

  it('a cancel by the owner stays in the index until its execution is known to be stopped', () => {
    const expression = transitionExpression('cancelled', ['error'], { keepOpen: true });
    expect(updateExpression(expression)).not.toContain('#openShard');
    // The wait for input is over either way.
    expect(updateExpression(expression)).toMatch(/ REMOVE #awaitingInput, #inputToken$/);
  });

  it('running stays in the index', () => {
    expect(updateExpression(transitionExpression('running'))).not.toContain('REMOVE');
  });
});

describe('redrive', () => {
  it('finds the status-change event in both dead-letter shapes', async () => {
    const { eventOfMessage } = await import('../../scripts/redrive.ts');
    const event = { 'detail-type': 'Step Functions Execution Status Change', detail: { name: 'x', status: 'FAILED' } };
    expect(eventOfMessage(JSON.stringify(event))).toEqual(event);
    expect(eventOfMessage(JSON.stringify({ version: '1.0', requestContext: {}, requestPayload: event, responsePayload: {} }))).toEqual(event);
  });
});
