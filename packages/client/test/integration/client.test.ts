/**
 * The typed client against the local stack over real HTTP. The only `fetch` wrapper used here
 * observes requests (to count them and time them); it never changes an answer.
 */
import { describe, expect, inject, it } from 'vitest';
import { newTaskId } from '../../../../lambdas/domain/ids.ts';
import {
  AbortError,
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffDelay,
  ConflictError,
  GoneError,
  LongrunClient,
  LongrunError,
  NetworkError,
  NotFoundError,
  ProblemError,
  type Task,
  TimeoutError,
  ValidationError,
} from '../../src/index.ts';

interface Seen {
  method: string;
  url: string;
  ifNoneMatch: string | null;
  at: number;
  status: number;
  retryAfter: string | null;
  etag: string | null;
}

/** A client whose fetch records every request and answer. */
function observedClient(key = 0) {
  const stack = inject('localStack');
  const seen: Seen[] = [];
  const observe: typeof fetch = async (input, init) => {
    const at = Date.now();
    const response = await fetch(input, init);
    seen.push({
      method: init?.method ?? 'GET',
      url: String(input),
      ifNoneMatch: new Headers(init?.headers).get('if-none-match'),
      at,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      etag: response.headers.get('etag'),
    });
    return response;
  };
  const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[key], fetch: observe });
  return { client, seen };
}

const polls = (seen: Seen[], id: string) => seen.filter((s) => s.method === 'GET' && s.url.endsWith(`/tasks/${id}`));

