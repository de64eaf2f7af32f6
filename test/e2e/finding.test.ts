/**
 * Finding and following tasks over real HTTP against the local stack: metadata and the list
 * filters, the estimated completion time, and webhook events before the outcome (`callbackEvents`),
 * verified with `standardwebhooks`, plus the same event types on the local event bus.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, localStack, pollUntil, sleep } from '../support/http.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const terminal = (task: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(task.status);
const [keyA, keyB] = localStack().apiKeys as [string, string];

async function submit(body: Record<string, unknown>, key = keyA) {
  const response = await http('POST', '/tasks', { body, key });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return { id: response.body.id as string, location: response.headers.get('location')!, task: response.body };
}

/** Every id of a listing, following `nextCursor`. */
async function idsOf(query: string, key = keyA): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = `/tasks?limit=50&${query}`;
  while (next) {
    const page = await http('GET', next, { key });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    ids.push(...page.body.items.map((t: { id: string }) => t.id));
    next = page.body.nextCursor ? `/tasks?limit=50&${query}&cursor=${encodeURIComponent(page.body.nextCursor)}` : null;
  }
  return ids;
}

describe('metadata and the list filters', () => {
  const run = `run-${Date.now()}`;
  let tagged: { id: string; location: string }[];
  let other: { id: string };
  let theirs: { id: string };
  let started: number;

  beforeAll(async () => {
    started = Date.now();
    tagged = [
      await submit({ type: 'sleep', input: { seconds: 0 }, metadata: { run, team: 'billing' } }),
      await submit({ type: 'fail', input: { message: 'x' }, metadata: { run, team: 'billing' } }),
      await submit({ type: 'sleep', input: { seconds: 0 }, metadata: { run, team: 'search' } }),
    ];
    other = await submit({ type: 'sleep', input: { seconds: 0 } });
    // The other caller tags a task the same way: never in A's listing.
    theirs = await submit({ type: 'sleep', input: { seconds: 0 }, metadata: { run, team: 'billing' } }, keyB);
    for (const t of tagged) await pollUntil(t.location, terminal);
  });

  it('is returned with the task', async () => {
    expect((await http('GET', tagged[0]!.location)).body.metadata).toEqual({ run, team: 'billing' });
  });

  it('metadata filters return exactly the tagged tasks of the caller, ANDed, newest first', async () => {
    const [sleepBilling, failBilling, sleepSearch] = tagged.map((t) => t.id) as [string, string, string];
    expect(await idsOf(`metadata.run=${run}`)).toEqual([sleepSearch, failBilling, sleepBilling]);
    expect(await idsOf(`metadata.run=${run}&metadata.team=billing`)).toEqual([failBilling, sleepBilling]);
    expect(await idsOf(`metadata.run=${run}&metadata.team=billing&type=sleep`)).toEqual([sleepBilling]);
    expect(await idsOf(`metadata.run=${run}&status=failed`)).toEqual([failBilling]);
    expect(await idsOf(`metadata.run=${run}&metadata.team=nobody`)).toEqual([]);
    expect(await idsOf(`metadata.run=${run}`, keyB)).toEqual([theirs.id]);
    expect(await idsOf(`metadata.run=${run}`)).not.toContain(other.id);
  });

  it('createdAfter / createdBefore bound the creation time (RFC 3339)', async () => {
    const created = (await http('GET', tagged[1]!.location)).body.createdAt as string;
    const after = await idsOf(`metadata.run=${run}&createdAfter=${encodeURIComponent(created)}`);
    expect(after).toEqual([tagged[2]!.id]);
    const before = await idsOf(`metadata.run=${run}&createdBefore=${encodeURIComponent(created)}`);
    expect(before).toEqual([tagged[0]!.id]);
    const window = await idsOf(
      `createdAfter=${new Date(started - 1).toISOString()}&createdBefore=${new Date(Date.now() + 60_000).toISOString()}&type=fail`,
    );
    expect(window).toContain(tagged[1]!.id);
    expect(await idsOf(`metadata.run=${run}&createdAfter=2099-01-01T00:00:00Z`)).toEqual([]);
  });

  it('a cursor continues only the listing it came from', async () => {
    const page = await http('GET', `/tasks?limit=1&metadata.run=${run}`);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const elsewhere = await http('GET', `/tasks?limit=1&metadata.run=other&cursor=${encodeURIComponent(page.body.nextCursor)}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.type).toBe('https://longrun.dev/problems/invalid-cursor');
  });

  it.each([
    ['17 pairs', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
    ['a key with a space', { 'bad key': 'v' }],
    ['an empty key', { '': 'v' }],
    ['a 65-character key', { ['k'.repeat(65)]: 'v' }],
    ['a value of 513 characters', { k: 'v'.repeat(513) }],
    ['a number', { k: 1 }],
    ['a list', ['a']],
  ])('bad metadata (%s) is a 400 naming /metadata', async (_, metadata) => {
    const response = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 0 }, metadata } });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('https://longrun.dev/problems/validation-error');
    for (const e of response.body.errors) expect(e.pointer).toMatch(/^\/metadata/);
  });

  it.each([
    ['metadata.bad key=x', 'metadata.bad key'],
    ['createdAfter=yesterday', 'createdAfter'],
    ['createdBefore=2026-13-01', 'createdBefore'],
    ['status=done', 'status'],
    ['type=a&type=b', 'type'],
  ])('?%s is a 400 naming %s', async (query, name) => {
    const response = await http('GET', `/tasks?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toBe(name);
  });
});

describe('progress.estimatedCompletionAt', () => {
  it('a long primes task shows a plausible estimate while running, and none once done', async () => {
    const { location } = await submit({ type: 'primes', input: { upTo: 10_000_000 } });
    const { task: running } = await pollUntil(location, (t) => terminal(t) || (t.status === 'running' && t.progress.percent > 0), {
      maxWaitMs: 50,
      timeoutMs: 120_000,
    });
    if (running.status === 'running') {
      const eta = Date.parse(running.progress.estimatedCompletionAt);
      // Later than its last report, not absurdly far (the whole count takes seconds, never hours).
      expect(eta).toBeGreaterThanOrEqual(Date.parse(running.updatedAt));
      expect(eta - Date.parse(running.startedAt)).toBeLessThan(3600_000);
    }
    const { task: done } = await pollUntil(location, terminal, { timeoutMs: 120_000 });
    expect(done.status).toBe('succeeded');
    expect(done.progress).not.toHaveProperty('estimatedCompletionAt');
    // A pending task has none either.
    const pending = await submit({ type: 'sleep', input: { seconds: 0 } });
    expect(pending.task.progress).not.toHaveProperty('estimatedCompletionAt');
  });
});

describe('webhook events before the outcome (callbackEvents)', () => {
  const receiver = new WebhookReceiver();
  let secret: string;
  beforeAll(async () => {
    await receiver.start();
    secret = (await http('GET', '/webhook-secret')).body.secret;
  });
  afterAll(() => receiver.stop());

  const typesOf = (id: string) =>
    receiver.forTask(id).map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string });

  it('["progress", "completed"]: verified task.progress events (at most one per 5 s) before task.succeeded', async () => {
    const { id, location } = await submit({
      type: 'primes',
      input: { upTo: 10_000_000 },
      callbackUrl: receiver.url,
      callbackEvents: ['progress', 'completed'],
    });
    await pollUntil(location, (t) => terminal(t) && t.callback?.event === 'task.succeeded' && t.callback.status !== 'pending', {
      timeoutMs: 120_000,
    });
    const events = typesOf(id);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.type).toBe('task.succeeded');
    const progress = receiver.forTask(id).filter((r) => JSON.parse(r.body).type === 'task.progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(events.slice(0, -1).every((e) => e.type === 'task.progress')).toBe(true);
    for (const r of progress) expect(JSON.parse(r.body).data.status).toBe('running');
    // Each its own webhook-id; at most one per 5 s (by the time each was signed).
    const ids = receiver.forTask(id).map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
    const stamps = progress.map((r) => Number(r.headers['webhook-timestamp']));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(4);
  });

  it('the default still sends only the outcome', async () => {
    const { id, location } = await submit({ type: 'primes', input: { upTo: 3_000_000 }, callbackUrl: receiver.url });
    await pollUntil(location, (t) => terminal(t) && t.callback?.status === 'delivered', { timeoutMs: 60_000 });
    await sleep(500);
    expect(typesOf(id).map((e) => e.type)).toEqual(['task.succeeded']);
  });

  it('["started", "input_required", "completed"]: task.running, task.input_required (with the capability URL), task.succeeded', async () => {
    const { id, location } = await submit({
      type: 'approval',
      input: { question: 'Go?' },
      callbackUrl: receiver.url,
      callbackEvents: ['started', 'input_required', 'completed'],
    });
    const deadline = Date.now() + 20_000;
    while (!typesOf(id).some((e) => e.type === 'task.input_required') && Date.now() < deadline) await sleep(100);
    const required = receiver
      .forTask(id)
      .map((r) => JSON.parse(r.body))
      .find((e) => e.type === 'task.input_required');
    expect(required.data.awaitingInput.url).toMatch(/\/input\/[A-Za-z0-9_-]{43}$/);
    // The approver answers through the URL from the webhook, without a key.
    expect((await http('POST', required.data.awaitingInput.url, { body: { approved: true }, key: null })).status).toBe(204);
    await pollUntil(location, (t) => terminal(t) && t.callback?.event === 'task.succeeded' && t.callback.status === 'delivered', {
      timeoutMs: 30_000,
    });
    const types = typesOf(id)
      .map((e) => e.type)
      .filter((t) => t !== 'task.progress');
    // One write made it running and waiting: those two are queued together and may arrive in either order.
    expect(types.slice(0, -1).sort()).toEqual(['task.input_required', 'task.running']);
    expect(types.at(-1)).toBe('task.succeeded');
  });

  it('an unknown event is a 400 naming /callbackEvents', async () => {
    const response = await http('POST', '/tasks', { body: { type: 'sleep', input: { seconds: 0 }, callbackEvents: ['finished'] } });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toMatch(/^\/callbackEvents/);
  });
});

describe('the same event types on the event bus', () => {
  it('task.submitted, task.running, task.progress, task.input_required, task.succeeded for an approval', async () => {
    const { id, location } = await submit({ type: 'approval', input: { question: 'Bus?' } });
    await pollUntil(location, (t) => t.awaitingInput !== undefined);
    await http('POST', `${location}/input`, { body: { approved: true } });
    await pollUntil(location, terminal);
    let types: string[] = [];
    const deadline = Date.now() + 20_000;
    while (!types.includes('task.succeeded') && Date.now() < deadline) {
      const all = (await (await fetch(`${localStack().eventBusEndpoint}/events`)).json()) as { events: Array<{ detailType: string; detail: any }> };
      const mine = all.events.filter((e) => e.detail?.id === id);
      types = mine.map((e) => e.detailType);
      // The shared bus never carries the capability URL.
      for (const e of mine) expect(e.detail.awaitingInput?.url).toBeUndefined();
      await sleep(100);
    }
    expect(types.filter((t) => t !== 'task.progress')).toEqual(['task.submitted', 'task.running', 'task.input_required', 'task.succeeded']);
  });
});
