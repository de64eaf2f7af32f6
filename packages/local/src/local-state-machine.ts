/**
 * One state machine of the local Step Functions endpoint: its ASL run by `aws-local-stepfunctions`,
 * its executions, and its Task states bound by name to local code (see ./step-functions-endpoint.ts):
 * Lambda resources call the function's handler module, `lambda:invoke.waitForTaskToken` calls it
 * with a task token and waits for its answer (./task-tokens.ts), `dynamodb:*` calls DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FaultInjector } from './faults.ts';
import type { LocalLambda } from './functions/local-lambda.ts';
import type { ExecutionStats, ExecutionStatus, ExecutionStatusChangeEvent } from './step-functions-events.ts';
import { stateError, type TaskTokens } from './task-tokens.ts';

/** A protocol error: its `__type` and HTTP status reach the SDK. */
export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export interface ExecutionRecord {
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

/** What a machine shares with the endpoint that hosts it. */
/** What every local state machine of an endpoint runs with (a part of the endpoint's options). */
export interface MachineOptions {
  /** The execution role's ARN, as `$$.Execution.RoleArn` shows it. */
  roleArn?: string;
  /** Replaces the interval of every Retry (milliseconds, no backoff), e.g. to use up retries in a test. */
  retryIntervalMsOverride?: number;
  /** Finds the Lambda function a Task resource or `FunctionName` designates (ARN, partial ARN or name). */
  resolveLambda?: (ref: string) => LocalLambda | undefined;
  /** Low-level DynamoDB client used by `arn:aws:states:::dynamodb:*` tasks. */
  dynamodb?: DynamoDBClient;
  /** Receives every status-change event; awaited in order per execution, errors logged. */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => unknown;
}

export interface MachineContext {
  options: MachineOptions;
  region: string;
  account: string;
  faults: FaultInjector;
  tokens: TaskTokens;
  isClosing: () => boolean;
  log: (line: string) => void;
}

const DYNAMODB_COMMANDS: Record<string, new (input: any) => any> = {
  getItem: GetItemCommand,
  putItem: PutItemCommand,
  updateItem: UpdateItemCommand,
  deleteItem: DeleteItemCommand,
};

/** Step Functions' payload quota: execution input, and each state's input and output. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export const epochSeconds = (d: Date | undefined): number | undefined => (d ? d.getTime() / 1000 : undefined);

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

/** Task states with no TimeoutSeconds: Step Functions waits as long as the execution may run (aws-local-stepfunctions would stop at 60 s). */
const UNBOUNDED_TASK_SECONDS = 2_147_483;

export class LocalStateMachine {
  readonly arn: string;
  readonly name: string;
  readonly definition: StateMachineDefinition;
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: StateMachine;
  private readonly taskStates = new Map<string, any>();

  /** `retryIntervalMsOverride` for every state that retries, in aws-local-stepfunctions' terms. */
  private retryOverrides(): { retryIntervalOverrides?: Record<string, number> } {
    const ms = this.ctx.options.retryIntervalMsOverride;
    if (ms === undefined) return {};
    const states = Object.entries(this.definition.States as Record<string, { Retry?: unknown[] }>).filter(([, state]) => state.Retry?.length);
    return { retryIntervalOverrides: Object.fromEntries(states.map(([name]) => [name, ms])) };
  }

  /**
   * An EXPRESS state machine: every StartExecution starts a run (no name idempotency), its
   * executions emit no status-change events and cannot be described, listed or stopped.
   */
  readonly express: boolean;

  constructor(
    definition: Record<string, any>,
    arn: string,
    private readonly ctx: MachineContext,
    timeoutSecondsOverride?: number,
    type: 'STANDARD' | 'EXPRESS' = 'STANDARD',
  ) {
    this.arn = arn;
    this.express = type === 'EXPRESS';
    this.name = arn.split(':').pop()!;
    const own = structuredClone(definition) as StateMachineDefinition;
    if (timeoutSecondsOverride !== undefined) own.TimeoutSeconds = timeoutSecondsOverride;
    this.definition = own;
    const runnable = structuredClone(own);
    collectTaskStates(runnable.States, new Map(), (state) => {
      deferJsonToString(state.Parameters);
      // The callback pattern times out in the endpoint (./task-tokens.ts); the library's own default is 60 s.
      if (String(state.Resource).endsWith('.waitForTaskToken')) {
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSecondsPath;
        state.TimeoutSeconds = UNBOUNDED_TASK_SECONDS;
      }
    });
    this.machine = new StateMachine(runnable, { validationOptions: { checkArn: false, checkPaths: false } });
    collectTaskStates(own.States, this.taskStates);
    // Fail fast on Task states nothing local can run (the library would otherwise call real AWS).
    for (const [name, state] of this.taskStates) this.describeBinding(name, state);
  }

  private log(line: string): void {
    this.ctx.log(line);
  }

  /** How a Task state is bound (throws for resources that cannot run locally). */
  describeBinding(stateName: string, state: any): string {
    const resource = String(state.Resource);
    if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
      if (resource !== 'arn:aws:states:::lambda:invoke' && resource !== 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        throw new Error(`${stateName}: ${resource} is not supported locally`);
      }
      return resource.slice('arn:aws:states:::'.length);
    }
    const ddb = /^arn:aws:states:::dynamodb:(\w+)$/.exec(resource);
    if (ddb) {
      if (!DYNAMODB_COMMANDS[ddb[1]!]) throw new Error(`${stateName}: ${resource} is not supported locally`);
      return `dynamodb:${ddb[1]}`;
    }
    if (resource.startsWith('arn:aws:lambda:') || !resource.startsWith('arn:')) {
      if (this.ctx.options.resolveLambda && !this.ctx.options.resolveLambda(resource)) {
        throw new Error(`${stateName}: no local function for ${resource}`);
      }
      return `lambda ${resource}`;
    }
    throw new Error(`${stateName}: Task resource ${resource} is not supported locally`);
  }

  executionArnOf(name: string): string {
    return `arn:aws:states:${this.ctx.region}:${this.ctx.account}:execution:${this.name}:${name}`;
  }

  /** StartExecution, after the endpoint checked the request. */
  start(name: string, input: string, parsedInput: any, fault: string | undefined): { executionArn: string; startDate?: number } {
    // Express: at least once, no idempotency by name; each run has an ARN of its own (`…:express:<machine>:<name>:<id>`).
    const existing = this.express ? undefined : this.executions.get(name);
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

  stop(record: ExecutionRecord, error: unknown, cause: unknown): void {
    if (record.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.stopDate = new Date();
    record.error = error === undefined ? undefined : String(error);
    record.cause = cause === undefined ? undefined : String(cause);
    record.abort();
    this.ctx.tokens.closeExecution(record.executionArn);
    this.emit(record);
  }

  /** Aborts the running executions without events (the endpoint closes). */
  abortAll(): void {
    for (const record of this.executions.values()) {
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.stopDate = new Date();
        record.abort();
        this.ctx.tokens.closeExecution(record.executionArn);
      }
    }
  }

  stats(record: ExecutionRecord): ExecutionStats {
    return { status: record.status, transitions: record.transitions, byState: { ...record.byState } };
  }

  private run(name: string, input: string, parsedInput: any): ExecutionRecord {
    const runId = randomUUID();
    const executionArn = this.express
      ? `arn:aws:states:${this.ctx.region}:${this.ctx.account}:express:${this.name}:${name}:${runId}`
      : this.executionArnOf(name);
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
    this.executions.set(this.express ? `${name}:${runId}` : name, record);

    const tokens = this.ctx.tokens;
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        StartTime: record.startDate.toISOString(),
        RoleArn: this.ctx.options.roleArn ?? `arn:aws:iam::${this.ctx.account}:role/local`,
        RedriveCount: 0,
      },
      StateMachine: { Id: this.arn, Name: this.name },
      // `$$.Task.Token`: a new token each time a state's Parameters read it (./task-tokens.ts).
      Task: {
        get Token(): string {
          return tokens.issue(executionArn);
        },
      },
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
    this.ctx.tokens.closeExecution(record.executionArn);
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
    const callback = this.ctx.options.onStatusChange;
    // Express executions send no status-change events to EventBridge.
    if (!callback || this.ctx.isClosing() || this.express) return;
    if (this.ctx.faults.dropEvent(record.name)) return;
    const event: ExecutionStatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.ctx.account,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.ctx.region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: this.arn,
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
      } else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        // The callback pattern: invoke with the token, then the state's result is what the token is answered with.
        handlers[stateName] = async (resolved: any) => {
          const params = applyJsonToString(resolved);
          const tokens = this.ctx.tokens.tokensIn(record.executionArn, params);
          if (tokens.length !== 1) throw stateError('States.Runtime', `${stateName}: its Parameters must pass $$.Task.Token once`);
          const answer = this.ctx.tokens.wait(tokens[0]!, {
            timeoutSeconds: numberOr(state.TimeoutSeconds),
            heartbeatSeconds: numberOr(state.HeartbeatSeconds),
          });
          // Its end may come while the invocation is still under way (the execution stopped): never unhandled.
          answer.catch(() => {});
          try {
            await this.invokeLambda(String(params?.FunctionName), params?.Payload ?? {}, record);
          } catch (error) {
            this.ctx.tokens.fail(tokens[0], (error as Error).name, (error as Error).message);
          }
          return answer;
        };
      } else if (ddb) {
        const Command = DYNAMODB_COMMANDS[ddb[1]!]!;
        handlers[stateName] = async (resolved: any) => {
          const params = applyJsonToString(resolved);
          if (!this.ctx.options.dynamodb) throw new Error('No DynamoDB client configured');
          this.ctx.faults.maybeThrottle(record.name);
          try {
            const { $metadata: _ignored, ...out } = await this.ctx.options.dynamodb.send(new Command(params));
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
    // A handler whose state was abandoned (the execution stopped) may reject later: never unhandled.
    for (const [name, handler] of Object.entries(handlers)) {
      handlers[name] = (input: any) => {
        const result = handler(input);
        result.catch(() => {});
        return result;
      };
    }
    return handlers;
  }

  private async invokeLambda(ref: string, payload: unknown, record: ExecutionRecord): Promise<unknown> {
    const fn = this.ctx.options.resolveLambda?.(ref);
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

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}