describe('LongrunClient against the local stack', () => {
  it('submit + waitFor: primes up to 2,000,000 succeeds, onProgress sees every change, result is typed JSON', async () => {
    const { client } = observedClient();
    const task = await client.submit('primes', { upTo: 2_000_000 });
    expect(task.status).toBe('pending');
    expect(task.type).toBe('primes');
    const seenTasks: Task[] = [];
    const done = await client.waitFor(task, { onProgress: (t) => seenTasks.push(t), timeoutMs: 50_000 });
    expect(done.status).toBe('succeeded');
    expect(done.progress.percent).toBe(100);
    expect(seenTasks[0]!.status).toBe('pending'); // the submitted task itself
    expect(seenTasks.at(-1)).toEqual(done);
    const percents = seenTasks.map((t) => t.progress.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // onProgress only on change: no two consecutive identical states.
    for (let i = 1; i < seenTasks.length; i++) {
      expect([seenTasks[i]!.status, seenTasks[i]!.progress]).not.toEqual([seenTasks[i - 1]!.status, seenTasks[i - 1]!.progress]);
    }
    expect(await client.result<{ count: number }>(done)).toEqual({ count: 148_933 });
  });

  it('waitFor by id: sleep 1 succeeds', async () => {
    const { client } = observedClient();
    const { id } = await client.submit('sleep', { seconds: 1 });
    const done = await client.waitFor(id, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ id, type: 'sleep', status: 'succeeded' });
    expect((await client.get(id)).status).toBe('succeeded');
  });

  it('sends If-None-Match with the last ETag; a 304 keeps the previous task', async () => {
    const { client, seen } = observedClient();
    const task = await client.submit('sleep', { seconds: 4 });
    const changes: Task[] = [];
    const done = await client.waitFor(task, { onProgress: (t) => changes.push(t), timeoutMs: 40_000, transport: 'poll' });
    expect(done.status).toBe('succeeded');
    const gets = polls(seen, task.id);
    const notModified = gets.filter((g) => g.status === 304);
    expect(notModified.length).toBeGreaterThan(0);
    for (const g of notModified) expect(g.ifNoneMatch).toBeTruthy();
    // Every conditional request carries the ETag of the previous 200.
    let lastEtag: string | null = null;
    for (const g of gets) {
      if (lastEtag) expect(g.ifNoneMatch).toBe(lastEtag);
      if (g.status === 200) lastEtag = g.etag;
    }
    // A 304 is not a change.
    expect(changes.length).toBeLessThan(gets.length + 1);
  });

  it('honours Retry-After: each poll waits at least what the previous answer said', async () => {
    const { client, seen } = observedClient();
    const task = await client.submit('sleep', { seconds: 3 });
    await client.waitFor(task, { timeoutMs: 40_000, transport: 'poll' });
    const submit = seen.find((s) => s.method === 'POST')!;
    const chain = [submit, ...polls(seen, task.id)];
    expect(chain.length).toBeGreaterThan(2);
    for (let i = 1; i < chain.length; i++) {
      const said = chain[i - 1]!.retryAfter;
      if (said === null) continue;
      // 25 ms of slack for timer granularity; no upper bound.
      expect(chain[i]!.at - chain[i - 1]!.at).toBeGreaterThanOrEqual(Number(said) * 1000 - 25);
    }
  });

  it('aborts promptly on signal, with the last task seen; the task keeps running', async () => {
    const { client, seen } = observedClient();
    const task = await client.submit('sleep', { seconds: 3600 });
    const controller = new AbortController();
    let abortedAt = 0;
    const waiting = client.waitFor(task, {
      transport: 'poll',
      signal: controller.signal,
      onProgress: (t) => {
        if (t.status === 'running' && !abortedAt) {
          // Abort while the client sleeps out a Retry-After of at least 1 s.
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort();
          }, 20);
        }
      },
    });
    const error = await waiting.then(
      () => undefined,
      (err: unknown) => err,
    );
    const rejectedAt = Date.now();
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toBeInstanceOf(LongrunError);
    expect((error as AbortError).task?.status).toBe('running');
    expect(rejectedAt - abortedAt).toBeLessThan(900); // well before the next poll was due
    const pollsBefore = polls(seen, task.id).length;
    expect(polls(seen, task.id).filter((p) => p.at > abortedAt)).toHaveLength(0);
    expect(pollsBefore).toBeGreaterThan(0);
    expect((await client.get(task)).status).toBe('running');
    expect((await client.cancel(task)).status).toBe('cancelled');
  });

  it('watch (default): follows the live channel, one watch token, no event stream, no polls, ending with the terminal state', async () => {
    const { client, seen } = observedClient();
    const task = await client.submit('primes', { upTo: 2_000_000 });
    const states: Task[] = [];
    for await (const state of client.watch(task, { timeoutMs: 50_000 })) states.push(state);
    expect(states[0]).toEqual(task);
    expect(states.at(-1)).toMatchObject({ id: task.id, status: 'succeeded' });
    expect(seen.filter((s) => s.method === 'POST' && s.url.endsWith('/watch-tokens'))).toHaveLength(1);
    expect(seen.filter((s) => s.url.endsWith(`/tasks/${task.id}/events`))).toHaveLength(0);
    expect(polls(seen, task.id)).toHaveLength(0);
  });

  it('watch with the event stream (transport: events): one request, no polls, ending with the terminal state', async () => {
    const { client, seen } = observedClient();
    const task = await client.submit('primes', { upTo: 2_000_000 });
    const states: Task[] = [];
    for await (const state of client.watch(task, { timeoutMs: 50_000, transport: 'events' })) states.push(state);
    expect(states.at(-1)).toMatchObject({ id: task.id, status: 'succeeded' });
    expect(seen.filter((s) => s.url.endsWith(`/tasks/${task.id}/events`))).toHaveLength(1);
    expect(seen.filter((s) => s.url.endsWith('/watch-tokens'))).toHaveLength(0);
    expect(polls(seen, task.id)).toHaveLength(0);
  });

  it('watch falls back to the event stream where the deployment has no live channel (no /watch-tokens route)', async () => {
    const stack = inject('localStack');
    const urls: string[] = [];
    const withoutLive: typeof fetch = async (input, init) => {
      const url = String(input).replace(/\/watch-tokens$/, '/watch-tokens-not-deployed');
      urls.push(url);
      return fetch(url, init);
    };
    const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0], fetch: withoutLive });
    const task = await client.submit('sleep', { seconds: 1 });
    expect((await client.waitFor(task, { timeoutMs: 40_000 })).status).toBe('succeeded');
    expect(urls.filter((u) => u.endsWith('/watch-tokens-not-deployed'))).toHaveLength(1);
    expect(urls.filter((u) => u.endsWith(`/tasks/${task.id}/events`))).toHaveLength(1);
  });

  it('watch falls back to the long poll where the server neither has a live channel nor streams (routes it lacks answer 404)', async () => {
    const stack = inject('localStack');
    const seen: Array<{ url: string; prefer: string | null; applied: string | null }> = [];
    // An older deployment: its gateway has no /watch-tokens and no /events route (the requests go to paths that do not exist).
    const olderServer: typeof fetch = async (input, init) => {
      const url = String(input)
        .replace(/\/events$/, '/events-not-deployed')
        .replace(/\/watch-tokens$/, '/watch-tokens-not-deployed');
      const response = await fetch(url, init);
      seen.push({ url, prefer: new Headers(init?.headers).get('prefer'), applied: response.headers.get('preference-applied') });
      return response;
    };
    const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0], fetch: olderServer });
    const task = await client.submit('sleep', { seconds: 2 });
    const done = await client.waitFor(task, { timeoutMs: 40_000 });
    expect(done.status).toBe('succeeded');
    const longPolls = seen.filter((s) => s.url.endsWith(`/tasks/${task.id}`));
    expect(longPolls.length).toBeGreaterThan(0);
    expect(longPolls.every((s) => s.prefer === 'wait=25' && s.applied === 'wait=25')).toBe(true);
    // Each long poll returned on a change (pending -> running -> succeeded), not on a timer.
    expect(longPolls.length).toBeLessThanOrEqual(4);
  });

  it('an already-aborted signal rejects at once; timeoutMs rejects with TimeoutError', async () => {
    const { client } = observedClient();
    const task = await client.submit('sleep', { seconds: 3600 });
    await expect(client.waitFor(task.id, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const timedOut = await client.waitFor(task, { timeoutMs: 300 }).catch((err: unknown) => err);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect((timedOut as TimeoutError).task?.id).toBe(task.id);
    await client.cancel(task);
  });

  it('404: NotFoundError with the problem details', async () => {
    const { client } = observedClient();
    const id = newTaskId();
    const error = await client.get(id).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(ProblemError);
    const problem = (error as NotFoundError).problem;
    expect((error as NotFoundError).status).toBe(404);
    expect((error as NotFoundError).type).toBe('https://longrun.dev/problems/not-found');
    expect(problem).toMatchObject({ status: 404, title: 'Not Found', instance: `/v1/tasks/${id}` });
    expect(problem.detail).toBeTruthy();
  });

  it('410: an id minted longer ago than the retention is a GoneError', async () => {
    const { client } = observedClient();
    const error = await client.get('01890000-0000-7000-8000-000000000000').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GoneError);
    expect((error as GoneError).problem).toMatchObject({ status: 410, type: 'https://longrun.dev/problems/gone' });
  });

  it("another caller's task is a NotFoundError too", async () => {
    const { client: a } = observedClient(0);
    const { client: b } = observedClient(1);
    const task = await a.submit('sleep', { seconds: 0 });
    await expect(b.get(task)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('409 on the result of a failed task: ConflictError stating the task status', async () => {
    const { client } = observedClient();
    const task = await client.submit('fail', { message: 'client test failure' });
    const done = await client.waitFor(task, { timeoutMs: 30_000 });
    expect(done.status).toBe('failed');
    expect(done.error?.detail).toBe('client test failure');
    const error = await client.result(done).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).status).toBe(409);
    expect((error as ConflictError).taskStatus).toBe('failed');
    expect((error as ConflictError).type).toBe('https://longrun.dev/problems/task-not-succeeded');
    // Cancelling a finished task is a conflict too.
    await expect(client.cancel(done)).rejects.toBeInstanceOf(ConflictError);
  });

  it('400: ValidationError naming the offending field', async () => {
    const { client } = observedClient();
    const error = await client.submit('primes', { upTo: 1 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toContain('/input/upTo');
    const unknownType = await client.submit('no-such-type', {}).catch((err: unknown) => err);
    expect(unknownType).toBeInstanceOf(ValidationError);
  });

  it('idempotency key: the same submit twice is the same task', async () => {
    const { client } = observedClient();
    const key = `client-test-${Date.now()}-${Math.random()}`;
    const first = await client.submit('sleep', { seconds: 0 }, { idempotencyKey: key });
    const again = await client.submit('sleep', { seconds: 0 }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
  });

  it('list and listAll page through the caller’s tasks, newest first', async () => {
    const { client } = observedClient();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.submit('sleep', { seconds: 0 })).id);
    const page = await client.list({ limit: 2 });
    expect(page.items.length).toBeLessThanOrEqual(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const task of client.listAll({ limit: 2 })) all.push(task.id);
    expect(new Set(all).size).toBe(all.length);
    const positions = ids.map((id) => all.indexOf(id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => b - a)); // newest first
  });

  it('network failures are NetworkError', async () => {
    const client = new LongrunClient({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'x' });
    await expect(client.get('anything')).rejects.toBeInstanceOf(NetworkError);
  });

  it('backoff: full jitter within [0, min(30 s, 500 ms * 2^attempt)]', () => {
    expect(backoffDelay(0, () => 1)).toBe(BACKOFF_BASE_MS);
    expect(backoffDelay(3, () => 1)).toBe(BACKOFF_BASE_MS * 8);
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(5, () => 0)).toBe(0);
  });
});

