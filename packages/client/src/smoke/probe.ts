/**
 * Black-box HTTP for the smoke test: only `fetch`, only the API's public contract. URLs the API
 * hands out (Location, Operation-Location, links) are followed, relative or absolute, never rebuilt.
 */

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON of a deployment under test; each check reads the fields it asserts
  body: any;
  text: string;
  url: string;
}

/** A check's failure: `message` is what the table prints. */
export class SmokeFailure extends Error {}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SmokeFailure(message);
}

export interface ProbeOptions {
  /** API root with its stage, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`. */
  url: string;
  apiKey?: string;
  token?: string;
  /** Aborts every request and wait (the `--timeout` bound). */
  signal: AbortSignal;
  fetch?: typeof fetch;
}

export class Probe {
  private readonly root: string;

  constructor(private readonly options: ProbeOptions) {
    this.root = options.url.endsWith('/') ? options.url : `${options.url}/`;
  }

  get signal(): AbortSignal {
    return this.options.signal;
  }

  /** `path` relative to the API root (`tasks`), or a URL the API handed out (relative or absolute). */
  resolve(path: string): string {
    return new URL(path, this.root).href;
  }

  /**
   * One request as the checks see it. A capacity answer (503 or 429 with `Retry-After`: the function
   * was at its reserved concurrency, or the caller at a limit) is waited out and sent again a few
   * times, as any client should: a smoke run on a busy deployment must not fail for it.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    for (let capacityAnswers = 1; ; capacityAnswers++) {
      const answer = await this.requestOnce(method, path, options);
      const hinted = Number(answer.headers.get('retry-after'));
      const capacity = (answer.status === 503 || answer.status === 429) && hinted > 0;
      if (!capacity || capacityAnswers > MAX_CAPACITY_ANSWERS) return answer;
      await this.sleep(Math.min(hinted, 5));
    }
  }

  private async requestOnce(method: string, path: string, options: RequestOptions): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...options.headers };
    if (options.auth !== false) {
      if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
      if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    }
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const url = this.resolve(path);
    const send = (to: string, init: RequestInit): Promise<Response> =>
      (this.options.fetch ?? fetch)(to, { ...init, redirect: 'manual', signal: this.options.signal });
    let response = await send(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    // A large result answers 303 to a presigned URL: follow it without our credentials.
    const redirect = [301, 302, 303, 307, 308].includes(response.status) ? response.headers.get('location') : null;
    if (redirect) {
      await response.body?.cancel();
      response = await send(new URL(redirect, url).href, { method: 'GET' });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text, url: response.url || url };
  }

  /** Waits `seconds` (or less, if the bound comes first); rejects when the run is aborted. */
  sleep(seconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(this.signal.reason);
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, seconds * 1000);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.signal.reason);
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Polls a task URL until the task is terminal, honouring Retry-After (capped at 5 s so a smoke
   * run stays short). 200 and 202 both carry the representation (202: the result monitor).
   */
  async untilTerminal(location: string): Promise<Answer> {
    for (;;) {
      const answer = await this.request('GET', location);
      assert(answer.status === 200 || answer.status === 202, `polling ${location} answered ${answer.status}`);
      assert(typeof answer.body?.status === 'string', `polling ${location} answered no task status`);
      if (['succeeded', 'failed', 'cancelled'].includes(answer.body.status)) return answer;
      const retryAfter = Number(answer.headers.get('retry-after'));
      await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) : 1);
    }
  }
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the credentials (default true). */
  auth?: boolean;
}

/** Capacity answers (503/429 with Retry-After) a request waits out before its answer counts. */
const MAX_CAPACITY_ANSWERS = 5;

/** An RFC 9457 problem with the expected status: content type and the five members. */
export function expectProblem(answer: Answer, status: number, what: string): void {
  assert(answer.status === status, `${what}: expected ${status}, got ${answer.status}`);
  const type = answer.headers.get('content-type') ?? '';
  assert(type.startsWith('application/problem+json'), `${what}: content-type ${type || '(none)'}, not application/problem+json`);
  const p = answer.body as Record<string, unknown> | undefined;
  const missing = ['type', 'title', 'detail', 'instance'].filter((k) => typeof p?.[k] !== 'string');
  assert(missing.length === 0, `${what}: problem without ${missing.join(', ')}`);
  assert(p?.status === status, `${what}: problem status ${String(p?.status)} differs from HTTP ${status}`);
}

/** A fresh UUIDv7: well-formed and recent, so an unknown one answers 404 (an old one may be 410). */
export function freshTaskId(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) bytes[i] = Math.floor(now / 2 ** (8 * (5 - i))) & 0xff;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
