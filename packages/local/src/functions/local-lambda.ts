/**
 * A Lambda function as the local stack calls it: from the HTTP front, the Step Functions
 * endpoint, the event source pollers, the schedules and the events rules.
 */

/** How an invocation is labelled in the function's context (`logStreamName`). */
export interface InvokeOptions {
  /** @default 'local' */
  logStream?: string;
  /**
   * Past the function's reserved concurrency: `reject` with `TooManyRequestsException`, as Lambda
   * answers a synchronous invocation, or `wait` for an instance, as Lambda's event source mappings
   * and asynchronous invocations retry. @default 'reject'
   */
  whenThrottled?: 'reject' | 'wait';
}

/** What a streaming handler writes, as it writes it. */
export interface StreamSink {
  /** The stream's content type, once, before the first chunk. */
  contentType(type: string): void;
  chunk(bytes: Buffer): void;
}

/** A streaming invocation in flight: `done` settles when the handler returned; `abort` is the client going away. */
export interface StreamingInvocation {
  done: Promise<void>;
  abort(): void;
}

export interface LocalLambda {
  readonly functionName: string;
  readonly arn: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /**
   * Invokes the handler with a JSON copy of `event`, as Lambda would; resolves with its JSON
   * result, rejects with its error (name and message kept) or, after the function's timeout,
   * with `Sandbox.Timedout` (the handler itself runs on, as nothing can interrupt it).
   */
  invoke(event: unknown, options?: InvokeOptions): Promise<unknown>;
  /** Invokes a handler wrapped in `awslambda.streamifyResponse`; its bytes go to `sink` as written. */
  invokeStreaming(event: unknown, sink: StreamSink, options?: InvokeOptions): StreamingInvocation;
}

/** The error Lambda reports when a function runs past its timeout. */
function timeoutError(timeoutSeconds: number): Error {
  const error = new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
  error.name = 'Sandbox.Timedout';
  return error;
}

/** `promise`, or `Sandbox.Timedout` after `timeoutSeconds`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutSeconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
