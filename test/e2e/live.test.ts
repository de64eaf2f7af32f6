/**
 * The live channel end to end on the local stack (its WebSocket API served from the template by
 * the `ws` library): watch tokens over HTTP, the client following a task over the WebSocket, the
 * scope of a token (another task, another caller, an unknown or expired token), a dropped
 * connection resumed from its version, a dashboard following every task of its caller.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { reportProgress } from '@longrun/worker';
import { describe, expect, it } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { newWatchToken, tokenItemId } from '#domain/live';
import { LongrunClient, type Task } from '../../packages/client/src/index.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';
import { http, localStack, ownerOf, pollUntil, sleep } from '../support/http.ts';
import { connectLive, openLive } from '../support/live-socket.ts';

const stack = useLocalStackEnv();
const [keyA, keyB] = stack.apiKeys as [string, string];

async function submit(type: string, input: unknown, key = keyA): Promise<Task> {
  const response = await http('POST', '/tasks', { body: { type, input }, key });
  expect(response.status).toBe(202);
  return response.body as Task;
}

async function watchToken(body: Record<string, unknown> = {}, key = keyA) {
  const response = await http('POST', '/watch-tokens', { body, key });
  expect(response.status, response.text).toBe(201);
  return response.body as { token: string; url: string; expiresAt: string; taskId?: string };
}

/** A running task nobody else writes to until it is cancelled (a sleep; the local stack times executions out at 20 s). */
async function quietRunningTask(): Promise<Task> {
  const task = await submit('sleep', { seconds: 600 });
  return (await pollUntil(task.links.self, (t) => t.status === 'running', { timeoutMs: 15_000 })).task as Task;
}

const isEvent = (m: any) => ['status', 'progress', 'done'].includes(m.event);

describe('POST /watch-tokens', () => {
  it('answers a short-lived token for a task of the caller, with the live channel URL carrying it', async () => {
    const task = await submit('sleep', { seconds: 1 });
    const before = Date.now();
    const token = await watchToken({ taskId: task.id });
    expect(token.token).toMatch(/^lrw_[A-Za-z0-9_-]{43}$/);
    expect(token.taskId).toBe(task.id);
    const url = new URL(token.url);
    expect(url.protocol).toBe('ws:');
    expect(url.searchParams.get('token')).toBe(token.token);
    expect(url.href).not.toContain(keyA);
    // Five minutes by default.
    expect(Date.parse(token.expiresAt) - before).toBeGreaterThan(290_000);
    expect(Date.parse(token.expiresAt) - before).toBeLessThanOrEqual(301_000);
    // Without a task: every task of the caller.
    expect((await watchToken()).taskId).toBeUndefined();
  });

  it('refuses a task of another caller or an unknown one (404), a body that is not a watch token request (400), a request without a key (401)', async () => {
    const theirs = await submit('sleep', { seconds: 1 }, keyB);
    expect((await http('POST', '/watch-tokens', { body: { taskId: theirs.id } })).status).toBe(404);
    expect((await http('POST', '/watch-tokens', { body: { taskId: 'not-a-task' } })).status).toBe(404);
    expect((await http('POST', '/watch-tokens', { body: { taskId: 7 } })).status).toBe(400);
    expect((await http('POST', '/watch-tokens', { body: { task: theirs.id } })).status).toBe(400);
    expect((await http('POST', '/watch-tokens', { key: null, body: {} })).status).toBe(401);
  });
});

describe('the client on the live channel', () => {
  it('follows a task to its outcome over the WebSocket with a watch token (transport: live)', async () => {
    const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: keyA });
    const task = await client.submit('primes', { upTo: 5_000_000 });
    const states: Task[] = [];
    for await (const state of client.watch(task, { transport: 'live', timeoutMs: 60_000 })) states.push(state);
    expect(states.at(-1)).toMatchObject({ id: task.id, status: 'succeeded', progress: { percent: 100 } });
    const percents = states.map((s) => s.progress.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(await client.result(task)).toEqual({ count: 348_513 });
  });
});

