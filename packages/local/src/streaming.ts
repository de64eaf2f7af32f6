/**
 * Lambda response streaming through the local API Gateway: turns what a streaming handler writes
 * (a JSON prelude, 8 NUL bytes, then the body) into an HTTP response as it comes, the way API
 * Gateway does for an integration with `responseTransferMode: STREAM`.
 */
import type { ServerResponse } from 'node:http';
import { PRELUDE_CONTENT_TYPE } from './functions/awslambda-global.ts';
import type { InvokeOptions, LocalLambda } from './functions/local-lambda.ts';

const DELIMITER = Buffer.alloc(8);

/**
 * Runs a streaming invocation of `fn` for one HTTP request: the prelude becomes the status and
 * headers, the rest the body, written as it comes. The client closing the connection aborts the
 * handler's stream. Resolves when the handler returns; rejects if it fails.
 */
export async function streamToResponse(
  fn: LocalLambda,
  event: unknown,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
  options: InvokeOptions = {},
): Promise<number> {
  let pending: Buffer | undefined = Buffer.alloc(0);
  let status = 200;
  let contentType = 'application/octet-stream';
  const invocation = fn.invokeStreaming(
    event,
    {
      contentType: (type) => {
        contentType = type;
      },
      chunk: (chunk) => {
        if (res.destroyed) return;
        if (pending === undefined) {
          res.write(chunk);
          return;
        }
        pending = Buffer.concat([pending, chunk]);
        if (contentType !== PRELUDE_CONTENT_TYPE) {
          res.writeHead(status, { ...extraHeaders, 'Content-Type': contentType });
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
      },
    },
    options,
  );
  res.on('close', () => {
    if (!res.writableFinished) invocation.abort();
  });
  await invocation.done;
  if (!res.headersSent && !res.destroyed) res.writeHead(status, extraHeaders);
  res.end();
  return status;
}
