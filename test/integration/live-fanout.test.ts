/**
 * The live fan-out against DynamoDB Local, with a management endpoint of its own standing in for
 * API Gateway's `@connections` (the one fault a real part cannot produce on demand: API Gateway
 * failing a post). A gone connection loses its subscriptions; a failed `done` retries the batch
 * from its task, a failed `progress` does not; a follower is sent nothing it already has.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TASKS } from '#domain/live';
import { fanOut } from '#service/live-fanout';
import { addSubscription, subscriptionsOfOwners } from '#store/live-store';
import { useLocalStackEnv } from '../support/handler-env.ts';
import { aTask } from '../support/task-builder.ts';

useLocalStackEnv();
const posted: Array<{ connection: string; message: any }> = [];
let server: Server;

beforeAll(async () => {
  // `gone…` connections are unknown to API Gateway (410); `broken…` ones fail (500); the rest take the message.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const connection = decodeURIComponent(req.url!.split('/').at(-1)!);
      if (connection.startsWith('gone')) {
        res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' }).end('{"message":"gone"}');
      } else if (connection.startsWith('broken')) {
        res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerErrorException' }).end('{"message":"no"}');
      } else {
        posted.push({ connection, message: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.LIVE_CALLBACK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const now = () => Math.floor(Date.now() / 1000);
const follow = (owner: string, connectionId: string, taskId: string, since = 0) =>
  addSubscription(owner, { connectionId, taskId, until: now() + 3600, since }, now());

describe('fanOut', () => {
  it('posts each follower the latest state once; a gone connection loses its subscriptions; a failed progress is not retried', async () => {
    const owner = `consumer:${randomUUID()}`;
    const task = aTask({ id: randomUUID(), owner, status: 'running', version: 5, progress: { percent: 40 } });
    await follow(owner, 'ok-1', task.id);
    await follow(owner, 'ok-2', ALL_TASKS);
    await follow(owner, 'gone-1', task.id);
    await follow(owner, 'broken-1', task.id);
    // Has version 5 already: sent nothing.
    await follow(owner, 'ok-3', task.id, 5);
    const previous = { ...task, version: 4, progress: { percent: 30 } };
    const result = await fanOut([
      { task: { ...task, version: 3 }, previous: { ...task, version: 2 } },
      { task, previous },
    ]);
    expect(result.retryFrom).toBeUndefined();
    const mine = posted.filter((p) => p.message.data.id === task.id);
    expect(mine.map((p) => p.connection).sort()).toEqual(['ok-1', 'ok-2']);
    for (const p of mine) expect(p.message).toMatchObject({ event: 'progress', id: 5, data: { status: 'running', progress: { percent: 40 } } });
    const left = (await subscriptionsOfOwners([owner])).get(owner)!.map((s) => s.connectionId);
    expect(left.sort()).toEqual(['broken-1', 'ok-1', 'ok-2', 'ok-3']);
  });

  it('a done that could not be posted retries the batch from that task’s first write', async () => {
    const owner = `consumer:${randomUUID()}`;
    const other = aTask({ id: randomUUID(), owner, status: 'running', version: 2 });
    const task = aTask({ id: randomUUID(), owner, status: 'succeeded', version: 9, progress: { percent: 100 } });
    await follow(owner, 'broken-2', task.id);
    await follow(owner, 'ok-4', task.id);
    const result = await fanOut([
      { task: other, previous: { ...other, status: 'pending', version: 1 } },
      { task: { ...task, status: 'running', version: 8 }, previous: { ...task, status: 'running', version: 7, progress: { percent: 50 } } },
      { task, previous: { ...task, status: 'running', version: 8 } },
    ]);
    expect(result.retryFrom).toBe(1);
    expect(posted.filter((p) => p.message.data.id === task.id)).toMatchObject([{ connection: 'ok-4', message: { event: 'done', id: 9 } }]);
  });

  it('a task nobody follows costs one read of its owner’s followers and posts nothing', async () => {
    const task = aTask({ id: randomUUID(), owner: `consumer:${randomUUID()}`, status: 'running', version: 3 });
    expect(await fanOut([{ task, previous: { ...task, version: 2, status: 'pending' } }])).toEqual({ posted: 0, followerReads: 1 });
  });

  it('reads followers again only for a new follow nonce or a status change: a followed task’s progress costs no read', async () => {
    const owner = `consumer:${randomUUID()}`;
    const id = randomUUID();
    // A clock a little over a second further at each batch, so no batch waits out the one-message-a-second rule.
    let clock = Date.now();
    const batch = (version: number, nonce: string, status: 'running' | 'succeeded' = 'running') => {
      clock += 1_100;
      const task = aTask({ id, owner, status, version, followNonce: nonce, progress: { percent: version } });
      return fanOut([{ task, previous: { ...task, status: 'running', version: version - 1, progress: { percent: version - 1 } } }], () => clock);
    };
    const receivers = (version: number) =>
      posted
        .filter((p) => p.message.data.id === id && p.message.id === version)
        .map((p) => p.connection)
        .sort();

    await follow(owner, 'ok-first', id);
    expect(await batch(3, 'n1')).toMatchObject({ posted: 1, followerReads: 1 });
    expect(await batch(4, 'n1')).toMatchObject({ posted: 1, followerReads: 0 });
    // A subscription stored without a new nonce (not how subscribe does it) shows that the copy in memory is what was used.
    await follow(owner, 'ok-second', id);
    expect(await batch(5, 'n1')).toMatchObject({ posted: 1, followerReads: 0 });
    expect(receivers(5)).toEqual(['ok-first']);
    // subscribe writes a new nonce after the subscription: the next write of the task reads them again.
    expect(await batch(6, 'n2')).toMatchObject({ posted: 2, followerReads: 1 });
    expect(receivers(6)).toEqual(['ok-first', 'ok-second']);
    // A caller-wide subscription marks no task: a status change reads the followers whatever the nonce.
    await follow(owner, 'ok-dashboard', ALL_TASKS);
    expect(await batch(7, 'n2', 'succeeded')).toMatchObject({ posted: 3, followerReads: 1 });
    expect(receivers(7)).toEqual(['ok-dashboard', 'ok-first', 'ok-second']);
    expect(posted.find((p) => p.message.id === 7 && p.message.data.id === id)?.message.event).toBe('done');
  });
});
