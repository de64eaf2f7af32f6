/**
 * What a well-behaved client does with a capacity answer (`503` or `429` with `Retry-After`): wait
 * that long (with jitter) and send the same request again. Submits carry an Idempotency-Key, so a
 * retry can never create a second task. Used by load tests and the benchmark, which count the
 * throttled answers instead of treating them as failures.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface ThrottleCount {
  throttled: number;
}

/** `fetch`, retried (up to `attempts` times) while the answer is 503 or 429 with a `Retry-After`. */
export async function fetchRetryingThrottles(url: string, init: RequestInit, count?: ThrottleCount, attempts = 20): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    const retryAfter = Number(response.headers.get('retry-after'));
    const throttled = (response.status === 503 || response.status === 429) && retryAfter > 0;
    if (!throttled || attempt === attempts) return response;
    await response.arrayBuffer();
    if (count) count.throttled++;
    // Up to the hinted delay, never all at once: full jitter over [0.5, 1] × Retry-After.
    await sleep(retryAfter * 1000 * (0.5 + Math.random() / 2));
  }
}