describe('steering and finding tasks with the client', () => {
  const client = () => observedClient().client;

  it('submit with preferWait answers a quick task finished, with its result; cancelAfter, metadata and callbackEvents reach the task', async () => {
    const quick = await client().submit('primes', { upTo: 1000 }, { preferWait: 10, metadata: { suite: 'client' }, cancelAfter: '15s' });
    expect(quick).toMatchObject({ status: 'succeeded', result: { count: 168 }, metadata: { suite: 'client' } });
    expect(Date.parse(quick.deadline!) - Date.parse(quick.createdAt)).toBeGreaterThanOrEqual(15_000);
    const slow = await client().submit('sleep', { seconds: 0 }, { callbackEvents: ['completed'], cancelAfter: 10 });
    expect(slow.status).toBe('pending');
    await expect(client().submit('sleep', { seconds: 0 }, { cancelAfter: 'soon' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('retry runs a failed task again as its next attempt; history tells it; a succeeded one is a ConflictError', async () => {
    const c = client();
    const done = await c.waitFor(await c.submit('flaky', { failures: 1 }));
    expect(done.status).toBe('failed');
    const retried = await c.retry(done);
    expect(retried).toMatchObject({ id: done.id, status: 'pending', attempt: 2 });
    const again = await c.waitFor(retried);
    expect(again).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await c.history(again)).map((e) => e.event).filter((e) => e !== 'started')).toEqual(['submitted', 'failed', 'retried', 'succeeded']);
    await expect(c.retry(again)).rejects.toBeInstanceOf(ConflictError);
  });

  it('sendInput answers a waiting task (a ValidationError names the field); sendInputByUrl works without a key, once', async () => {
    const c = client();
    const first = await c.submit('approval', { question: 'One?' });
    let waiting = await c.get(first);
    for (let i = 0; i < 100 && !waiting.awaitingInput; i++) waiting = await c.get(first);
    await expect(c.sendInput(waiting, { approved: 'yes' })).rejects.toMatchObject({ errors: [{ pointer: '/approved' }] });
    expect((await c.sendInput(waiting, { approved: true })).status).toBe('running');
    expect(await c.result((await c.waitFor(waiting)).id)).toEqual({ approved: true });
    await expect(c.sendInput(waiting, { approved: true })).rejects.toBeInstanceOf(ConflictError);

    const second = await c.submit('approval', { question: 'Two?' });
    let other = await c.get(second);
    for (let i = 0; i < 100 && !other.awaitingInput; i++) other = await c.get(second);
    const keyless = new LongrunClient({ baseUrl: inject('localStack').baseUrl });
    await keyless.sendInputByUrl(other.awaitingInput!.url!, { approved: false });
    await expect(keyless.sendInputByUrl(other.awaitingInput!.url!, { approved: false })).rejects.toBeInstanceOf(NotFoundError);
    expect(await c.result((await c.waitFor(other)).id)).toEqual({ approved: false });
  });

  it('list filters by type, metadata and creation time; purge erases a task (then GoneError)', async () => {
    const c = client();
    const tag = `client-${Date.now()}`;
    const since = new Date(Date.now() - 1000);
    const a = await c.submit('sleep', { seconds: 0 }, { metadata: { tag } });
    const b = await c.submit('fail', { message: 'x' }, { metadata: { tag } });
    expect((await c.list({ metadata: { tag } })).items.map((t) => t.id)).toEqual([b.id, a.id]);
    expect((await c.list({ metadata: { tag }, type: 'fail', createdAfter: since })).items.map((t) => t.id)).toEqual([b.id]);
    expect((await c.list({ metadata: { tag }, createdBefore: since })).items).toEqual([]);
    await c.waitFor(a);
    await c.purge(a);
    await expect(c.get(a)).rejects.toBeInstanceOf(GoneError);
    expect((await c.list({ metadata: { tag } })).items.map((t) => t.id)).toEqual([b.id]);
  });
});
