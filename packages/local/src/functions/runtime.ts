/**
 * The inside of one local Lambda function: a worker thread that loads the function's handler
 * from its asset (with the function's own environment, as `process.env` of this thread) and runs
 * the invocations the host sends it. Its messages:
 *   in:  { type: 'invoke', id, event, context, streaming } | { type: 'abort', id }
 *   out: { type: 'ready' } | { type: 'load-error', error } | { type: 'result', id, value } | { type: 'error', id, error }
 *        | { type: 'content-type', id, value } | { type: 'chunk', id, bytes } | { type: 'end', id }
 * Written without TypeScript-only syntax, so that Node runs it as is (type stripping) from source.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { installAwsLambdaGlobal, runStreamingHandler } from './awslambda-global.ts';

interface RuntimeData {
  /** Absolute path of the handler module. */
  file: string;
  /** The exported handler's name. */
  exportName: string;
  functionName: string;
  arn: string;
  memorySize: number;
}

interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
  deadline: number;
  logStream: string;
  streaming: boolean;
}

const data = workerData as RuntimeData;
const port = parentPort!;

function serializeError(error: unknown): { name: string; message: string; stack?: string } {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name || 'Error', message: e.message, stack: e.stack };
}

function contextFor(message: InvokeMessage): Record<string, unknown> {
  return {
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.arn,
    memoryLimitInMB: String(data.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: message.logStream,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

installAwsLambdaGlobal();
let handler: unknown;
try {
  const module = (await import(pathToFileURL(data.file).href)) as Record<string, unknown>;
  handler = module[data.exportName] ?? (module.default as Record<string, unknown> | undefined)?.[data.exportName];
  if (typeof handler !== 'function') throw new Error(`${data.file} does not export a function named ${data.exportName}`);
  port.postMessage({ type: 'ready' });
} catch (error) {
  port.postMessage({ type: 'load-error', error: serializeError(error) });
}

const aborts = new Map<number, () => void>();

port.on('message', (message: InvokeMessage | { type: 'abort'; id: number }) => {
  if (message.type === 'abort') {
    aborts.get(message.id)?.();
    return;
  }
  const context = contextFor(message);
  if (message.streaming) {
    const run = runStreamingHandler(handler, message.event, context, {
      contentType: (value) => port.postMessage({ type: 'content-type', id: message.id, value }),
      chunk: (bytes) => port.postMessage({ type: 'chunk', id: message.id, bytes }),
    });
    aborts.set(message.id, run.abort);
    run.done.then(
      () => port.postMessage({ type: 'end', id: message.id }),
      (error: unknown) => port.postMessage({ type: 'error', id: message.id, error: serializeError(error) }),
    );
    void run.done.catch(() => {}).finally(() => aborts.delete(message.id));
    return;
  }
  Promise.resolve()
    .then(() => (handler as (event: unknown, context: unknown) => unknown)(message.event, context))
    // The response crosses a JSON boundary on AWS too: undefined becomes null, a Date a string.
    .then((value) => JSON.parse(JSON.stringify(value ?? null)) as unknown)
    .then(
      (value) => port.postMessage({ type: 'result', id: message.id, value }),
      (error: unknown) => port.postMessage({ type: 'error', id: message.id, error: serializeError(error) }),
    );
});
