/**
 * A local Step Functions endpoint: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Op>`), so the real `@aws-sdk/client-sfn` works against it
 * (point it there with `AWS_ENDPOINT_URL_SFN`). One state machine (the stack's ASL), executed by
 * `aws-local-stepfunctions`, with every Task state bound by name to local code:
 *
 * - Lambda resources (a function ARN / name, or `arn:aws:states:::lambda:invoke` with
 *   `FunctionName`) call the function's handler module in-process;
 * - `arn:aws:states:::dynamodb:{getItem,putItem,updateItem,deleteItem}` call DynamoDB (Local)
 *   with the resolved Parameters; errors are renamed `DynamoDB.<Exception>` as Step Functions does.
 *
 * It emits EventBridge-shaped "Step Functions Execution Status Change" events (RUNNING and every
 * terminal status) to a callback, in order per execution, and counts state transitions.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { FaultInjector, type FaultOptions } from './faults.ts';
import type { LocalLambda } from './functions/local-lambda.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export interface ExecutionStats {
  status: ExecutionStatus;
  /** Number of states entered (StateEntered events), including nested Map/Parallel states. */
  transitions: number;
  byState: Record<string, number>;
}

export interface StepFunctionsEndpointOptions {
  /** The state machine's ASL, tokens already resolved. */
  definition: Record<string, any>;
  stateMachineArn: string;
  roleArn?: string;
  region?: string;
  account?: string;
  /** Port on 127.0.0.1; 0 / undefined = free port. */
  port?: number;
  /** Replaces the definition's top-level `TimeoutSeconds` (e.g. for a timeout test). */
  timeoutSecondsOverride?: number;
  /** Replaces the interval of every Retry (milliseconds, no backoff), e.g. to use up retries in a test. */
  retryIntervalMsOverride?: number;
  /** Finds the Lambda function a Task resource or `FunctionName` designates (ARN, partial ARN or name). */
  resolveLambda?: (ref: string) => LocalLambda | undefined;
  /** Low-level DynamoDB client used by `arn:aws:states:::dynamodb:*` tasks. */
  dynamodb?: DynamoDBClient;
  /** Receives every status-change event; awaited in order per execution, errors logged. */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => unknown;
  log?: (line: string) => void;
  /** Faults to inject (dropped status events, failing starts, throttled workflow writes); none by default. */
  faults?: FaultOptions;
}

interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: string;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  byState: Record<string, number>;
  transitions: number;
  abort: () => void;
  /** Resolves once the execution is closed and its events were delivered. */
  settled: Promise<void>;
  eventChain: Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

const DYNAMODB_COMMANDS: Record<string, new (input: any) => any> = {
  getItem: GetItemCommand,
  putItem: PutItemCommand,
  updateItem: UpdateItemCommand,
  deleteItem: DeleteItemCommand,
};

/** Step Functions' payload quota: execution input, and each state's input and output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

const epochSeconds = (d: Date | undefined): number | undefined => (d ? d.getTime() / 1000 : undefined);

function collectTaskStates(states: Record<string, any>, out: Map<string, any>, visit?: (state: any) => void): void {
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === 'Task') {
      visit?.(state);
      const existing = out.get(name);
      if (existing && JSON.stringify(existing.Resource) !== JSON.stringify(state.Resource)) {
        throw new Error(`Two Task states named ${name} with different resources: cannot bind by name`);
      }
      out.set(name, state);
    }
    for (const branch of state.Branches ?? []) collectTaskStates(branch.States, out, visit);
    if (state.Iterator) collectTaskStates(state.Iterator.States, out, visit);
    if (state.ItemProcessor) collectTaskStates(state.ItemProcessor.States, out, visit);
  }
}

/** Keys whose resolved value a task handler must turn into JSON text (see `deferJsonToString`). */
const JSON_TO_STRING = '__localJsonToString';

/**
 * aws-local-stepfunctions 3.0.0 removes every backslash from an intrinsic function's string
 * result, so `States.JsonToString` of a value holding a quote yields broken JSON (a result with a
 * quote, any Lambda error's Cause). In Task Parameters, `"k.$": "States.JsonToString($.p)"` becomes
 * `"k.$": "$.p"` plus a marker, and `applyJsonToString` stringifies the resolved value instead.
 */
