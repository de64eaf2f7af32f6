/**
 * A local Lambda function in a worker thread of its own: its handler loaded from its asset, its
 * own environment (`process.env` of that thread, as a Lambda sandbox has its own), its output
 * turned into readable lines. A thread that dies fails the invocations in flight and is replaced
 * by a fresh one at the next invocation (as Lambda starts a new sandbox).
 */
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { InvokeOptions, LocalLambda, StreamingInvocation, StreamSink } from './local-lambda.ts';
import { withTimeout } from './local-lambda.ts';
import { formatFunctionLine } from './log-lines.ts';

export interface WorkerLambdaProps {
  /** How its output lines are labelled. */
  label: string;
  functionName: string;
  arn: string;
  timeoutSeconds: number;
  memorySize: number;
  /** Absolute path of the handler module (in the function's asset). */
  file: string;
  /** The handler's export name (`index.handler` -> `handler`). */
  exportName: string;
  /** The thread's whole environment (the function's variables and the local endpoints), asked for when the thread starts. */
  environment: () => Record<string, string>;
  /** Node options of the function (`--enable-source-maps` from its NODE_OPTIONS). */
  execArgv?: string[];
  /** Where the function's output goes, line by line, already formatted. */
  log: (line: string) => void;
  /** Only warnings, errors and plain output. */
  quiet?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  sink?: StreamSink;
}

// From source (tests run the TypeScript) the runtime is TypeScript too; from dist, JavaScript.
const RUNTIME = new URL(import.meta.url.endsWith('.ts') ? './runtime.ts' : './runtime.js', import.meta.url);

function toError(serialized: { name: string; message: string; stack?: string }): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

export class WorkerLambda implements LocalLambda {
  readonly functionName: string;
  readonly arn: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;
  private readonly props: WorkerLambdaProps;

  constructor(props: WorkerLambdaProps) {
    this.props = props;
    this.functionName = props.functionName;
    this.arn = props.arn;
    this.timeoutSeconds = props.timeoutSeconds;
    this.memorySize = props.memorySize;
  }

  /** Starts the thread and loads the handler (a cold start); rejects if the module cannot load. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(RUNTIME, {
      workerData: {
        file: this.props.file,
        exportName: this.props.exportName,
        functionName: this.functionName,
        arn: this.arn,
        memorySize: this.memorySize,
      },
      env: this.props.environment(),
      execArgv: this.props.execArgv ?? [],
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        const shown = formatFunctionLine(this.props.label, line, this.props.quiet ?? false);
        if (shown !== undefined) this.props.log(shown);
      });
    }
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: any) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'load-error') reject(toError(message.error));
        else this.onMessage(message);
      });
      worker.once('error', (error) => {
        reject(error);
        this.died(error);
      });
      worker.once('exit', (code) => {
        reject(new Error(`the function's thread exited (${code}) while loading`));
        this.died(new Error(`the function's thread exited (${code})`));
      });
    });
    this.ready.catch(() => {});
    return this.ready;
  }

  private onMessage(message: any): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    switch (message.type) {
      case 'result':
        this.pending.delete(message.id);
        pending.resolve(message.value);
        break;
      case 'error':
        this.pending.delete(message.id);
        pending.reject(toError(message.error));
        break;
      case 'content-type':
        pending.sink?.contentType(message.value);
        break;
      case 'chunk':
        pending.sink?.chunk(Buffer.from(message.bytes));
        break;
      case 'end':
        this.pending.delete(message.id);
        pending.resolve(undefined);
        break;
    }
  }

  /** The thread is gone: what was in flight fails, and the next invocation starts a new one. */
  private died(error: Error): void {
    this.worker = undefined;
    this.ready = undefined;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(error);
    }
  }

  private async send(
    event: unknown,
    options: InvokeOptions,
    streaming: boolean,
    pending: Omit<Pending, 'resolve' | 'reject'>,
  ): Promise<{ id: number; settled: Promise<unknown> }> {
    if (this.stopped) throw new Error(`${this.functionName}: the local stack is stopping`);
    await this.start();
    const id = this.nextId++;
    const settled = new Promise<unknown>((resolve, reject) => this.pending.set(id, { ...pending, resolve, reject }));
    this.worker!.postMessage({
      type: 'invoke',
      id,
      event: JSON.parse(JSON.stringify(event ?? null)),
      deadline: Date.now() + this.timeoutSeconds * 1000,
      logStream: options.logStream ?? 'local',
      streaming,
    });
    return { id, settled };
  }

  invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const invocation = this.send(event, options, false, {});
    return withTimeout(
      invocation.then(({ settled }) => settled),
      this.timeoutSeconds,
    ).catch((error: Error) => {
      void invocation.then(({ id }) => this.pending.delete(id)).catch(() => {});
      throw error;
    });
  }

  invokeStreaming(event: unknown, sink: StreamSink, options: InvokeOptions = {}): StreamingInvocation {
    const invocation = this.send(event, options, true, { sink });
    return {
      done: invocation.then(({ settled }) => settled).then(() => undefined),
      abort: () => {
        void invocation.then(({ id }) => this.worker?.postMessage({ type: 'abort', id })).catch(() => {});
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
