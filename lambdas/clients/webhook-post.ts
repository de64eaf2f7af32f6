/**
 * One webhook POST, with the dial-time SSRF guard: `request-filtering-agent` checks every address
 * DNS returns and dials that same address (no rebinding gap), so a public-looking name that
 * resolves to a private, loopback, link-local or CGNAT address is refused before any byte is sent.
 * Redirects are not followed, the whole exchange is capped at 10 s, and at most 4 KiB of the
 * response is read and thrown away: only the status code and `Retry-After` are kept.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { callbackUrlViolation } from '#domain/callback-url';
import { type AttemptOutcome, parseRetryAfter } from '#domain/webhook';

const POST_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 4096;

export interface PostOptions {
  /** Local stack only: loopback receivers (127.0.0.1, ::1) may be dialled; nothing else private. */
  allowLoopback?: boolean;
  /** A DNS resolver to use instead of the system's (tests stub it to return private addresses). */
  lookup?: LookupFunction;
  timeoutMs?: number;
}

const LOOPBACK = ['127.0.0.1', '::1'];
const agents = {
  strict: { http: new RequestFilteringHttpAgent({ keepAlive: false }), https: new RequestFilteringHttpsAgent({ keepAlive: false }) },
  loopback: {
    http: new RequestFilteringHttpAgent({ keepAlive: false, allowIPAddressList: LOOPBACK }),
    https: new RequestFilteringHttpsAgent({ keepAlive: false, allowIPAddressList: LOOPBACK }),
  },
};

export async function postWebhook(url: string, body: string, headers: Record<string, string>, options: PostOptions = {}): Promise<AttemptOutcome> {
  // The submit-time rules again: the stored URL may predate a rule, and the check is free.
  if (callbackUrlViolation(url, { allowLoopback: options.allowLoopback })) return { reason: 'refused-url' };
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const set = options.allowLoopback ? agents.loopback : agents.strict;
  const agent = target.protocol === 'https:' ? set.https : set.http;
  const timeoutMs = options.timeoutMs ?? POST_TIMEOUT_MS;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        agent,
        ...(options.lookup && { lookup: options.lookup }),
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
      },
      (response) => {
        const statusCode = response.statusCode ?? 0;
        const retryAfter = parseRetryAfter(response.headers['retry-after'], new Date());
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) finish({ statusCode, ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }) });
        });
        response.on('end', () => finish({ statusCode, ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }) }));
        response.on('error', () => finish({ statusCode, ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }) }));
      },
    );
    const timer = setTimeout(() => finish({ reason: 'timeout' }), timeoutMs);
    request.on('error', (error: Error) => finish({ reason: /not allowed/.test(error.message) ? 'blocked-address' : 'network' }));
    request.end(body);
  });
}
