/**
 * A function's reserved concurrency, enforced as Lambda does: it is also the function's ceiling.
 * Past it a synchronous invocation (API Gateway, a Step Functions Task state) is refused with
 * `TooManyRequestsException`; the callers that Lambda retries for (event source mappings, async
 * invocations from schedules and rules) wait for an instance instead.
 */
import type { InvokeOptions, LocalLambda, StreamingInvocation, StreamSink } from './local-lambda.ts';

/** Lambda's refusal of an invocation past the function's reserved concurrency. */
export class TooManyRequestsError extends Error {
  readonly reason = 'ReservedFunctionConcurrentInvocationLimitExceeded';
  constructor(functionName: string) {
    super(`Rate Exceeded. (${functionName} is at its reserved concurrency)`);
    this.name = 'TooManyRequestsException';
  }
}

export function isThrottle(error: unknown): error is TooManyRequestsError {
  return error instanceof Error && error.name === 'TooManyRequestsException';
}

/** `fn` running at most `reserved` invocations at once. */
export class ReservedConcurrency implements LocalLambda {
  readonly functionName: string;
  readonly arn: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Invocations running now. */
  inFlight = 0;
  /** Invocations refused so far. */
  throttles = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly fn: LocalLambda,
    readonly reserved: number,
  ) {
    this.functionName = fn.functionName;
    this.arn = fn.arn;
    this.timeoutSeconds = fn.timeoutSeconds;
    this.memorySize = fn.memorySize;
  }

  /** An instance for one invocation: at once, after waiting (`wait`), or refused. */
  private async acquire(options: InvokeOptions): Promise<void> {
    if (this.inFlight < this.reserved) {
      this.inFlight++;
      return;
    }
    if (options.whenThrottled !== 'wait') {
      this.throttles++;
      throw new TooManyRequestsError(this.functionName);
    }
    // The slot is handed over by `release`, so a waiter is never overtaken.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    await this.acquire(options);
    try {
      return await this.fn.invoke(event, options);
    } finally {
      this.release();
    }
  }

  invokeStreaming(event: unknown, sink: StreamSink, options: InvokeOptions = {}): StreamingInvocation {
    let inner: StreamingInvocation | undefined;
    let aborted = false;
    const done = this.acquire(options).then(async () => {
      try {
        inner = this.fn.invokeStreaming(event, sink, options);
        if (aborted) inner.abort();
        await inner.done;
      } finally {
        this.release();
      }
    });
    return {
      done,
      abort: () => {
        aborted = true;
        inner?.abort();
      },
    };
  }
}
