/**
 * A watcher's reads against DynamoDB Local: while nothing a client sees changes, it only probes the
 * owner index (no GetItem of the task, whose input may be 256 KiB); a change costs one strongly
 * consistent GetItem of the watched attributes, never `input` or `result`.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { OWNER_INDEX } from '#domain/owner-index';
import { awaitChange } from '#service/watch-task';
import { newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

const stack = useLocalStackEnv();

/** Every command sent, by name, with its input (the calls go through to DynamoDB Local). */
function watchCommands() {
  const sent: Array<{ name: string; input: Record<string, any> }> = [];
  const original = dynamodb.send.bind(dynamodb);
  vi.spyOn(dynamodb, 'send').mockImplementation(((command: any, ...rest: any[]) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return original(command, ...rest);
  }) as never);
  return sent;
}

afterEach(() => vi.restoreAllMocks());

describe('watch reads', () => {
  it('an unchanged task is probed in the owner index only: no read of the task itself', async () => {
    const caller = newCaller();
    const task = await putRow({ owner: caller.owner, status: 'running', input: JSON.stringify({ blob: 'x'.repeat(200_000) }) });
    const sent = watchCommands();
    const seen = await awaitChange(task, { until: Date.now() + 1_200, intervalMs: 100 });
    expect(seen.version).toBe(task.version);
    const probes = sent.filter((c) => c.name === QueryCommand.name);
    expect(probes.length).toBeGreaterThanOrEqual(5);
    for (const probe of probes)
      expect(probe.input).toMatchObject({ IndexName: OWNER_INDEX.name, ExpressionAttributeValues: { ':owner': caller.owner, ':id': task.id } });
    expect(sent.filter((c) => c.name === GetCommand.name)).toEqual([]);
  });

  it('a change is read once, strongly consistent, with the watched attributes only (never input or result)', async () => {
    const caller = newCaller();
    const task = await putRow({ owner: caller.owner, status: 'running', input: JSON.stringify({ n: 1 }), progress: { percent: 10 } });
    const sent = watchCommands();
    setTimeout(() => {
      void dynamodb.send(
        new UpdateCommand({
          TableName: stack.tableName,
          Key: { id: task.id },
          UpdateExpression: 'SET #p = :p, #v = #v + :one',
          ExpressionAttributeNames: { '#p': 'progress', '#v': 'version' },
          ExpressionAttributeValues: { ':p': { percent: 50 }, ':one': 1 },
        }),
      );
    }, 300);
    const changed = await awaitChange(task, { until: Date.now() + 5_000, intervalMs: 100 });
    expect(changed.version).toBe(task.version + 1);
    expect(changed.progress).toEqual({ percent: 50 });
    expect(changed.input).toBeUndefined();
    const reads = sent.filter((c) => c.name === GetCommand.name);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.input.ConsistentRead).toBe(true);
    const projected = Object.values(reads[0]!.input.ExpressionAttributeNames as Record<string, string>);
    expect(projected).toEqual(expect.arrayContaining(['status', 'progress', 'owner', 'version']));
    expect(projected).not.toContain('input');
    expect(projected).not.toContain('result');
  });
});
