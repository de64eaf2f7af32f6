/**
 * Live status over real HTTP: server-sent events read by the `eventsource` package (a client
 * nobody here wrote), and the long poll (`Prefer: wait`). Timing is asserted only where the server
 * must wait (a lower bound), never as a speed requirement.
 */
import { reportProgress } from '@longrun/worker';
import { EventSource, type FetchLike } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { useLocalStackEnv } from '../support/handler-env.ts';
import { http, localStack, pollUntil, sleep } from '../support/http.ts';
import { violations } from '../support/openapi-conformance.ts';

useLocalStackEnv();
// Progress is written as a worker writes it: with the worker kit.
const [keyA, keyB] = localStack().apiKeys as [string, string];

interface Received {
  type: string;
  id: string;
  data: any;
}

/** An EventSource with `x-api-key` (through its `fetch` option), recording every event and every request it makes. */
function eventSource(url: string, key: string, options: { onConnection?: (cut: () => void, index: number) => void } = {}) {
  const requests: Array<{ lastEventId: string | null; status: number }> = [];
  const events: Received[] = [];
  const fetchWithKey: FetchLike = async (input, init) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), 'x-api-key': key };
    const response = await fetch(input, { ...init, headers });
    const contentType = response.headers.get('content-type') ?? '';
    expect(
      violations(
        'GET',
        new URL(String(input)).pathname,
        response.status,
        response.headers,
        contentType.startsWith('text/event-stream') ? '' : await response.clone().text(),
      ),
    ).toEqual([]);
    requests.push({ lastEventId: headers['Last-Event-ID'] ?? headers['last-event-id'] ?? null, status: response.status });
    if (!options.onConnection || !response.body) return response;
    // A body we can end on demand: the client sees the connection drop and reconnects.
    const reader = response.body.getReader();
    let cut = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        cut = () => {
          void reader.cancel().catch(() => {});
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
      },
      async pull(controller) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) {
          try {
            controller.close();
          } catch {
            // cut meanwhile
          }
          return;
        }
        controller.enqueue(value);
      },
    });
    options.onConnection(() => cut(), requests.length - 1);
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const source = new EventSource(url, { fetch: fetchWithKey });
  const done = new Promise<void>((resolve, reject) => {
    for (const type of ['status', 'progress', 'done']) {
      source.addEventListener(type, (event) => {
        events.push({ type, id: event.lastEventId, data: JSON.parse(event.data) });
        if (type === 'done') {
          source.close();
          resolve();
        }
      });
    }
    source.addEventListener('error', (event) => {
      if (source.readyState === EventSource.CLOSED)
        reject(Object.assign(new Error(`stream failed: ${(event as { message?: string }).message}`), { code: (event as { code?: number }).code }));
    });
  });
  return { source, events, requests, done };
}

async function submit(body: unknown, key = keyA) {
  const response = await http('POST', '/tasks', { body, key });
  expect(response.status).toBe(202);
  return response.body as { id: string; links: { self: string } };
}

describe('GET /tasks/{id}/events with the eventsource package', () => {
  it('streams a primes task from its state at once to done; ids and progress only grow', async () => {
    const task = await submit({ type: 'primes', input: { upTo: 10_000_000 } });
    const stream = eventSource(`${task.links.self}/events`, keyA);
    await stream.done;
    const types = stream.events.map((e) => e.type);
    // Locally the CPU-bound worker shares one process with the stream, so how many of its progress
    // writes the stream sees depends on load; the next test controls the writes and counts them.
    expect(['status', 'done']).toContain(types[0]);
    expect(types.at(-1)).toBe('done');
    expect(types.filter((t) => t === 'done')).toHaveLength(1);
    const ids = stream.events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const percents = stream.events.map((e) => e.data.progress.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(stream.events.at(-1)!.data).toMatchObject({ id: task.id, status: 'succeeded', progress: { percent: 100 } });
    expect(stream.requests).toHaveLength(1);
  });

  it('sends every progress write as a progress event, then done when the task ends', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 600 } });
    await pollUntil(task.links.self, (t) => t.status === 'running', { maxWaitMs: 100 });
    const stream = eventSource(`${task.links.self}/events`, keyA);
    while (stream.events.length === 0) await sleep(20);
    // Writes further apart than the 250 ms re-read interval, as the worker helper's once-a-second rule makes them.
    for (const percent of [20, 40, 60, 80]) {
      await reportProgress(task.id, { percent, step: `step ${percent}` });
      await sleep(700);
    }
    await http('DELETE', task.links.self);
    await stream.done;
    const types = stream.events.map((e) => e.type);
    expect(types[0]).toBe('status');
    expect(types.filter((t) => t === 'progress').length).toBeGreaterThanOrEqual(3);
    expect(types.at(-1)).toBe('done');
    const progress = stream.events.filter((e) => e.type === 'progress').map((e) => e.data.progress);
    // While running with progress, the estimated end comes with it.
    expect(progress.at(-1)).toEqual({ percent: 80, step: 'step 80', estimatedCompletionAt: expect.any(String) });
    expect(stream.events.at(-1)!.data.status).toBe('cancelled');
  });

  it('resumes after a forced disconnect with Last-Event-ID and still receives the terminal event', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 600 } });
    await pollUntil(task.links.self, (t) => t.status === 'running', { maxWaitMs: 100 });
    let cutFirst = () => {};
    const stream = eventSource(`${task.links.self}/events`, keyA, {
      onConnection: (cut, index) => {
        if (index === 0) cutFirst = cut;
      },
    });
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (stream.events.length >= 1) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    const lastBeforeCut = stream.events.at(-1)!.id;
    cutFirst();
    // Changes while the client is away and after it is back: it gets the newest state, then the outcome.
    await reportProgress(task.id, { percent: 30 });
    while (stream.requests.length < 2) await sleep(50);
    await reportProgress(task.id, { percent: 60 });
    await sleep(700);
    await http('DELETE', task.links.self);
    await stream.done;
    expect(stream.requests.length).toBeGreaterThanOrEqual(2);
    expect(stream.requests[1]!.lastEventId).toBe(lastBeforeCut);
    expect(stream.events.filter((e) => e.type === 'done')).toHaveLength(1);
    expect(stream.events.at(-1)!.data.status).toBe('cancelled');
    const ids = stream.events.map((e) => Number(e.id));
    expect(new Set(ids).size, 'no event is sent twice across the reconnect').toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(stream.events.map((e) => e.data.progress.percent)).toContain(60);
  });

  it("another caller's task: 404 problem before any stream, and the EventSource gives up", async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 0 } });
    const stream = eventSource(`${task.links.self}/events`, keyB);
    const error = await stream.done.then(
      () => undefined,
      (err: { code?: number }) => err,
    );
    expect(error?.code).toBe(404);
    expect(stream.events).toHaveLength(0);
    const direct = await http('GET', `${task.links.self}/events`, { key: keyB });
    expect(direct.status).toBe(404);
    expect(direct.headers.get('content-type')).toBe('application/problem+json');
  });

  it('a finished task: the snapshot is done at once; garbage Last-Event-ID gets the snapshot; its final id answers 204', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 0 } });
    await pollUntil(task.links.self, (t) => t.status === 'succeeded');
    const first = await http('GET', `${task.links.self}/events`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(first.text).toMatch(/^retry: \d+\n\nid: (\d+)\nevent: done\ndata: \{.*"status":"succeeded".*\}\n\n$/s);
    const finalId = /id: (\d+)/.exec(first.text)![1]!;
    const garbage = await http('GET', `${task.links.self}/events`, { headers: { 'Last-Event-ID': 'not-a-version' } });
    expect(garbage.text).toContain(`id: ${finalId}\nevent: done`);
    const complete = await http('GET', `${task.links.self}/events`, { headers: { 'Last-Event-ID': finalId } });
    expect(complete.status).toBe(204);
    expect(complete.text).toBe('');
  });
});

