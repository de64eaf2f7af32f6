import { PROGRESS_WRITE } from '@longrun/worker/protocol';
import { describe, expect, it } from 'vitest';
import { isTerminal, TASK_STATUSES, type TaskStatus, TERMINAL_STATUSES } from '#domain/task';
import { ALLOWED_FROM, canTransition, purgeExpression, retryExpression, transitionExpression, updateExpression } from '#domain/transitions';

const legal: [TaskStatus, TaskStatus][] = [
  // Only an explicit retry (`retryExpression`) moves a failed or cancelled task back to pending.
  ['failed', 'pending'],
  ['cancelled', 'pending'],
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

  it.each(TERMINAL_STATUSES)('terminal status %s never changes again, except by a retry to pending', (terminal) => {
    expect(isTerminal(terminal)).toBe(true);
    for (const to of TASK_STATUSES.filter((s) => s !== 'pending')) expect(ALLOWED_FROM[to]).not.toContain(terminal);
    expect(ALLOWED_FROM.pending).not.toContain('succeeded');
  });

  it('only a retry moves a task back to pending', () => {
    expect(() => transitionExpression('pending')).toThrow(/only a retry/);
    const retry = retryExpression(true);
    expect(retry.condition).toBe(
      'attribute_exists(#id) AND #owner = :owner AND #status IN (:failed, :cancelled) AND (attribute_not_exists(#attempt) OR #attempt = :attempt) AND attribute_not_exists(#purgedAt)',
    );
    expect(retry.set).toEqual(expect.arrayContaining(['#status = :pending', '#attempt = :next', '#deadline = :deadline', '#openShard = :openShard']));
    expect(retry.remove).toEqual(expect.arrayContaining(['#result', '#error', '#completedAt', '#startedAt', '#compensation', '#callback']));
    expect(retryExpression(false).remove).toContain('#deadline');
  });

  it('conditions the write on the statuses it may come from, and appends the history entry', () => {
    const expression = transitionExpression('succeeded', ['result']);
    expect(expression.condition).toBe('attribute_exists(#id) AND #status IN (:from0, :from1)');
    expect(expression.values).toEqual({ ':to': 'succeeded', ':from0': 'pending', ':from1': 'running', ':zero': 0, ':one': 1, ':noHistory': [] });
    expect(expression.set).toContain('#result = :result');
    expect(expression.set).toContain('#history = list_append(if_not_exists(#history, :noHistory), :history)');
    expect(expression.remove).toEqual(['#openShard', '#sweepAt', '#awaitingInput', '#inputToken']);
    expect(expression.set).toContain('#completedAt = :now');
    expect(expression.names['#result']).toBe('result');
  });

  it('a write for one attempt is refused once the task moved on to another (the attempt guard)', () => {
    const expression = transitionExpression('failed', ['error'], { attemptGuard: true });
    expect(expression.condition).toMatch(/ AND \(attribute_not_exists\(#attempt\) OR #attempt = :attempt\)$/);
    expect(transitionExpression('failed', ['error']).condition).not.toContain(':attempt');
  });

  it('a purge erases the data of a terminal task of its owner, once', () => {
    const expression = purgeExpression();
    expect(expression.condition).toContain('#owner = :owner');
    expect(expression.condition).toContain('attribute_not_exists(#purgedAt)');
    expect(expression.condition).toContain('#status IN (:terminal0, :terminal1, :terminal2)');
    expect(expression.remove).toEqual(expect.arrayContaining(['#result', '#error', '#metadata', '#history', '#callbackUrl']));
    expect(expression.set).toEqual(expect.arrayContaining(['#purgedAt = :now', '#input = :erased']));
  });

  it('records when a task started running, once', () => {
    const expression = transitionExpression('running');
    expect(expression.values).toEqual({ ':to': 'running', ':from0': 'pending', ':zero': 0, ':one': 1, ':noHistory': [] });
    expect(expression.set).toContain('#startedAt = if_not_exists(#startedAt, :now)');
    expect(expression.set.join()).not.toContain('completedAt');
  });

  it("the worker kit's progress write runs only while pending or running, and makes the task running like the transition", () => {
    expect(PROGRESS_WRITE.condition).toContain('#status IN (:from0, :from1)');
    expect([PROGRESS_WRITE.values[':from0'], PROGRESS_WRITE.values[':from1']]).toEqual([...ALLOWED_FROM.running, 'running']);
    // Never into the history: a progress report is not an event of it.
    expect(PROGRESS_WRITE.updateExpression).not.toContain('#history');
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
