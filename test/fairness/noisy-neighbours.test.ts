/**
 * One caller can never take the service from another. An in-process local stack (reserved
 * concurrency enforced per function, as Lambda does) with three consumers: two noisy ones each open
 * 30 event streams and 30 long polls; the quiet one's submit, GETs, list, long poll (with
 * `Preference-Applied`) and stream all still answer, and no plain route was throttled. Past its cap
 * (10 held connections), a noisy caller's stream gets 429 + Retry-After and its long poll an
 * immediate answer without `Preference-Applied`.
 */
import { type LocalStack, startLocalStack } from '@longrun/local';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const KEYS = { noisyA: 'noisy-a-key', noisyB: 'noisy-b-key', quiet: 'quiet-key' };
const PER_CALLER = 10;
const ATTEMPTS = 30;
let stack: LocalStack;
const open: AbortController[] = [];
/**
 * The open streams' responses, kept reachable: undici cancels the body of a Response that is
 * garbage collected unread, which would close a stream (and free its slot) in the middle of a test.
 */
const openStreams: Response[] = [];

function request(key: string, method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    ...(init.signal && { signal: init.signal }),
  });
}

async function submitSleep(key: string): Promise<string> {
  const res = await request(key, 'POST', '/tasks', { body: { type: 'sleep', input: { seconds: 600 } } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Opens a stream and leaves it open (its headers are the answer); a refusal is read whole. */
async function openStream(key: string, id: string): Promise<{ status: number; retryAfter: string | null; type: string | null }> {
  const controller = new AbortController();
  open.push(controller);
  const res = await request(key, 'GET', `/tasks/${id}/events`, { signal: controller.signal });
  if (res.status !== 200) await res.text();
  else openStreams.push(res);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type') };
}

/** A long poll that has not answered within `ms` is being held. */
async function longPoll(key: string, id: string, ms: number): Promise<'held' | { status: number; applied: string | null }> {
  const controller = new AbortController();
  open.push(controller);
  const answer = request(key, 'GET', `/tasks/${id}`, { headers: { Prefer: 'wait=25' }, signal: controller.signal }).then(async (res) => {
    await res.text();
    return { status: res.status, applied: res.headers.get('preference-applied') };
  });
  answer.catch(() => {});
  return Promise.race([answer, new Promise<'held'>((resolve) => setTimeout(() => resolve('held'), ms))]);
}

/** `count` calls of `fn`, `batch` at a time (a browser's worth of parallel connections). */
async function inBatches<T>(count: number, batch: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, fn))));
  return out;
}

beforeAll(async () => {
  stack = await startLocalStack({
    assembly: inject('assemblyDir'),
    port: 0,
    apiKeys: [`noisyA=${KEYS.noisyA}`, `noisyB=${KEYS.noisyB}`, `quiet=${KEYS.quiet}`],
    quiet: true,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  for (const controller of open) controller.abort();
  await stack?.stop();
});

describe('noisy neighbours', () => {
  it('two callers holding all they may cannot slow or fail a third; past their cap they are told so', async () => {
    const noisy = [KEYS.noisyA, KEYS.noisyB];
    const watched = await Promise.all(noisy.map(submitSleep));
    const quietTask = await submitSleep(KEYS.quiet);

    // 30 streams each: 10 open, the rest refused with 429 + Retry-After before they start.
    for (const [i, key] of noisy.entries()) {
      const streams = await inBatches(ATTEMPTS, 6, () => openStream(key, watched[i]!));
      const accepted = streams.filter((s) => s.status === 200);
      const refused = streams.filter((s) => s.status !== 200);
      expect(accepted).toHaveLength(PER_CALLER);
      for (const s of accepted) expect(s.type).toMatch(/^text\/event-stream/);
      expect(refused).toHaveLength(ATTEMPTS - PER_CALLER);
      for (const s of refused) expect(s).toMatchObject({ status: 429, type: 'application/problem+json' });
      for (const s of refused) expect(Number(s.retryAfter)).toBeGreaterThan(0);
    }

    // 30 long polls each: with all 10 of its slots held by streams, every one is answered at once,
    // as a plain GET (no Preference-Applied).
    for (const [i, key] of noisy.entries()) {
      const polls = await inBatches(ATTEMPTS, 6, () => longPoll(key, watched[i]!, 3_000));
      expect(polls.filter((p) => p === 'held')).toHaveLength(0);
      for (const p of polls) expect(p).toEqual({ status: 200, applied: null });
    }

    // The quiet caller: every kind of request answers, the long poll and the stream are granted.
    const submit = await request(KEYS.quiet, 'POST', '/tasks', { body: { type: 'primes', input: { upTo: 1000 } } });
    expect(submit.status).toBe(202);
    await submit.text();
    const get = await request(KEYS.quiet, 'GET', `/tasks/${quietTask}`);
    expect(get.status).toBe(200);
    const etag = get.headers.get('etag')!;
    await get.text();
    const list = await request(KEYS.quiet, 'GET', '/tasks?limit=5');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);
    const poll = await request(KEYS.quiet, 'GET', `/tasks/${quietTask}`, { headers: { Prefer: 'wait=1', 'If-None-Match': etag } });
    expect(poll.status).toBe(304);
    expect(poll.headers.get('preference-applied')).toBe('wait=1');
    const stream = await openStream(KEYS.quiet, quietTask);
    expect(stream).toMatchObject({ status: 200 });

    // Held connections never touched the plain requests' share: no route function was throttled.
    for (const [name, fn] of stack.concurrency) {
      if (['get-task', 'get-task-result', 'list-tasks', 'submit-task', 'task-events'].includes(name)) expect(fn.throttles, name).toBe(0);
    }
  });

  it('a caller whose streams closed gets its slots back', async () => {
    for (const controller of open.splice(0)) controller.abort();
    openStreams.length = 0;
    const id = await submitSleep(KEYS.noisyA);
    // The handler notices the client left at its next read (4 a second) and gives its slot back.
    const deadline = Date.now() + 15_000;
    let accepted = 0;
    while (Date.now() < deadline) {
      const s = await openStream(KEYS.noisyA, id);
      if (s.status === 200) {
        accepted++;
        if (accepted === PER_CALLER) break;
      } else {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(accepted).toBe(PER_CALLER);
  });
});