describe('long poll: Prefer: wait', () => {
  it('a running 3 s sleep polled once with wait=20 answers with its terminal state', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 3 } });
    const running = await pollUntil(task.links.self, (t) => t.status === 'running', { maxWaitMs: 100 });
    const etag = running.response.headers.get('etag')!;
    const started = Date.now();
    const answer = await http('GET', task.links.self, { headers: { Prefer: 'wait=20', 'If-None-Match': etag } });
    const elapsed = Date.now() - started;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('preference-applied')).toBe('wait=20');
    expect(answer.body.status).toBe('succeeded');
    // Generous sanity only: it answered on the change, not at the end of the 20 s wait.
    expect(elapsed).toBeLessThan(19_000);
  });

  it('an unchanged task with If-None-Match and wait=2 answers 304 with Preference-Applied once the wait is over', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 600 } });
    const running = await pollUntil(task.links.self, (t) => t.status === 'running', { maxWaitMs: 100 });
    const etag = running.response.headers.get('etag')!;
    const started = Date.now();
    const answer = await http('GET', task.links.self, { headers: { Prefer: 'wait=2', 'If-None-Match': etag } });
    expect(answer.status).toBe(304);
    expect(answer.headers.get('preference-applied')).toBe('wait=2');
    expect(answer.headers.get('etag')).toBe(etag);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    await http('DELETE', task.links.self);
  });

  it('without If-None-Match it waits for a change since the request arrived; the result monitor does too', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 2 } });
    await pollUntil(task.links.self, (t) => t.status === 'running', { maxWaitMs: 100 });
    const monitor = await http('GET', `${task.links.self}/result`, { headers: { Prefer: 'wait=20' } });
    expect(monitor.headers.get('preference-applied')).toBe('wait=20');
    expect(monitor.status).toBe(200);
    expect(monitor.body).toEqual({ seconds: 2 });
  });

  it('a malformed preference is ignored (an immediate answer, no Preference-Applied); wait is clamped to 25', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 0 } });
    await pollUntil(task.links.self, (t) => t.status === 'succeeded');
    const malformed = await http('GET', task.links.self, { headers: { Prefer: 'wait=soon' } });
    expect(malformed.status).toBe(200);
    expect(malformed.headers.get('preference-applied')).toBeNull();
    // Terminal: answered at once, with the clamped wait it would have honoured.
    const clamped = await http('GET', task.links.self, { headers: { Prefer: 'wait=600' } });
    expect(clamped.headers.get('preference-applied')).toBe('wait=25');
  });
});

describe('result monitor', () => {
  it('202 with Location (itself, absolute), Retry-After and the task while running; cancelled is a 409 with the error', async () => {
    const task = await submit({ type: 'sleep', input: { seconds: 600 } });
    const monitor = await http('GET', `${task.links.self}/result`);
    expect(monitor.status).toBe(202);
    expect(monitor.headers.get('location')).toBe(`${localStack().baseUrl}/tasks/${task.id}/result`);
    expect(Number(monitor.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(monitor.body).toMatchObject({ id: task.id });
    await http('DELETE', task.links.self);
    const cancelled = await http('GET', `${task.links.self}/result`);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body).toMatchObject({ taskStatus: 'cancelled', error: { type: 'https://longrun.dev/problems/task-cancelled' } });
  });
});
