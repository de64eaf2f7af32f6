// Step Functions task CountPrimes --> counts primes in chunks --> progressReporter (@longrun/worker)

import { progressReporter } from '@longrun/worker';
import type { Context } from 'aws-lambda';

export interface CountPrimesState {
  taskId: string;
  input: { upTo: number };
  /** Present while counting continues in another invocation. */
  resumeFrom?: number;
  count?: number;
}

const CHUNKS = 20;
/** Leave this much of the invocation's time unused, to hand over cleanly. */
const SAFETY_MS = 10_000;

function smallPrimes(limit: number): number[] {
  const composite = new Uint8Array(limit + 1);
  const primes: number[] = [];
  for (let n = 2; n <= limit; n++) {
    if (composite[n]) continue;
    primes.push(n);
    for (let m = n * n; m <= limit; m += n) composite[m] = 1;
  }
  return primes;
}

/** Primes in [from, to), by trial division with the primes up to √(to). */
export function countPrimesBetween(from: number, to: number, divisors: readonly number[]): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (const d of divisors) {
      if (d * d > n) break;
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** Counts from `resumeFrom` in chunks; returns `{ count }` when done, or the state to resume from. */
export async function handler(state: CountPrimesState, context?: Pick<Context, 'getRemainingTimeInMillis'>) {
  const upTo = state.input.upTo;
  const divisors = smallPrimes(Math.floor(Math.sqrt(upTo)) + 1);
  const chunkSize = Math.ceil((upTo + 1) / CHUNKS);
  let from = state.resumeFrom ?? 0;
  let count = state.count ?? 0;
  const report = progressReporter(state.taskId);
  while (from <= upTo) {
    const to = Math.min(upTo + 1, from + chunkSize);
    count += countPrimesBetween(from, to, divisors);
    from = to;
    if (from > upTo) break;
    const percent = (from / (upTo + 1)) * 100;
    const { cancelled } = await report({ percent, step: `counted primes below ${from}` });
    if (cancelled) return { cancelled: true, count };
    if (context && context.getRemainingTimeInMillis() < SAFETY_MS) return { ...state, resumeFrom: from, count };
  }
  return { count };
}
