import { describe, expect, it } from 'vitest';
import { handler } from '#http/list-tasks';
import { apiEvent, invoke } from '../support/api-event.ts';
import { newCaller, putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

useLocalStackEnv();

const list = (apiKeyId: string, query?: Record<string, string>) =>
  invoke(handler, apiEvent({ method: 'GET', resource: '/tasks', apiKeyId, ...(query && { query }) }));

async function seed(owner: string, statuses: string[]) {
  const start = Date.now() - 60_000;
  const rows = [];
  for (const [i, status] of statuses.entries()) rows.push(await putRow({ owner, status: status as never }, start + i * 1000));
  return rows;
}

describe('GET /tasks', () => {
  it("lists only the caller's tasks, newest first", async () => {
    const [me, other] = [newCaller(), newCaller()];
    const mine = await seed(me.owner, ['pending', 'running', 'pending']);
    await seed(other.owner, ['pending']);
    const response = await list(me.apiKeyId);
    expect(response.status).toBe(200);
    expect(response.body!.items.map((t: { id: string }) => t.id)).toEqual(mine.map((t) => t.id).reverse());
    expect(response.body!.nextCursor).toBeNull();
  });

  it('pages with limit and an opaque cursor, without repeats or gaps', async () => {
    const me = newCaller();
    const mine = await seed(me.owner, Array(7).fill('pending'));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await list(me.apiKeyId, { limit: '3', ...(cursor && { cursor }) });
      expect(response.status).toBe(200);
      expect(response.body!.items.length).toBeLessThanOrEqual(3);
      seen.push(...response.body!.items.map((t: { id: string }) => t.id));
      cursor = response.body!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(mine.map((t) => t.id).reverse());
  });

  it('filters by status', async () => {
    const me = newCaller();
    const rows = await seed(me.owner, ['pending', 'running', 'pending', 'running']);
    const response = await list(me.apiKeyId, { status: 'running' });
    expect(response.body!.items.map((t: { id: string }) => t.id)).toEqual([rows[3]!.id, rows[1]!.id]);
  });

  it.each([
    [{ limit: '0' }, 'invalid-parameter'],
    [{ limit: '101' }, 'invalid-parameter'],
    [{ limit: 'ten' }, 'invalid-parameter'],
    [{ status: 'done' }, 'invalid-parameter'],
    [{ cursor: 'not-a-cursor' }, 'invalid-cursor'],
    [{ cursor: Buffer.from('{"v":1,"after":"../../x"}').toString('base64url') }, 'invalid-cursor'],
  ])('answers 400 for %j', async (query, kind) => {
    const response = await list(newCaller().apiKeyId, query);
    expect(response.status).toBe(400);
    expect(response.body!.type).toBe(`https://longrun.dev/problems/${kind}`);
  });

  it('refuses a cursor from a listing with another status filter', async () => {
    const me = newCaller();
    await seed(me.owner, ['pending', 'pending']);
    const first = await list(me.apiKeyId, { limit: '1', status: 'pending' });
    const response = await list(me.apiKeyId, { cursor: first.body!.nextCursor });
    expect(response.status).toBe(400);
  });
});