function deferJsonToString(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) deferJsonToString(item);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(obj)) {
    const path = typeof v === 'string' && key.endsWith('.$') ? /^States\.JsonToString\((\$[^(),]*)\)$/.exec(v.trim())?.[1] : undefined;
    if (path) {
      obj[key] = path;
      obj[JSON_TO_STRING] = [...((obj[JSON_TO_STRING] as string[] | undefined) ?? []), key.slice(0, -2)];
    } else deferJsonToString(v);
  }
}

function applyJsonToString<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(applyJsonToString) as T;
  const { [JSON_TO_STRING]: keys, ...rest } = value as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, applyJsonToString(v)]));
  for (const k of (keys as string[] | undefined) ?? []) out[k] = JSON.stringify(out[k]);
  return out as T;
}

/** The error a Lambda invocation failure surfaces as in Step Functions: name kept, Cause = JSON. */
function lambdaError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  // Step Functions names Lambda's own refusals `Lambda.<exception>` (a function's errors keep their name).
  const errorType = e.name === 'TooManyRequestsException' ? 'Lambda.TooManyRequestsException' : e.name || 'Error';
  const out = new Error(JSON.stringify({ errorType, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }));
  out.name = errorType;
  return out;
}

export class StepFunctionsEndpoint {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly region: string;
  readonly account: string;
  private readonly definition: StateMachineDefinition;
  private readonly machine: StateMachine;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly taskStates = new Map<string, any>();
  private server?: Server;
  private closing = false;
  /** The faults injected so far (see ./faults.ts). */
  readonly faults: FaultInjector;
  endpoint = '';
  port = 0;

