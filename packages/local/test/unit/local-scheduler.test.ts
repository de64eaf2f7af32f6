/**
 * The local EventBridge Scheduler, through the real @aws-sdk/client-scheduler: a one-time `at(…)`
 * schedule invokes its target function with its input when due (at once if due already), a name is
 * taken once per group, a deleted schedule never fires, and with a persist directory schedules
 * survive a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { inProcessLambda } from '../../src/functions/in-process-lambda.ts';
import { LocalScheduler } from '../../src/local-scheduler.ts';

const TARGET = 'arn:aws:lambda:us-east-1:000000000000:function:Expire';
const calls: Array<{ event: unknown; at: number }> = [];
const target = inProcessLambda({ functionName: 'Expire', arn: TARGET, handler: async (event) => void calls.push({ event, at: Date.now() }) });
const running: LocalScheduler[] = [];

async function scheduler(persistDir?: string) {
  const local = await new LocalScheduler({
    resolveFunction: (arn) => (arn === TARGET ? target : undefined),
    account: '000000000000',
    region: 'us-east-1',
    ...(persistDir && { persistDir }),
    log: () => {},
  }).start();
  running.push(local);
  return {
    local,
    client: new SchedulerClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  };
}

const at = (ms: number) => `at(${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)})`;
const create = (client: SchedulerClient, name: string, when: number, input: unknown, group = 'deadlines') =>
  client.send(
    new CreateScheduleCommand({
      Name: name,
      GroupName: group,
      ScheduleExpression: at(when),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: TARGET, RoleArn: 'arn:aws:iam::000000000000:role/r', Input: JSON.stringify(input) },
    }),
  );

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  calls.length = 0;
});

describe('the local EventBridge Scheduler', () => {
  it('invokes the target with the input when due, then deletes the schedule', async () => {
    const { client, local } = await scheduler();
    const created = await create(client, 'task-1', Date.now() + 1000, { taskId: 't', attempt: 1 });
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/deadlines/task-1');
    expect((await client.send(new GetScheduleCommand({ Name: 'task-1', GroupName: 'deadlines' }))).Target?.Arn).toBe(TARGET);
    expect(calls).toEqual([]);
    for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(calls.map((c) => c.event)).toEqual([{ taskId: 't', attempt: 1 }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(local.pending()).toEqual([]);
    await expect(client.send(new GetScheduleCommand({ Name: 'task-1', GroupName: 'deadlines' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('fires at once when already due; a name is taken once per group; a deleted schedule never fires', async () => {
    const { client } = await scheduler();
    await create(client, 'late', Date.now() - 5000, { late: true });
    await create(client, 'later', Date.now() + 60_000, { later: true });
    await expect(create(client, 'later', Date.now() + 60_000, {})).rejects.toMatchObject({ name: 'ConflictException' });
    // Another group may use the name.
    await create(client, 'later', Date.now() + 60_000, {}, 'other');
    await create(client, 'cancelled', Date.now() + 500, { never: true });
    await client.send(new DeleteScheduleCommand({ Name: 'cancelled', GroupName: 'deadlines' }));
    await new Promise((r) => setTimeout(r, 1800));
    expect(calls.map((c) => c.event)).toEqual([{ late: true }]);
    await expect(
      client.send(
        new CreateScheduleCommand({
          Name: 'rate',
          ScheduleExpression: 'rate(1 minute)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: TARGET, RoleArn: 'r' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('with a persist directory, a schedule survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'longrun-scheduler-'));
    try {
      const first = await scheduler(dir);
      await create(first.client, 'survivor', Date.now() + 1500, { kept: true });
      await first.local.stop();
      const second = await scheduler(dir);
      expect(second.local.pending()).toEqual(['deadlines/survivor']);
      for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(calls.map((c) => c.event)).toEqual([{ kept: true }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
