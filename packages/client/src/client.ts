/**
 * A typed client for the Longrun API. No dependencies beyond `fetch`.
 *
 *   const client = new LongrunClient({ baseUrl: 'http://127.0.0.1:3000/v1', apiKey });
 *   const task = await client.submit('primes', { upTo: 5_000_000 }, { idempotencyKey: 'job-42' });
 *   const done = await client.waitFor(task, { onProgress: (t) => console.log(t.progress.percent) });
 *   if (done.status === 'succeeded') console.log(await client.result(done));
 *
 * Types come from the OpenAPI document (`schema/`, generated; see `types.ts`). Error answers
 * throw `ProblemError` subclasses (`errors.ts`); failures to reach the API throw `NetworkError`.
 */
import { AbortError, InvalidResponseError, LongrunError, NetworkError, ProblemError, parseRetryAfter, problemError } from './errors.ts';
import {
  backoffDelay,
  changes,
  checkStop,
  combineSignals,
  type FollowState,
  isTransient,
  LONG_POLL_SECONDS,
  STREAM_RECONNECT_MS,
  sleepUntil,
  taskKey,
  WAIT_MAX_TRANSIENT_FAILURES,
} from './follow.ts';
import { liveSession } from './live.ts';
import type { ListOptions, LongrunClientOptions, RequestOptions, SubmitOptions, TaskRef, WaitOptions, WatchOptions } from './options.ts';
import { readEvents } from './sse.ts';
import {
  type HistoryEntry,
  isTerminal,
  type Task,
  type TaskInput,
  type TaskList,
  type TaskWithResult,
  type WatchToken,
  type WebhookSecret,
} from './types.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** What the client remembers of a task object it returned: the answer's validator and polling hint. */
interface Meta {
  etag?: string;
  retryAfter?: number;
  receivedAt: number;
}

/**
 * A client of one Longrun API: submit, get, result, cancel, list and follow tasks, and the webhook
 * secret. Error answers throw a {@link ProblemError} subclass; failures to reach the API a
 * {@link NetworkError}.
 */
export class LongrunClient {
  /** The API root, without a trailing slash. */
  readonly baseUrl: string;
  readonly #apiKey?: string;
  readonly #token?: string;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #meta = new WeakMap<object, Meta>();

