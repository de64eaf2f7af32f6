/**
 * `@longrun/client`: a typed client for a Longrun API, with no dependencies beyond `fetch`.
 *
 * @example
 * ```ts
 * import { LongrunClient } from '@longrun/client';
 *
 * const client = new LongrunClient({ baseUrl: 'http://127.0.0.1:3000/v1', apiKey: process.env.LONGRUN_API_KEY });
 * const task = await client.submit('primes', { upTo: 5_000_000 }, { idempotencyKey: 'job-42' });
 * const done = await client.waitFor(task, { onProgress: (t) => console.log(t.progress.percent) });
 * if (done.status === 'succeeded') console.log(await client.result(done));
 * ```
 *
 * @packageDocumentation
 */
export * from './client.ts';
export * from './errors.ts';
export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, LONG_POLL_SECONDS, WAIT_MAX_TRANSIENT_FAILURES } from './follow.ts';
export { LIVE_KEEPALIVE_MS, type LiveEvent, type LiveMessage, type LiveSessionEnd, liveSession } from './live.ts';
export * from './options.ts';
export { formatReport, runSmoke, type SmokeOptions, type SmokeReport, type SmokeRow } from './smoke/run.ts';
export * from './types.ts';
