import { describe, expect, it } from 'vitest';
import { newTaskId } from '#domain/ids';
import { OPEN_SHARDS, openIndexAttributes, openShardOf } from '#domain/open-index';
import { type ExecutionState, type SweepAction, sweepAction } from '#domain/sweep';
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
