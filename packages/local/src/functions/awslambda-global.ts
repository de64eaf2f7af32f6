/**
 * What the Lambda Node.js runtime gives a handler for response streaming: the `awslambda` global
 * (`streamifyResponse`, `HttpResponseStream.from`) and the response stream. Installed in every
 * thread that runs handlers. Written without TypeScript-only syntax, so that Node runs it as is
 * in a worker thread (type stripping).
 */
import { Writable } from 'node:stream';

/** The marker the runtime sets on a streamified handler. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

/** A streaming handler, as `awslambda.streamifyResponse` receives it. */
type StreamingHandler = (event: unknown, stream: Writable, context: unknown) => Promise<unknown>;

/** The runtime's response stream: a Writable with `setContentType` and a hook before its first write. */
export class LocalResponseStream extends Writable {
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  private started = false;
  private readonly sink: (chunk: Buffer) => void;

  constructor(sink: (chunk: Buffer) => void) {
    super();
    this.sink = sink;
  }

  setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this._onBeforeFirstWrite?.((chunk) => this.sink(Buffer.from(chunk)));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.begin();
    this.sink(Buffer.from(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.begin();
    callback();
  }
}

/** Installs `globalThis.awslambda` (before any streaming handler module is imported). */
export function installAwsLambdaGlobal(): void {
  // Other libraries (@aws/lambda-invoke-store) may have created the object already: add to it.
  const g = globalThis as unknown as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  if (g.awslambda.streamifyResponse) return;
  Object.assign(g.awslambda, {
    streamifyResponse(handler: StreamingHandler) {
      Object.defineProperty(handler, STREAMING, { value: 'response' });
      return handler;
    },
    HttpResponseStream: {
      from(stream: LocalResponseStream, prelude: Record<string, unknown>) {
        stream.setContentType(PRELUDE_CONTENT_TYPE);
        stream._onBeforeFirstWrite = (write) => {
          write(JSON.stringify(prelude));
          write(DELIMITER);
        };
        return stream;
      },
    },
  });
}

function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === 'response';
}

/**
 * Runs a streaming handler: every byte it writes (a prelude first, if it used
 * `HttpResponseStream.from`) goes to `sink`, the content type first of all. Resolves once the
 * handler returned and its stream ended; `abort()` destroys the stream (the client went away).
 */
export function runStreamingHandler(
  handler: unknown,
  event: unknown,
  context: unknown,
  sink: { contentType(type: string): void; chunk(bytes: Buffer): void },
): { done: Promise<void>; abort(): void } {
  if (!isStreamingHandler(handler)) {
    return { done: Promise.reject(new Error('the integration streams, but the handler is not wrapped in awslambda.streamifyResponse')), abort() {} };
  }
  let announced = false;
  const stream: LocalResponseStream = new LocalResponseStream((bytes) => {
    if (!announced) {
      announced = true;
      sink.contentType(stream.contentType);
    }
    sink.chunk(bytes);
  });
  const done = (async () => {
    await handler(event, stream, context);
    if (!stream.writableEnded && !stream.destroyed) await new Promise<void>((resolve) => stream.end(resolve));
    if (!announced) sink.contentType(stream.contentType);
  })();
  return {
    done,
    abort: () => {
      if (!stream.writableFinished) stream.destroy();
    },
  };
}
