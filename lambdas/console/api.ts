/**
 * The console's HTTP calls: same origin, the key in `x-api-key` (never in a URL), JSON in and out, every
 * error answer thrown as an `ApiError` carrying its problem details.
 */
import { ApiError, networkProblem, problemFrom, retryAfterSeconds } from './problems.ts';

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** `manual`: a redirect is returned, not followed (browsers make it opaque: `status` 0, `opaque` true). */
  redirect?: 'follow' | 'manual' | 'error';
}

export class Api {
  constructor(
    /** The API's root, ending with `/` (e.g. `https://api.example.com/v1/`). */
    readonly base: string,
    private readonly key: string,
  ) {}

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.base).href;
  }

  /** The request as is: for the event stream, whose body is read as it comes. */
  async raw(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'x-api-key': this.key, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      // A variable, not a literal: the root tsconfig (Node's types, for the unit tests) knows no `cache` or `referrerPolicy`.
      const init = {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        redirect: options.redirect ?? 'follow',
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      } as const;
      return await fetch(this.url(path), init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(networkProblem());
    }
  }

  /** A JSON call; error answers throw `ApiError`. */
  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T> & { opaque: boolean }> {
    const response = await this.raw(method, path, options);
    if (response.type === 'opaqueredirect') return { status: 0, headers: response.headers, body: undefined as T, url: response.url, opaque: true };
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(networkProblem());
    }
    if (!response.ok && response.status !== 304)
      throw new ApiError(problemFrom(response.status, text), retryAfterSeconds(response.headers.get('retry-after')));
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError({
        title: 'Unreadable answer',
        status: response.status,
        detail: `The API answered ${response.status} with a body that is not JSON.`,
      });
    }
    return { status: response.status, headers: response.headers, body: body as T, url: response.url, opaque: false };
  }
}
