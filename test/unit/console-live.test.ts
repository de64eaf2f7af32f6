/**
 * The console's live channel (lambdas/console/live.ts) against a fake WebSocket: a token per connection, resumed
 * with `since` after a drop, older versions dropped, and the fallback to the event stream when the socket never opens.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../../lambdas/console/api.ts';
import { followList, followTask, type LiveMode } from '../../lambdas/console/live.ts';

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
}

/** An Api whose `POST /watch-tokens` hands out numbered tokens and whose event stream has nothing newer (204). */
function fakeApi() {
  const tokens: unknown[] = [];
  const streams: string[] = [];
  const api = {
    call: async (_method: string, path: string, options: { body?: unknown }) => {
      expect(path).toBe('watch-tokens');
      tokens.push(options.body);
      return { status: 201, body: { url: `ws://127.0.0.1:1/v1?token=t${tokens.length}` } };
    },
    raw: async (_method: string, path: string) => {
      streams.push(path);
      return new Response(null, { status: 204 });
    },
  } as unknown as Api;
  return { api, tokens, streams };
}

const socket = (n: number) => vi.waitFor(() => FakeSocket.all[n] ?? Promise.reject(new Error(`no socket ${n}`)), { timeout: 3_000 });
const task = (id: string, status: string, percent = 0) => ({ id, type: 'sleep', status, progress: { percent } });

afterEach(() => {
  vi.unstubAllGlobals();
  FakeSocket.all = [];
});

describe('console live channel', () => {
  it('follows a task with a token for it, resumes with since after a dropped connection, drops older versions', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const { api, tokens, streams } = fakeApi();
    const seen: Array<[string, number]> = [];
    const modes: LiveMode[] = [];
    const done = followTask(api, 'T1', {
      onTask: (t) => seen.push([t.status, t.progress?.percent ?? 0]),
      onMode: (mode) => modes.push(mode),
      onError: (error) => expect.fail(String(error)),
      signal: new AbortController().signal,
      events: true,
      live: true,
    });
    const first = await socket(0);
    expect(first.url).toBe('ws://127.0.0.1:1/v1?token=t1');
    first.open();
    expect(first.sent).toEqual([{ action: 'subscribe', taskId: 'T1' }]);
    first.receive({ event: 'subscribed', taskId: 'T1' });
    first.receive({ event: 'status', id: 3, data: task('T1', 'running', 10) });
    first.receive({ event: 'progress', id: 2, data: task('T1', 'running', 5) });
    first.receive({ event: 'progress', id: 3, data: task('T1', 'running', 7) });
    first.drop();
    // A new token (one opens one connection), and the subscription resumes after the last version.
    const second = await socket(1);
    expect(second.url).toBe('ws://127.0.0.1:1/v1?token=t2');
    second.open();
    expect(second.sent).toEqual([{ action: 'subscribe', taskId: 'T1', since: 3 }]);
    second.receive({ event: 'done', id: 5, data: task('T1', 'succeeded', 100) });
    await done;
    expect(tokens).toEqual([{ taskId: 'T1' }, { taskId: 'T1' }]);
    expect(seen).toEqual([
      ['running', 10],
      ['succeeded', 100],
    ]);
    expect(modes.at(-1)).toBe('ended');
    expect(modes).toContain('socket');
    expect(streams).toEqual([]);
    expect(second.readyState).toBe(3);
  });

  it('falls back to the event stream when the socket never opens (refused, or blocked: an error with no close)', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const { api, streams } = fakeApi();
    const done = followTask(api, 'T2', {
      onTask: () => {},
      onMode: () => {},
      onError: (error) => expect.fail(String(error)),
      signal: new AbortController().signal,
      events: true,
      live: true,
    });
    (await socket(0)).onerror?.();
    await done;
    expect(streams).toEqual(['tasks/T2/events']);
  });

  it('follows the list with one caller-wide connection, per-task versions, and says when each subscription holds', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const { api, tokens } = fakeApi();
    const controller = new AbortController();
    const seen: string[] = [];
    let held = 0;
    const usable = followList(
      api,
      controller.signal,
      (t) => seen.push(`${t.id}:${t.status}`),
      () => held++,
    );
    const first = await socket(0);
    first.open();
    expect(first.sent).toEqual([{ action: 'subscribe' }]);
    expect(held).toBe(0);
    first.receive({ event: 'subscribed' });
    expect(held).toBe(1);
    first.receive({ event: 'status', id: 2, data: task('A', 'running') });
    first.receive({ event: 'status', id: 1, data: task('B', 'pending') });
    first.receive({ event: 'status', id: 1, data: task('A', 'pending') });
    first.receive({ event: 'done', id: 3, data: task('A', 'succeeded') });
    first.drop();
    const second = await socket(1);
    second.open();
    second.receive({ event: 'subscribed' });
    controller.abort();
    expect(await usable).toBe(true);
    expect(tokens).toEqual([{}, {}]);
    expect(seen).toEqual(['A:running', 'B:pending', 'A:succeeded']);
    // Once per connection: the list re-reads what changed before each subscription held.
    expect(held).toBe(2);
  });
});