describe('the scope of a watch token', () => {
  it('a token for one task is refused for another (403); a caller token for another caller’s task answers 404', async () => {
    const mine = await submit('sleep', { seconds: 5 });
    const other = await submit('sleep', { seconds: 5 });
    const theirs = await submit('sleep', { seconds: 5 }, keyB);
    const forMine = await connectLive((await watchToken({ taskId: mine.id })).url);
    const refused = await forMine.subscribe({ taskId: other.id });
    expect(refused).toMatchObject({ event: 'error', problem: { status: 403, type: 'https://longrun.dev/problems/forbidden' } });
    // Its own task still works on the same connection.
    expect(await forMine.subscribe({ taskId: mine.id })).toMatchObject({ event: 'status', data: { id: mine.id } });
    await forMine.close();

    const caller = await connectLive((await watchToken()).url);
    expect(await caller.subscribe({ taskId: theirs.id })).toMatchObject({ event: 'error', problem: { status: 404 } });
    expect(await caller.subscribe({ taskId: other.id })).toMatchObject({ event: 'status', data: { id: other.id } });
    expect(await caller.subscribe({ taskId: 'not-a-task' })).toMatchObject({ event: 'error', problem: { status: 404 } });
    expect(await caller.subscribe({ since: -1 } as never)).toMatchObject({ event: 'error', problem: { status: 400 } });
    await caller.close();
  });

  it('an unknown, malformed or expired token is refused at connect (401)', async () => {
    const { url } = await watchToken();
    const withToken = (token: string) => {
      const u = new URL(url);
      u.searchParams.set('token', token);
      return u.href;
    };
    expect(await openLive(withToken(newWatchToken()))).toEqual({ refused: 401 });
    expect(await openLive(withToken('not-a-token'))).toEqual({ refused: 401 });
    const bare = new URL(url);
    bare.search = '';
    expect(await openLive(bare.href)).toEqual({ refused: 401 });
    // A token past its expiry (written as the route would have written it five minutes ago).
    const expired = newWatchToken();
    const past = Math.floor(Date.now() / 1000) - 1;
    await dynamodb.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { id: tokenItemId(expired), owners: [ownerOf(keyA)], expiresAt: past, ttl: past + 3600 },
      }),
    );
    expect(await openLive(withToken(expired))).toEqual({ refused: 401 });
  });
});

describe('resuming', () => {
  it('a dropped connection resumes from its version: nothing lost, no version twice, one done', async () => {
    const task = await quietRunningTask();
    const { url } = await watchToken({ taskId: task.id });
    const events: any[] = [];
    const first = await connectLive(url);
    const start = await first.subscribe();
    expect(start).toMatchObject({ event: 'status', data: { status: 'running' } });
    events.push(start);

    await reportProgress(task.id, { percent: 10, step: 'one' });
    events.push(await first.next((m) => isEvent(m) && m.data.progress.percent === 10));
    await first.drop();

    // While no connection follows it, the task moves on twice (more than a second apart: not coalesced anyway).
    await reportProgress(task.id, { percent: 20, step: 'two' });
    await sleep(1_100);
    await reportProgress(task.id, { percent: 30, step: 'three' });
    await sleep(500);

    // The same token (it lives five minutes), from the last version seen: the current state, once.
    const second = await connectLive(url);
    const resumed = await second.subscribe({ since: events.at(-1).id });
    expect(resumed).toMatchObject({ event: 'status', data: { progress: { percent: 30, step: 'three' } } });
    events.push(resumed);
    await sleep(1_100);
    await reportProgress(task.id, { percent: 40, step: 'four' });
    events.push(await second.next((m) => isEvent(m) && m.data.progress.percent === 40));
    expect((await http('DELETE', task.links.self)).status).toBeLessThan(300);
    const done = await second.next((m) => m.event === 'done');
    events.push(done);
    expect(done.data).toMatchObject({ id: task.id, status: 'cancelled' });
    await sleep(1_500);

    // What a follower keeps (a message whose id is not newer than the last is dropped): every state it needs, in order.
    const kept = [...first.received, ...second.received].filter(isEvent).filter((m, i, all) => all.slice(0, i).every((p) => p.id < m.id));
    expect(kept.map((m) => m.data.progress.percent)).toEqual([0, 10, 30, 40, 40]);
    expect(kept.map((m) => m.data.status).at(-1)).toBe('cancelled');
    // The server itself sent one done, and no version after it.
    const all = [...first.received, ...second.received].filter(isEvent);
    expect(all.filter((m) => m.event === 'done')).toHaveLength(1);
    expect(all.every((m) => m.id <= done.id)).toBe(true);

    // Re-subscribing with the terminal version: nothing to send, no second done; with an older one: the outcome, once.
    expect(await second.subscribe({ since: done.id })).toMatchObject({ event: 'subscribed', taskId: task.id });
    // (The outcome as it is now: a compensation recorded after the cancel shows in it.)
    const again = await second.subscribe({ since: events[1].id });
    expect(again).toMatchObject({ event: 'done', data: { id: task.id, status: 'cancelled' } });
    expect(again.id).toBeGreaterThanOrEqual(done.id);
    await second.close();
  });
});