  constructor(options: LongrunClientOptions) {
    if (!options?.baseUrl) throw new TypeError('LongrunClient: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#headers = options.headers ?? {};
  }

  /**
   * `POST /tasks`: accepted at once (202); the task is `pending`. With `preferWait`, a task that
   * ends within that many seconds comes back finished, with its inline `result`.
   */
  async submit<T extends string>(type: T, input: TaskInput<T>, options: SubmitOptions = {}): Promise<TaskWithResult> {
    const body = {
      type,
      input,
      ...(options.callbackUrl !== undefined && { callbackUrl: options.callbackUrl }),
      ...(options.callbackEvents !== undefined && { callbackEvents: options.callbackEvents }),
      ...(options.metadata !== undefined && { metadata: options.metadata }),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.cancelAfter !== undefined) headers['cancel-after'] = String(options.cancelAfter);
    if (options.preferWait !== undefined) headers.prefer = `wait=${options.preferWait}`;
    const answer = await this.#request('POST', '/tasks', { headers, body: JSON.stringify(body), signal: options.signal });
    return this.#task(answer);
  }

  /** `POST /tasks/{id}/retry`: a failed or cancelled task runs again as its next `attempt` (202); `ConflictError` otherwise. */
  async retry(task: TaskRef, options: RequestOptions = {}): Promise<Task> {
    return this.#task(await this.#request('POST', `${taskPath(task)}/retry`, { signal: options.signal }));
  }

  /**
   * `POST /tasks/{id}/input`: the input the task waits for (`awaitingInput`); `ValidationError`
   * naming each field that breaks its schema, `ConflictError` when no input is awaited.
   */
  async sendInput(task: TaskRef, input: unknown, options: RequestOptions = {}): Promise<Task> {
    const request = { headers: { 'content-type': 'application/json' }, body: JSON.stringify(input), signal: options.signal };
    return this.#task(await this.#request('POST', `${taskPath(task)}/input`, request));
  }

  /**
   * POSTs the input to a capability URL (`awaitingInput.url`), without this client's API key or
   * token: the URL is the credential (once). `NotFoundError` for a forged, used or expired one.
   */
  async sendInputByUrl(url: string, input: unknown, options: RequestOptions = {}): Promise<void> {
    await this.#request('POST', url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal: options.signal,
      anonymous: true,
    });
  }

  /** `DELETE /tasks/{id}?purge=true`: erases the task's data now (an open task is cancelled first); every route then answers 410 for it. */
  async purge(task: TaskRef, options: RequestOptions = {}): Promise<void> {
    await this.#request('DELETE', `${taskPath(task)}?purge=true`, { signal: options.signal });
  }

  /** `GET /tasks/{id}/history`: what happened to the task, oldest first. */
  async history(task: TaskRef, options: RequestOptions = {}): Promise<HistoryEntry[]> {
    const answer = await this.#request('GET', `${taskPath(task)}/history`, { signal: options.signal });
    const body = answer.body as { items?: HistoryEntry[] };
    if (!Array.isArray(body?.items)) throw new InvalidResponseError('GET …/history: expected { items }', answer.status, JSON.stringify(body));
    return body.items;
  }

  /** `GET /tasks/{id}`: status and progress. */
  async get(task: TaskRef, options: RequestOptions = {}): Promise<Task> {
    return this.#task(await this.#request('GET', taskPath(task), { signal: options.signal }));
  }

  /**
   * `GET /tasks/{id}/result`: the result of a succeeded task; `ConflictError` (with `taskStatus`)
   * otherwise. A large result answers `303 See Other` to a presigned URL: it is followed here,
   * without this client's API key or token (the URL carries its own credential).
   */
  async result<R = unknown>(task: TaskRef, options: RequestOptions = {}): Promise<R> {
    const answer = await this.#request('GET', `${taskPath(task)}/result`, { signal: options.signal, redirect: 'manual' });
    const location = answer.status === 303 ? answer.headers.get('location') : null;
    if (location === null) return answer.body as R;
    return (await this.#request('GET', location, { signal: options.signal, anonymous: true })).body as R;
  }

  /** `DELETE /tasks/{id}`: cancels a pending or running task (idempotent); `ConflictError` once it succeeded or failed. */
  async cancel(task: TaskRef, options: RequestOptions = {}): Promise<Task> {
    return this.#task(await this.#request('DELETE', taskPath(task), { signal: options.signal }));
  }

  /**
   * `POST /watch-tokens`: a short-lived token that opens one connection to the live channel (its
   * `url` carries it) to follow `task`, or every task of the caller without one. Hand it to a
   * browser instead of the API key.
   */
  async watchToken(task?: TaskRef, options: RequestOptions = {}): Promise<WatchToken> {
    const body = task === undefined ? {} : { taskId: typeof task === 'string' ? task : task.id };
    const answer = await this.#request('POST', '/watch-tokens', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
    });
    const token = answer.body as WatchToken;
    if (typeof token?.token !== 'string' || typeof token.url !== 'string')
      throw new InvalidResponseError('watch-tokens: expected { token, expiresAt, url }', answer.status, JSON.stringify(token));
    return token;
  }

  /**
   * `GET /webhook-secret`: the `whsec_…` secret that signs this caller's webhooks (created on first
   * use). Verify a delivery with the `standardwebhooks` package: `new Webhook(secret).verify(body, headers)`.
   */
  async webhookSecret(options: RequestOptions = {}): Promise<WebhookSecret> {
    return secretOf(await this.#request('GET', '/webhook-secret', { signal: options.signal }));
  }

  /** `POST /webhook-secret`: a new secret; the previous one keeps signing alongside it for 24 h. */
  async rotateWebhookSecret(options: RequestOptions = {}): Promise<WebhookSecret> {
    return secretOf(await this.#request('POST', '/webhook-secret', { signal: options.signal }));
  }

  /** `GET /tasks`: one page of the caller's tasks, newest first. */
  async list(options: ListOptions = {}): Promise<TaskList> {
    const query = new URLSearchParams();
    if (options.status !== undefined) query.set('status', options.status);
    if (options.type !== undefined) query.set('type', options.type);
    for (const [key, value] of Object.entries(options.metadata ?? {})) query.append(`metadata.${key}`, value);
    if (options.createdAfter !== undefined) query.set('createdAfter', new Date(options.createdAfter).toISOString());
    if (options.createdBefore !== undefined) query.set('createdBefore', new Date(options.createdBefore).toISOString());
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const qs = query.toString();
    const answer = await this.#request('GET', `/tasks${qs ? `?${qs}` : ''}`, { signal: options.signal });
    const page = answer.body as TaskList;
    if (!page || !Array.isArray(page.items))
      throw new InvalidResponseError('GET /tasks: expected { items, nextCursor }', answer.status, JSON.stringify(page));
    return page;
  }

  /** Every task of the caller, newest first, following `nextCursor` page by page. */
  async *listAll(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<Task, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor !== undefined && { cursor }) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * Waits until the task is terminal and returns it (whatever the terminal status: check `status`),
   * following it with `watch` (server-sent events, else the long poll, else `Retry-After` polling).
   * Rejects with `AbortError` on `signal`, `TimeoutError` after `timeoutMs`, both carrying the last
   * task seen.
   */
  async waitFor(taskOrId: TaskRef, options: WaitOptions = {}): Promise<Task> {
    let last: Task | undefined;
    for await (const task of this.watch(taskOrId, options)) {
      last = task;
      options.onProgress?.(task);
    }
    if (!last || !isTerminal(last.status))
      throw new InvalidResponseError('the task stream ended before the task did', 0, JSON.stringify(last ?? null));
    return last;
  }

  /**
   * The task's states as they change, ending with its terminal state: the first state at once,
   * then each change of status or progress. Transport (`transport: 'auto'`, the default): the live
   * channel (a WebSocket opened with a watch token, `POST /watch-tokens`; resumed from the last
   * version when it drops); if that is unavailable (no global `WebSocket`, no live channel, or its
   * connection refused twice, e.g. past the caller's cap), the server-sent event stream
   * (`GET /tasks/{id}/events`, resumed with `Last-Event-ID` when it drops); if that is unavailable, the long poll (`Prefer: wait=25` with `If-None-Match`); if the
   * server does not honour it, polling that honours `Retry-After`, otherwise backs off with full
   * jitter (base 500 ms, cap 30 s). Rides out up to 5 transient failures in a row (network, 429,
   * 5xx). Throws `AbortError` on `signal`, `TimeoutError` after `timeoutMs`.
   */
  async *watch(taskOrId: TaskRef, options: WatchOptions = {}): AsyncGenerator<Task, void, undefined> {
    const { signal, timeoutMs, transport = 'auto' } = options;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const id = typeof taskOrId === 'string' ? taskOrId : taskOrId.id;
    const initial = typeof taskOrId === 'string' || !isTask(taskOrId) ? undefined : taskOrId;
    const state: FollowState = { id, last: initial, lastKey: undefined, signal, deadline, timeoutMs };
    if (initial) {
      yield* changes(state, [initial]);
      if (isTerminal(initial.status)) return;
    }
    if (transport === 'auto' || transport === 'live') {
      const outcome = yield* this.#followLive(state);
      if (outcome === 'done') return;
      if (transport === 'live') throw new LongrunError(`the live channel is not available for task ${id}`);
    }
    if (transport === 'auto' || transport === 'events') {
      const outcome = yield* this.#followEvents(state);
      if (outcome === 'done') return;
      if (transport === 'events') throw new LongrunError(`GET /tasks/${id}/events is not available`);
    }
    yield* this.#poll(state, transport !== 'poll');
  }

  /**
   * Follows the live channel; `unavailable` if there is none (then the caller tries the event
   * stream). A dropped connection is resumed on a new one (a new token) from the last version.
   */
  async *#followLive(state: FollowState): AsyncGenerator<Task, 'done' | 'unavailable', undefined> {
    if (typeof globalThis.WebSocket !== 'function') return 'unavailable';
    let since: number | undefined;
    let failures = 0;
    let refusals = 0;
    for (;;) {
      checkStop(state);
      let url: string;
      try {
        url = (await this.watchToken(state.id, { signal: combineSignals(state.signal, state.deadline) })).url;
      } catch (err) {
        if (err instanceof AbortError) checkStop(state, true);
        // No such route (an older deployment, `liveUpdates: false`), or the task's own problem: the poll reports it.
        if (!isTransient(err) || ++failures > WAIT_MAX_TRANSIENT_FAILURES) return 'unavailable';
        await sleepUntil(backoffDelay(failures), state.signal, state.deadline).catch(() => checkStop(state));
        continue;
      }
      const session = liveSession(url, state.id, since, combineSignals(state.signal, state.deadline));
      let end = await session.next();
      for (; !end.done; end = await session.next()) {
        since = end.value.id;
        failures = 0;
        refusals = 0;
        yield* changes(state, [end.value.data]);
      }
      if (end.value === 'done') return 'done';
      checkStop(state);
      // A refused subscription (another task's token, a task gone): the poll answers with the problem.
      if (typeof end.value === 'object') return 'unavailable';
      // Refused at connect twice in a row: past the caller's cap, or no live channel here.
      if (end.value === 'refused' && ++refusals > 1) return 'unavailable';
      await sleepUntil(STREAM_RECONNECT_MS, state.signal, state.deadline).catch(() => checkStop(state));
    }
  }

  /** Follows the event stream; `unavailable` if the server does not stream (then the caller polls). */
  async *#followEvents(state: FollowState): AsyncGenerator<Task, 'done' | 'unavailable', undefined> {
    const url = `${this.baseUrl}${taskPath(state.id)}/events`;
    let lastEventId: string | undefined;
    let failures = 0;
    for (;;) {
      checkStop(state);
      let response: Response;
      try {
        response = await this.#fetch(url, {
          headers: { ...this.#authHeaders({ accept: 'text/event-stream' }), ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
          signal: combineSignals(state.signal, state.deadline),
        });
      } catch {
        checkStop(state);
        if (++failures > WAIT_MAX_TRANSIENT_FAILURES) return 'unavailable';
        await sleepUntil(backoffDelay(failures), state.signal, state.deadline).catch(() => checkStop(state));
        continue;
      }
      // 204: the stream has nothing newer than Last-Event-ID, the terminal event we already have.
      if (response.status === 204) return 'done';
      if (response.status !== 200 || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel().catch(() => {});
        // Not streaming (an older deployment, a proxy, or an error the poll will report with its problem details).
        return 'unavailable';
      }
      failures = 0;
      try {
        for await (const event of readEvents(response.body)) {
          if (event.id !== undefined) lastEventId = event.id;
          if (event.event !== 'status' && event.event !== 'progress' && event.event !== 'done') continue;
          const task = JSON.parse(event.data) as Task;
          if (!isTask(task)) continue;
          yield* changes(state, [task]);
          if (isTerminal(task.status)) return 'done';
        }
      } catch {
        checkStop(state);
      }
      // The stream ended before the task did (the server's 14-minute limit, or a dropped connection): resume.
      await sleepUntil(STREAM_RECONNECT_MS, state.signal, state.deadline).catch(() => checkStop(state));
    }
  }

  /** Polls `GET /tasks/{id}`: long polls while the server honours `Prefer: wait`, else honours `Retry-After`. */
  async *#poll(state: FollowState, longPoll: boolean): AsyncGenerator<Task, void, undefined> {
    const meta = state.last ? this.#meta.get(state.last) : undefined;
    let etag = meta?.etag;
    let attempt = 0;
    let failures = 0;
    // The first poll waits what the answer that produced the task asked for, if it is recent (not when long polling).
    let delay = !longPoll && meta?.retryAfter !== undefined ? Math.max(0, meta.receivedAt + meta.retryAfter * 1000 - Date.now()) : 0;
    for (;;) {
      checkStop(state);
      if (delay > 0) await sleepUntil(delay, state.signal, state.deadline).catch(() => checkStop(state));
      checkStop(state);

      let answer: Answer;
      try {
        answer = await this.#request('GET', taskPath(state.id), {
          headers: { ...(etag && { 'if-none-match': etag }), ...(longPoll && { prefer: `wait=${LONG_POLL_SECONDS}` }) },
          signal: combineSignals(state.signal, state.deadline),
          notModifiedOk: true,
        });
        failures = 0;
      } catch (err) {
        if (err instanceof AbortError) checkStop(state, true);
        if (!isTransient(err) || ++failures > WAIT_MAX_TRANSIENT_FAILURES) throw err;
        const hinted = err instanceof ProblemError ? err.retryAfter : undefined;
        delay = hinted !== undefined ? hinted * 1000 : backoffDelay(attempt++);
        continue;
      }
      // A server that ignores the preference answers at once: poll the classic way from now on.
      if (longPoll && !answer.headers.get('preference-applied')) longPoll = false;

      if (answer.status !== 304) {
        const task = this.#task(answer);
        etag = answer.headers.get('etag') ?? undefined;
        if (taskKey(task) !== state.lastKey) attempt = 0;
        yield* changes(state, [task]);
      } else if (!state.last) {
        // A 304 without a task to keep can only follow a stale ETag we did not send; ask again plainly.
        etag = undefined;
        continue;
      }
      if (state.last && isTerminal(state.last.status)) return;
      const retryAfter = parseRetryAfter(answer.headers.get('retry-after'));
      delay = longPoll ? 0 : retryAfter !== undefined ? retryAfter * 1000 : backoffDelay(attempt++);
    }
  }

  #authHeaders(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.#headers, ...extra };
    if (this.#apiKey !== undefined) headers['x-api-key'] = this.#apiKey;
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    return headers;
  }

  #task(answer: Answer): Task {
    const task = answer.body as Task;
    if (!isTask(task)) throw new InvalidResponseError('expected a task representation', answer.status, JSON.stringify(task));
    this.#meta.set(task, {
      etag: answer.headers.get('etag') ?? undefined,
      retryAfter: parseRetryAfter(answer.headers.get('retry-after')),
      receivedAt: Date.now(),
    });
    return task;
  }

  async #request(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
      notModifiedOk?: boolean;
      /** `manual`: answer a 303 as is (its `Location` is read by the caller). */
      redirect?: 'manual';
      /** `path` is an absolute URL that is its own credential (a presigned result, a capability URL): send no credentials or custom headers. */
      anonymous?: boolean;
    } = {},
  ): Promise<Answer> {
    const url = options.anonymous ? path : this.baseUrl + path;
    // An anonymous request (a presigned result link) carries no credentials: the link is its own.
    const headers = options.anonymous
      ? { accept: 'application/json, application/problem+json', ...options.headers }
      : this.#authHeaders({ accept: 'application/json, application/problem+json', ...options.headers });
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, { method, headers, body: options.body, signal: options.signal, redirect: options.redirect ?? 'follow' });
      // Browsers hide a manual redirect's Location (an opaque response): let them follow it instead.
      if (response.type === 'opaqueredirect') {
        response = await this.#fetch(url, { method, headers, body: options.body, signal: options.signal });
      }
      text = await response.text();
    } catch (err) {
      if (options.signal?.aborted) throw new AbortError(undefined, options.signal.reason);
      throw new NetworkError(method, url, err);
    }
    if (response.status === 304 && options.notModifiedOk) return { status: 304, headers: response.headers, body: undefined };
    if (response.status === 303 && options.redirect === 'manual') return { status: 303, headers: response.headers, body: undefined };
    if (!response.ok) throw problemError(response.status, response.statusText, response.headers, text);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new InvalidResponseError(`${method} ${url}: the ${response.status} answer is not JSON`, response.status, text.slice(0, 500));
    }
    return { status: response.status, headers: response.headers, body };
  }
}

function taskPath(task: TaskRef): string {
  const id = typeof task === 'string' ? task : task?.id;
  if (typeof id !== 'string' || id === '') throw new TypeError('a task id (or a task) is required');
  return `/tasks/${encodeURIComponent(id)}`;
}

function isTask(value: unknown): value is Task {
  const task = value as Task;
  return !!task && typeof task === 'object' && typeof task.id === 'string' && typeof task.status === 'string' && !!task.progress;
}

function secretOf(answer: Answer): WebhookSecret {
  const body = answer.body as WebhookSecret;
  if (typeof body?.secret !== 'string')
    throw new InvalidResponseError('webhook-secret: expected { secret, createdAt }', answer.status, JSON.stringify(body));
  return body;
}
