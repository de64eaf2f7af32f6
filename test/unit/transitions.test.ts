import { PROGRESS_WRITE } from '@longrun/worker/protocol';
import { describe, expect, it } from 'vitest';
import { isTerminal, TASK_STATUSES, type TaskStatus, TERMINAL_STATUSES } from '#domain/task';
import { ALLOWED_FROM, canTransition, transitionExpression, updateExpression } from '#domain/transitions';

const legal: [TaskStatus, TaskStatus][] = [
  ['pending', 'running'],
  ['pending', 'succeeded'],
  ['pending', 'failed'],
  ['pending', 'cancelled'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['running', 'cancelled'],
];
const all = TASK_STATUSES.flatMap((from) => TASK_STATUSES.map((to) => [from, to] as [TaskStatus, TaskStatus]));
const illegal = all.filter(([from, to]) => !legal.some(([f, t]) => f === from && t === to));

describe('status transitions', () => {
  it.each(legal)('%s -> %s is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(illegal)('%s -> %s is refused', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it.each(TERMINAL_STATUSES)('terminal status %s never changes again', (terminal) => {
    expect(isTerminal(terminal)).toBe(true);
    for (const to of TASK_STATUSES) expect(ALLOWED_FROM[to]).not.toContain(terminal);
  });

  it('nothing moves a task back to pending', () => {
    expect(() => transitionExpression('pending')).toThrow(/no transition leads to pending/);
  });

  it('conditions the write on the statuses it may come from', () => {
    const expression = transitionExpression('succeeded', ['result']);
    expect(expression.condition).toBe('attribute_exists(#id) AND #status IN (:from0, :from1)');
    expect(expression.values).toEqual({ ':to': 'succeeded', ':from0': 'pending', ':from1': 'running', ':zero': 0, ':one': 1 });
    expect(expression.set).toContain('#result = :result');
    expect(expression.remove).toEqual(['#openShard', '#sweepAt']);
    expect(expression.set).toContain('#completedAt = :now');
    expect(expression.names['#result']).toBe('result');
  });

  it('records when a task started running, once', () => {
    const expression = transitionExpression('running');
    expect(expression.values).toEqual({ ':to': 'running', ':from0': 'pending', ':zero': 0, ':one': 1 });
    expect(expression.set).toContain('#startedAt = if_not_exists(#startedAt, :now)');
    expect(expression.set.join()).not.toContain('completedAt');
  });

  it("the worker kit's progress write runs only while pending or running, and makes the task running like the transition", () => {
    expect(PROGRESS_WRITE.condition).toContain('#status IN (:from0, :from1)');
    expect([PROGRESS_WRITE.values[':from0'], PROGRESS_WRITE.values[':from1']]).toEqual([...ALLOWED_FROM.running, 'running']);
    expect(PROGRESS_WRITE.values[':to']).toBe('running');
    expect(PROGRESS_WRITE.updateExpression).toContain('#startedAt = if_not_exists(#startedAt, :now)');
  });

  it.each([
    ['a transition', updateExpression(transitionExpression('failed', ['error'])), transitionExpression('failed', ['error'])],
    ["the worker kit's progress write", PROGRESS_WRITE.updateExpression, PROGRESS_WRITE],
  ])('%s bumps the version', (_, update, expression) => {
    expect(update).toContain('#version = if_not_exists(#version, :zero) + :one');
    expect(expression.names['#version']).toBe('version');
    expect([expression.values[':zero'], expression.values[':one']]).toEqual([0, 1]);
  });
});