describe('followers the events reader already knows', () => {
  it('a follower who subscribes after the first one has had progress gets the next progress too (its follow nonce makes the reader read again)', async () => {
    const task = await quietRunningTask();
    const first = await connectLive((await watchToken({ taskId: task.id })).url);
    await first.subscribe();
    await reportProgress(task.id, { percent: 10, step: 'one' });
    await first.next((m) => isEvent(m) && m.data.progress.percent === 10);
    // The reader now holds this caller's followers in memory; a second connection subscribes.
    const second = await connectLive((await watchToken({ taskId: task.id })).url);
    expect(await second.subscribe()).toMatchObject({ event: 'status', data: { progress: { percent: 10 } } });
    await sleep(1_100);
    await reportProgress(task.id, { percent: 20, step: 'two' });
    for (const follower of [first, second]) {
      expect(await follower.next((m) => isEvent(m) && m.data.progress.percent === 20)).toMatchObject({ event: 'progress' });
    }
    // The first leaves; the second still gets the outcome.
    await first.close();
    expect((await http('DELETE', task.links.self)).status).toBeLessThan(300);
    expect(await second.next((m) => m.event === 'done')).toMatchObject({ data: { id: task.id, status: 'cancelled' } });
    await second.close();
  });
});

describe('a dashboard (a caller token, no task)', () => {
  it('gets every status change of its caller’s tasks, and nothing of another caller’s', async () => {
    const dashboard = await connectLive((await watchToken({}, keyB)).url);
    expect(await dashboard.subscribe()).toEqual({ event: 'subscribed' });
    const mine = await submit('sleep', { seconds: 1 }, keyB);
    const notMine = await submit('sleep', { seconds: 1 }, keyA);
    const done = await dashboard.next((m) => m.event === 'done' && m.data.id === mine.id, 30_000);
    expect(done.data.status).toBe('succeeded');
    const about = (id: string) => dashboard.received.filter((m) => isEvent(m) && m.data.id === id);
    // Its states in order (pending and running may be coalesced into one message: at most one a second per task).
    const statuses = about(mine.id).map((m) => m.data.status);
    expect(statuses.at(-1)).toBe('succeeded');
    expect(statuses).toEqual(['pending', 'running', 'succeeded'].filter((s) => statuses.includes(s)));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    await pollUntil(notMine.links.self, (t) => t.status === 'succeeded', { key: keyA });
    await sleep(1_000);
    expect(about(notMine.id)).toEqual([]);
    // Every message is one of the caller's tasks (other tests' tasks of consumer beta may appear too).
    for (const m of dashboard.received.filter(isEvent)) expect((await http('GET', m.data.links.self, { key: keyB })).status).toBe(200);
    await dashboard.close();
  });
});

describe('the local front', () => {
  it('serves the WebSocket API from the template (ready JSON names it)', () => {
    expect(localStack().liveUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1$/);
  });
});
