/**
 * Lambda response streaming, locally: the `awslambda` global the Node.js runtime provides
 * (`streamifyResponse`, `HttpResponseStream.from`), and the other end of it, which turns a streaming
 * handler's output (JSON prelude, 8 NUL bytes, body) into an HTTP response the way API Gateway does
 * for an integration with `responseTransferMode: STREAM`. Only what our handlers use.
 */
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

/** The marker the runtime sets on a streamified handler. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

type StreamingHandler = (event: unknown, stream: Writable, context: Context) => Promise<unknown>;

/** The runtime's response stream: a Writable with `setContentType` and a hook before its first write. */
export class LocalResponseStream extends Writable {
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  private started = false;

  constructor(private readonly sink: (chunk: Buffer) => void) {
    super();
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
 * Runs a streaming handler for one HTTP request: the prelude becomes the status and headers, the rest
 * the body, written as it comes. The client closing the connection destroys the handler's stream.
 * Resolves when the handler returns; rejects if it throws before anything was written.
 */
export async function streamToResponse(
  handler: unknown,
  event: unknown,
  context: Context,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
): Promise<number> {
  if (!isStreamingHandler(handler)) throw new Error('the integration streams, but the handler is not wrapped in awslambda.streamifyResponse');
  let pending: Buffer | undefined = Buffer.alloc(0);
  let status = 200;
  const stream = new LocalResponseStream((chunk) => {
    if (res.destroyed) return;
    if (pending === undefined) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    if (stream.contentType !== PRELUDE_CONTENT_TYPE) {
      res.writeHead(status, { ...extraHeaders, 'Content-Type': stream.contentType });
    } else {
      const end = pending.indexOf(DELIMITER);
      if (end < 0) return;
      const prelude = JSON.parse(pending.subarray(0, end).toString('utf8')) as { statusCode?: number; headers?: Record<string, string> };
      status = prelude.statusCode ?? 200;
      res.writeHead(status, { ...extraHeaders, ...prelude.headers });
      pending = pending.subarray(end + DELIMITER.length);
    }
    if (pending.length) res.write(pending);
    pending = undefined;
    // Nothing buffers an event stream on its way to the client.
    res.flushHeaders();
  });
  res.on('close', () => {
    if (!stream.writableFinished) stream.destroy();
  });
  await handler(event, stream, context);
  if (!stream.writableEnded && !stream.destroyed) await new Promise<void>((resolve) => stream.end(resolve));
  if (!res.headersSent && !res.destroyed) res.writeHead(status, extraHeaders);
  res.end();
  return status;
}