  constructor(private readonly options: StepFunctionsEndpointOptions) {
    this.stateMachineArn = options.stateMachineArn;
    this.stateMachineName = options.stateMachineArn.split(':').pop()!;
    this.region = options.region ?? options.stateMachineArn.split(':')[3] ?? 'us-east-1';
    this.account = options.account ?? options.stateMachineArn.split(':')[4] ?? '000000000000';
    this.faults = new FaultInjector(options.faults);
    const definition = structuredClone(options.definition) as StateMachineDefinition;
    if (options.timeoutSecondsOverride !== undefined) definition.TimeoutSeconds = options.timeoutSecondsOverride;
    this.definition = definition;
    const runnable = structuredClone(definition);
    collectTaskStates(runnable.States, new Map(), (state) => deferJsonToString(state.Parameters));
    this.machine = new StateMachine(runnable, { validationOptions: { checkArn: false, checkPaths: false } });
    collectTaskStates(definition.States, this.taskStates);
    // Fail fast on Task states nothing local can run (the library would otherwise call real AWS).
    for (const [name, state] of this.taskStates) this.describeBinding(name, state);
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => console.error(l)))(`[sfn] ${line}`);
  }

  /** How a Task state is bound (throws for resources that cannot run locally). */
  describeBinding(stateName: string, state: any): string {
    const resource = String(state.Resource);
    if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
      if (resource !== 'arn:aws:states:::lambda:invoke') throw new Error(`${stateName}: ${resource} is not supported locally`);
      return 'lambda:invoke';
    }
    const ddb = /^arn:aws:states:::dynamodb:(\w+)$/.exec(resource);
    if (ddb) {
      if (!DYNAMODB_COMMANDS[ddb[1]!]) throw new Error(`${stateName}: ${resource} is not supported locally`);
      return `dynamodb:${ddb[1]}`;
    }
    if (resource.startsWith('arn:aws:lambda:') || !resource.startsWith('arn:')) {
      if (this.options.resolveLambda && !this.options.resolveLambda(resource)) {
        throw new Error(`${stateName}: no local function for ${resource}`);
      }
      return `lambda ${resource}`;
    }
    throw new Error(`${stateName}: Task resource ${resource} is not supported locally`);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => res());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.endpoint = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** Aborts running executions (no events), closes the server. */
  async close(): Promise<void> {
    this.closing = true;
    for (const record of this.executions.values()) {
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.stopDate = new Date();
        record.abort();
      }
    }
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    }
  }

  /** `retryIntervalMsOverride` for every state that retries, in aws-local-stepfunctions' terms. */
  private retryOverrides(): { retryIntervalOverrides?: Record<string, number> } {
    const ms = this.options.retryIntervalMsOverride;
    if (ms === undefined) return {};
    const states = Object.entries(this.definition.States as Record<string, { Retry?: unknown[] }>).filter(([, state]) => state.Retry?.length);
    return { retryIntervalOverrides: Object.fromEntries(states.map(([name]) => [name, ms])) };
  }

  getExecutionStats(nameOrArn: string): ExecutionStats | undefined {
    const record = this.findExecution(nameOrArn);
    if (!record) return undefined;
    return { status: record.status, transitions: record.transitions, byState: { ...record.byState } };
  }

  /** Resolves once the execution is closed and its status-change events were delivered. */
  async waitForExecution(nameOrArn: string): Promise<ExecutionStats | undefined> {
    const record = this.findExecution(nameOrArn);
    if (!record) return undefined;
    await record.settled;
    return this.getExecutionStats(nameOrArn);
  }

  listExecutionNames(): string[] {
    return [...this.executions.keys()];
  }

  private findExecution(nameOrArn: string): ExecutionRecord | undefined {
    if (nameOrArn.startsWith('arn:')) {
      const prefix = `arn:aws:states:${this.region}:${this.account}:execution:${this.stateMachineName}:`;
      if (!nameOrArn.startsWith(prefix)) return undefined;
      return this.executions.get(nameOrArn.slice(prefix.length));
    }
    return this.executions.get(nameOrArn);
  }

  // -------------------------------------------------------------------------------------------
  // Protocol

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body ?? {});
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
        ...headers,
      });
      res.end(text);
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method !== 'POST') throw new ApiError('UnknownOperationException', 'POST only', 404);
      const target = String(req.headers['x-amz-target'] ?? '');
      const match = /^AWSStepFunctions\.(\w+)$/.exec(target);
      if (!match) throw new ApiError('UnknownOperationException', `Unknown target ${target}`);
      let body: Record<string, any>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        body = text ? JSON.parse(text) : {};
      } catch {
        throw new ApiError('SerializationException', 'Malformed JSON body');
      }
      const result = await this.dispatch(match[1]!, body);
      send(200, result);
    } catch (err) {
      if (err instanceof ApiError) {
        send(err.statusCode, { __type: err.type, message: err.message }, { 'x-amzn-errortype': err.type });
      } else {
        this.log(`internal error: ${(err as Error).stack ?? err}`);
        send(500, { __type: 'InternalFailure', message: 'Internal failure' }, { 'x-amzn-errortype': 'InternalFailure' });
      }
    }
  }

  /** Every request the endpoint answered: operation and execution name (for StopExecution, DescribeExecution). */
  readonly requests: Array<{ operation: string; name?: string }> = [];

  private dispatch(op: string, body: Record<string, any>): unknown {
    const arn = typeof body.executionArn === 'string' ? body.executionArn : undefined;
    this.requests.push({ operation: op, ...(arn && { name: arn.split(':').pop() }), ...(typeof body.name === 'string' && { name: body.name }) });
    if (this.faults.takeFailure(op)) throw new ApiError('ThrottlingException', 'Rate exceeded (injected)');
    switch (op) {
      case 'StartExecution':
        return this.startExecution(body);
      case 'StopExecution':
        return this.stopExecution(body);
      case 'DescribeExecution':
        return this.describeExecution(body);
      case 'ListExecutions':
        return this.listExecutions(body);
      case 'DescribeStateMachine':
        this.checkStateMachine(body.stateMachineArn);
        return {
          stateMachineArn: this.stateMachineArn,
          name: this.stateMachineName,
          status: 'ACTIVE',
          definition: JSON.stringify(this.definition),
          roleArn: this.options.roleArn ?? `arn:aws:iam::${this.account}:role/local`,
          type: 'STANDARD',
          creationDate: 0,
        };
      default:
        throw new ApiError('UnknownOperationException', `Operation ${op} is not supported locally`);
    }
  }

  private checkStateMachine(arn: unknown): void {
    if (typeof arn !== 'string' || !arn) throw new ApiError('ValidationException', 'stateMachineArn is required');
    if (!arn.startsWith('arn:aws:states:')) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    // Qualified by a version or an alias (`<arn>:live`): locally there is one definition, whichever was published.
    const unqualified = arn.split(':').slice(0, 7).join(':');
    if (unqualified !== this.stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  private recordOf(executionArn: unknown): ExecutionRecord {
    if (typeof executionArn !== 'string' || !executionArn.startsWith('arn:aws:states:')) {
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    }
    const record = this.findExecution(executionArn);
    if (!record) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private startExecution(body: Record<string, any>): unknown {
    if (this.closing) throw new ApiError('ServiceUnavailable', 'Shutting down', 503);
    this.checkStateMachine(body.stateMachineArn);
    const name = body.name === undefined ? randomUUID() : String(body.name);
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u.test(name)) {
      throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    }
    const input = body.input === undefined || body.input === null ? '{}' : String(body.input);
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new ApiError('ValidationException', 'Input exceeds the maximum size of 262144 bytes');
    }
    let parsedInput: any;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input}'`);
    }
    const fault = this.faults.startFault(name);
    if (fault === 'before') throw new ApiError('InternalFailure', 'Injected fault: StartExecution failed before starting', 500);
    const existing = this.executions.get(name);
    if (existing) {
      if (fault === 'after') throw new ApiError('InternalFailure', 'Injected fault: StartExecution failed after starting', 500);
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: existing.executionArn, startDate: epochSeconds(existing.startDate) };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const record = this.run(name, input, parsedInput);
    if (fault === 'after') throw new ApiError('InternalFailure', 'Injected fault: StartExecution failed after starting', 500);
    return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
  }

  private stopExecution(body: Record<string, any>): unknown {
    const record = this.recordOf(body.executionArn);
    if (record.status === 'RUNNING') {
      record.status = 'ABORTED';
      record.stopDate = new Date();
      record.error = body.error === undefined ? undefined : String(body.error);
      record.cause = body.cause === undefined ? undefined : String(body.cause);
      record.abort();
      this.emit(record);
    }
    return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
  }

  /** The fields DescribeExecution and ListExecutions share. */
  private summaryOf(r: { executionArn: string; name: string; status: string; startDate: Date; stopDate?: Date }) {
    return {
      executionArn: r.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: epochSeconds(r.startDate),
      stopDate: epochSeconds(r.stopDate),
    };
  }

  private describeExecution(body: Record<string, any>): unknown {
    const r = this.recordOf(body.executionArn);
    return {
      ...this.summaryOf(r),
      input: r.input,
      inputDetails: { included: true },
      output: r.output,
      outputDetails: r.output === undefined ? undefined : { included: true },
      error: r.error,
      cause: r.cause,
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  private listExecutions(body: Record<string, any>): unknown {
    this.checkStateMachine(body.stateMachineArn);
    const filter = body.statusFilter as ExecutionStatus | undefined;
    const all = [...this.executions.values()]
      .filter((r) => !filter || r.status === filter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const offset = body.nextToken ? Number(Buffer.from(String(body.nextToken), 'base64url').toString()) || 0 : 0;
    const max = Math.min(Math.max(Number(body.maxResults) || 100, 1), 1000);
    const page = all.slice(offset, offset + max);
    return {
      executions: page.map((r) => this.summaryOf(r)),
      nextToken: offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Execution

  private run(name: string, input: string, parsedInput: any): ExecutionRecord {
    const executionArn = `arn:aws:states:${this.region}:${this.account}:execution:${this.stateMachineName}:${name}`;
    let settle!: () => void;
    const record: ExecutionRecord = {
      executionArn,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      byState: {},
      transitions: 0,
      abort: () => {},
      settled: new Promise<void>((res) => (settle = res)),
      eventChain: Promise.resolve(),
    };
    this.executions.set(name, record);

    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        StartTime: record.startDate.toISOString(),
        RoleArn: this.options.roleArn ?? `arn:aws:iam::${this.account}:role/local`,
        RedriveCount: 0,
      },
      StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
      // aws-local-stepfunctions 3.0.0 has no `$$.State`; it spreads the context shallowly, so this
      // object is kept by reference and the getter is evaluated when a path reads it, i.e. when the
      // state's InputPath/Parameters are processed on entering the state.
      State: {
        get EnteredTime(): string {
          return new Date().toISOString();
        },
        RetryCount: 0,
      },
    };

    const execution = this.machine.run(parsedInput, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(record), ...this.retryOverrides() },
      context,
    });
    record.abort = execution.abort;
    this.emit(record);

    const logsDone = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          record.transitions++;
          record.byState[event.state.name] = (record.byState[event.state.name] ?? 0) + 1;
        }
      }
    })().catch((err) => this.log(`event log of ${name}: ${err}`));

    void execution.result
      .then(
        (output) => this.close_(record, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
        (err: unknown) => {
          if (err instanceof ExecutionAbortedError) return this.close_(record, { status: 'ABORTED' });
          if (err instanceof ExecutionTimeoutError) return this.close_(record, { status: 'TIMED_OUT' });
          const inner = err instanceof ExecutionError && err.cause instanceof Error ? err.cause : (err as Error);
          const isFailState = inner?.constructor?.name === 'FailStateError';
          return this.close_(record, {
            status: 'FAILED',
            error: inner?.name,
            cause: isFailState && inner.message === 'Execution failed because of a Fail state' ? undefined : inner?.message,
          });
        },
      )
      .then(() => Promise.race([logsDone, new Promise((r) => setTimeout(r, 1000))]))
      .then(() => record.eventChain)
      .finally(settle);
    return record;
  }

  private close_(record: ExecutionRecord, result: { status: ExecutionStatus; output?: string; error?: string; cause?: string }): void {
    if (record.status !== 'RUNNING') return; // already stopped (StopExecution) or closing
    record.status = result.status;
    record.stopDate = new Date();
    record.output = result.output;
    record.error = result.error;
    record.cause = result.cause;
    if (result.status === 'TIMED_OUT') {
      record.error = 'States.Timeout';
    }
    this.emit(record);
  }

  /** Queues a status-change event with the record's current state (in order per execution). */
  private emit(record: ExecutionRecord): void {
    const callback = this.options.onStatusChange;
    if (!callback || this.closing) return;
    if (this.faults.dropEvent(record.name)) return;
    const event: ExecutionStatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.account,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: this.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate.getTime(),
        stopDate: record.stopDate ? record.stopDate.getTime() : null,
        input: record.input,
        inputDetails: { included: true },
        output: record.output ?? null,
        outputDetails: record.output === undefined ? null : { included: true },
        error: record.error ?? null,
        cause: record.cause ?? null,
      },
    };
    record.eventChain = record.eventChain.then(async () => {
      try {
        await callback(event);
      } catch (err) {
        this.log(`status-change target failed for ${record.name} ${event.detail.status}: ${(err as Error)?.stack ?? err}`);
      }
    });
  }

  private taskHandlers(record: ExecutionRecord): Record<string, (input: any) => Promise<any>> {
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    for (const [stateName, state] of this.taskStates) {
      const resource = String(state.Resource);
      const ddb = /^arn:aws:states:::dynamodb:(\w+)$/.exec(resource);
      if (resource === 'arn:aws:states:::lambda:invoke') {
        handlers[stateName] = async (resolved: any) => {
          const params = applyJsonToString(resolved);
          const payload = await this.invokeLambda(String(params?.FunctionName), params?.Payload ?? {}, record);
          return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
        };
      } else if (ddb) {
        const Command = DYNAMODB_COMMANDS[ddb[1]!]!;
        handlers[stateName] = async (resolved: any) => {
          const params = applyJsonToString(resolved);
          if (!this.options.dynamodb) throw new Error('No DynamoDB client configured');
          this.faults.maybeThrottle(record.name);
          try {
            const { $metadata: _ignored, ...out } = await this.options.dynamodb.send(new Command(params));
            return JSON.parse(JSON.stringify(out));
          } catch (err) {
            const e = err as Error;
            const renamed = new Error(e.message);
            renamed.name = `DynamoDB.${e.name === 'Error' ? 'AmazonDynamoDBException' : e.name}`;
            throw renamed;
          }
        };
      } else {
        handlers[stateName] = (payload: any) => this.invokeLambda(resource, applyJsonToString(payload), record);
      }
    }
    return handlers;
  }

  private async invokeLambda(ref: string, payload: unknown, record: ExecutionRecord): Promise<unknown> {
    const fn = this.options.resolveLambda?.(ref);
    if (!fn) {
      const err = new Error(`Function not found: ${ref}`);
      err.name = 'Lambda.ResourceNotFoundException';
      throw err;
    }
    let text: string;
    try {
      // Payloads cross a JSON boundary on AWS; do the same so nothing is shared by reference.
      const result = await fn.invoke(payload, { logStream: `local/${record.name}` });
      text = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      throw lambdaError(err);
    }
    // Like AWS: a task result over 256 KB fails the state with States.DataLimitExceeded.
    // (aws-local-stepfunctions' States.ALL also catches it, where AWS's does not: name it first.)
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      const err = new Error(`The state/task '${fn.arn}' returned a result with a size exceeding the maximum number of bytes service limit.`);
      err.name = 'States.DataLimitExceeded';
      throw err;
    }
    return JSON.parse(text);
  }
}

export async function startStepFunctionsEndpoint(options: StepFunctionsEndpointOptions): Promise<StepFunctionsEndpoint> {
  return new StepFunctionsEndpoint(options).start();
}
