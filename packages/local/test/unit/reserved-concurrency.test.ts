/** Reserved concurrency as Lambda enforces it: a ceiling; synchronous callers refused, event sources waiting. */
import { describe, expect, it } from 'vitest';
import type { LocalLambda } from '../../src/functions/local-lambda.ts';
import { isThrottle, ReservedConcurrency } from '../../src/functions/reserved-concurrency.ts';

/** A function whose invocations finish when the test says so. */
function gatedFunction() {
  const gates: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const fn: LocalLambda = {
    functionName: 'gated',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:gated',
    timeoutSeconds: 30,
    memorySize: 128,
    async invoke(event) {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return event;
    },
    invokeStreaming(_event, sink) {
      running++;
      peak = Math.max(peak, running);
      const done = new Promise<void>((resolve) => gates.push(resolve)).then(() => {
        sink.chunk(Buffer.from('done'));
        running--;
      });
      return { done, abort: () => {} };
    },
  };
  return { fn, openNext: () => gates.shift()?.(), peak: () => peak, running: () => running };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ReservedConcurrency', () => {
  it('refuses a synchronous invocation past the reservation with TooManyRequestsException, and counts it', async () => {
    const gated = gatedFunction();
    const fn = new ReservedConcurrency(gated.fn, 2);
    const first = fn.invoke(1);
    const second = fn.invoke(2);
    const third = fn.invoke(3).catch((e: unknown) => e);
    const refused = await third;
    expect(isThrottle(refused)).toBe(true);
    expect((refused as Error).name).toBe('TooManyRequestsException');
    expect(fn.throttles).toBe(1);
    expect(fn.inFlight).toBe(2);
    gated.openNext();
    gated.openNext();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(fn.inFlight).toBe(0);
    // Room again: accepted.
    const fourth = fn.invoke(4);
    await tick();
    gated.openNext();
    expect(await fourth).toBe(4);
  });

  it('an event source waits for an instance instead, in order, never above the reservation', async () => {
    const gated = gatedFunction();
    const fn = new ReservedConcurrency(gated.fn, 1);
    const results = Promise.all([1, 2, 3].map((n) => fn.invoke(n, { whenThrottled: 'wait' })));
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(gated.running()).toBe(1);
      gated.openNext();
    }
    expect(await results).toEqual([1, 2, 3]);
    expect(gated.peak()).toBe(1);
    expect(fn.throttles).toBe(0);
  });

  it('a streaming invocation holds an instance until it is done; past the reservation it is refused before any byte', async () => {
    const gated = gatedFunction();
    const fn = new ReservedConcurrency(gated.fn, 1);
    const chunks: string[] = [];
    const sink = { contentType: () => {}, chunk: (b: Buffer) => chunks.push(b.toString()) };
    const open = fn.invokeStreaming({}, sink);
    await tick();
    const refused = fn.invokeStreaming({}, sink);
    await expect(refused.done).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    gated.openNext();
    await open.done;
    expect(chunks).toEqual(['done']);
    expect(fn.inFlight).toBe(0);
  });
});
