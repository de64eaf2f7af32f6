/**
 * Live connections are held connections: capped per caller (10) together with the caller's event
 * streams and long polls. An in-process local stack of its own (the shared one's callers are busy
 * with other tests): past its cap a caller's connection is refused with 429 at `$connect` (and its
 * event stream too), another caller is not affected, a closed connection gives its slot back, and
 * the slot of a connection whose `$disconnect` never came (API Gateway delivers it best-effort) is
 * taken back when the caller next hits its cap.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamodb } from '#clients/dynamodb';
import { callerSlots } from '#domain/held-connections';
import { useStackEnv } from '../support/handler-env.ts';
import { type LiveSocket, openLive } from '../support/live-socket.ts';

const KEYS = { capped: 'capped-key', other: 'other-key', lost: 'lost-key' };
const PER_CALLER = 10;
let stack: LocalStack;
const sockets: LiveSocket[] = [];

function request(key: string, method: string, path: string, body?: unknown, signal?: AbortSignal) {
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    ...(signal && { signal }),
  });
}

/** A caller token's URL (a token opens any number of connections while it lives). */
async function tokenUrl(key: string): Promise<string> {
  const response = await request(key, 'POST', '/watch-tokens', {});
  expect(response.status).toBe(201);
  return ((await response.json()) as { url: string }).url;
}

async function connect(url: string): Promise<LiveSocket | { refused: number }> {
  const live = await openLive(url);
  if (!('refused' in live)) sockets.push(live);
  return live;
}

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [`capped=${KEYS.capped}`, `other=${KEYS.other}`, `lost=${KEYS.lost}`],
    quiet: true,
    log: () => {},
  });
  useStackEnv(stack);
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) await socket.close().catch(() => {});
  await stack?.stop();
});

describe('live connections past the caller’s cap', () => {
  it('are refused with 429 at connect, as is the caller’s event stream; another caller connects; a closed connection frees its slot', async () => {
    const url = await tokenUrl(KEYS.capped);
    const held: LiveSocket[] = [];
    for (let i = 0; i < PER_CALLER; i++) {
      const live = await connect(url);
      expect(live, `connection ${i + 1}`).not.toHaveProperty('refused');
      held.push(live as LiveSocket);
    }
    expect(await connect(url)).toEqual({ refused: 429 });

    // The same pool as the caller's event streams and long polls.
    const task = (await (await request(KEYS.capped, 'POST', '/tasks', { type: 'sleep', input: { seconds: 30 } })).json()) as { id: string };
    const stream = await request(KEYS.capped, 'GET', `/tasks/${task.id}/events`);
    expect(stream.status).toBe(429);
    expect(Number(stream.headers.get('retry-after'))).toBeGreaterThan(0);
    await stream.text();

    expect(await connect(await tokenUrl(KEYS.other))).not.toHaveProperty('refused');

    // `$disconnect` gives the slot back (asynchronously, as on API Gateway): the next connection gets it.
    await held[0]!.close();
    let again: LiveSocket | { refused: number } = { refused: 0 };
    for (let i = 0; i < 50 && 'refused' in again; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      again = await connect(url);
    }
    expect(again).not.toHaveProperty('refused');
    expect(await connect(url)).toEqual({ refused: 429 });
    await request(KEYS.capped, 'DELETE', `/tasks/${task.id}`).then((r) => r.text());
  });

  it('a slot whose connection is gone without a $disconnect is taken back at the cap; a live connection’s never is', async () => {
    const url = await tokenUrl(KEYS.lost);
    for (let i = 0; i < PER_CALLER - 1; i++) expect(await connect(url), `connection ${i + 1}`).not.toHaveProperty('refused');
    // The tenth slot: held by a connection API Gateway no longer knows, whose $disconnect never came.
    const slots = callerSlots('consumer:lost', PER_CALLER);
    const expiresAt = Math.floor(Date.now() / 1000) + 7200;
    for (const id of slots) {
      await dynamodb
        .send(
          new PutCommand({
            TableName: stack.tableName,
            Item: { id, lease: 'live:gone-connection=', expiresAt, ttl: expiresAt + 3600 },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': 'id' },
          }),
        )
        .catch(() => {}); // taken by a real connection
    }
    // At the cap: the lost one's slot is taken back, the nine real ones are left alone.
    expect(await connect(url)).not.toHaveProperty('refused');
    expect(await connect(url)).toEqual({ refused: 429 });
  });
});
