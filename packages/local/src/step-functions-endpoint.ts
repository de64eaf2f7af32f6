/**
 * A local Step Functions endpoint: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Op>`), so the real `@aws-sdk/client-sfn` works against it
 * (point it there with `AWS_ENDPOINT_URL_SFN`). The stack's state machines (the task workflow, and a
 * compensation workflow if any), each executed by `aws-local-stepfunctions` with every Task state
 * bound by name to local code (./local-state-machine.ts):
 *
 * - Lambda resources (a function ARN / name, or `arn:aws:states:::lambda:invoke` with
 *   `FunctionName`) call the function's handler module in-process;
 * - `arn:aws:states:::lambda:invoke.waitForTaskToken` calls it with a task token, then waits for
 *   `SendTaskSuccess` / `SendTaskFailure` (and `SendTaskHeartbeat`), its `TimeoutSeconds` and
 *   `HeartbeatSeconds` (./task-tokens.ts);
 * - `arn:aws:states:::dynamodb:{getItem,putItem,updateItem,deleteItem}` call DynamoDB (Local)
 *   with the resolved Parameters; errors are renamed `DynamoDB.<Exception>` as Step Functions does.
 *
 * It emits EventBridge-shaped "Step Functions Execution Status Change" events (RUNNING and every
 * terminal status) to a callback, in order per execution, and counts state transitions. An EXPRESS
 * state machine's executions emit none, and DescribeExecution, StopExecution and ListExecutions
 * refuse them as Step Functions does; each StartExecution starts a run (at least once).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultOptions } from './faults.ts';
import { ApiError, type ExecutionRecord, epochSeconds, LocalStateMachine, MAX_PAYLOAD_BYTES, type MachineOptions } from './local-state-machine.ts';
import type { ExecutionStats, ExecutionStatus } from './step-functions-events.ts';
import { TaskTokens, TokenError } from './task-tokens.ts';

export type { ExecutionStats, ExecutionStatusChangeEvent } from './step-functions-events.ts';

export interface StepFunctionsEndpointOptions extends MachineOptions {
  /** The state machine's ASL, tokens already resolved. */
  definition: Record<string, any>;
  stateMachineArn: string;
  /** More state machines on the same endpoint (a compensation workflow, the Express one of short task types): their ASL, ARN and type. */
  machines?: Array<{ definition: Record<string, any>; stateMachineArn: string; type?: 'STANDARD' | 'EXPRESS' }>;
  region?: string;
  account?: string;
  /** Port on 127.0.0.1; 0 / undefined = free port. */
  port?: number;
  /** Replaces the definition's top-level `TimeoutSeconds` (e.g. for a timeout test). */
  timeoutSecondsOverride?: number;
  /** Replaces the top-level `TimeoutSeconds` of the EXPRESS state machines (their 5-minute limit, for a test). */
  expressTimeoutSecondsOverride?: number;
  log?: (line: string) => void;
  /** Faults to inject (dropped status events, failing starts, throttled workflow writes); none by default. */
  faults?: FaultOptions;
}

export class StepFunctionsEndpoint {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly region: string;
  readonly account: string;
  /** The task workflow first, then any other state machine, by ARN. */
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly main: LocalStateMachine;
  private readonly tokens = new TaskTokens();
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
    const ctx = {
      options,
      region: this.region,
      account: this.account,
      faults: this.faults,
      tokens: this.tokens,
      isClosing: () => this.closing,
      log: (line: string) => this.log(line),
    };
    this.main = new LocalStateMachine(options.definition, options.stateMachineArn, ctx, options.timeoutSecondsOverride);
    this.machines.set(this.main.arn, this.main);
    for (const extra of options.machines ?? []) {
      const express = extra.type === 'EXPRESS';
      const timeout = express ? options.expressTimeoutSecondsOverride : undefined;
      this.machines.set(extra.stateMachineArn, new LocalStateMachine(extra.definition, extra.stateMachineArn, ctx, timeout, extra.type));
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((l) => console.error(l)))(`[sfn] ${line}`);
  }

  /** How a Task state of the task workflow is bound (throws for resources that cannot run locally). */
  describeBinding(stateName: string, state: any): string {
    return this.main.describeBinding(stateName, state);
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
    for (const machine of this.machines.values()) machine.abortAll();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    }
  }

  /** An execution's statistics: a name is one of the task workflow's, an ARN may be any machine's. */
  getExecutionStats(nameOrArn: string): ExecutionStats | undefined {
    const found = this.findExecution(nameOrArn);
    return found?.machine.stats(found.record);
  }

  /** Resolves once the execution is closed and its status-change events were delivered. */
  async waitForExecution(nameOrArn: string): Promise<ExecutionStats | undefined> {
    const found = this.findExecution(nameOrArn);
    if (!found) return undefined;
    await found.record.settled;
    return found.machine.stats(found.record);
  }

  /** Names of the task workflow's executions. */
  listExecutionNames(): string[] {
    return [...this.main.executions.keys()];
  }

  /** The runs of an EXPRESS state machine named `name`, oldest first (Express may run a name more than once). */
  expressExecutions(name: string): ExecutionRecord[] {
    const runs: ExecutionRecord[] = [];
    for (const machine of this.machines.values()) {
      if (machine.express) runs.push(...[...machine.executions.values()].filter((r) => r.name === name));
    }
    return runs.sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
  }

  /** A name: the task workflow's execution, else the latest Express run of that name; an ARN: any machine's. */
  private findExecution(nameOrArn: string): { machine: LocalStateMachine; record: ExecutionRecord } | undefined {
    if (!nameOrArn.startsWith('arn:')) {
      const record = this.main.executions.get(nameOrArn);
      if (record) return { machine: this.main, record };
      const run = this.expressExecutions(nameOrArn).pop();
      const machine = run && [...this.machines.values()].find((m) => m.express && [...m.executions.values()].includes(run));
      return run && machine && { machine, record: run };
    }
    for (const machine of this.machines.values()) {
      const prefix = `arn:aws:states:${this.region}:${this.account}:${machine.express ? 'express' : 'execution'}:${machine.name}:`;
      if (!nameOrArn.startsWith(prefix)) continue;
      const record = machine.executions.get(nameOrArn.slice(prefix.length));
      return record && { machine, record };
    }
    return undefined;
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
      if (err instanceof TokenError) {
        send(400, { __type: err.type, message: err.message }, { 'x-amzn-errortype': err.type });
      } else if (err instanceof ApiError) {
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
      case 'SendTaskSuccess':
        this.tokens.succeed(body.taskToken, body.output);
        return {};
      case 'SendTaskFailure':
        this.tokens.fail(body.taskToken, body.error, body.cause);
        return {};
      case 'SendTaskHeartbeat':
        this.tokens.heartbeat(body.taskToken);
        return {};
      case 'DescribeStateMachine': {
        const machine = this.machineOf(body.stateMachineArn);
        return {
          stateMachineArn: machine.arn,
          name: machine.name,
          status: 'ACTIVE',
          definition: JSON.stringify(machine.definition),
          roleArn: this.options.roleArn ?? `arn:aws:iam::${this.account}:role/local`,
          type: machine.express ? 'EXPRESS' : 'STANDARD',
          creationDate: 0,
        };
      }
      default:
        throw new ApiError('UnknownOperationException', `Operation ${op} is not supported locally`);
    }
  }

  private machineOf(arn: unknown): LocalStateMachine {
    if (typeof arn !== 'string' || !arn) throw new ApiError('ValidationException', 'stateMachineArn is required');
    if (!arn.startsWith('arn:aws:states:')) throw new ApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    // Qualified by a version or an alias (`<arn>:live`): locally there is one definition, whichever was published.
    const machine = this.machines.get(arn.split(':').slice(0, 7).join(':'));
    if (!machine) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private recordOf(executionArn: unknown): { machine: LocalStateMachine; record: ExecutionRecord } {
    if (typeof executionArn !== 'string' || !executionArn.startsWith('arn:aws:states:')) {
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    }
    // As Step Functions answers for an Express execution: DescribeExecution and StopExecution do not support them.
    if (/^arn:aws:states:[^:]*:[^:]*:express:/.test(executionArn)) {
      throw new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
    }
    const found = this.findExecution(executionArn);
    if (!found) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return found;
  }

  private startExecution(body: Record<string, any>): unknown {
    if (this.closing) throw new ApiError('ServiceUnavailable', 'Shutting down', 503);
    const machine = this.machineOf(body.stateMachineArn);
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
    return machine.start(name, input, parsedInput, fault);
  }

  private stopExecution(body: Record<string, any>): unknown {
    const { machine, record } = this.recordOf(body.executionArn);
    machine.stop(record, body.error, body.cause);
    return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
  }

  /** The fields DescribeExecution and ListExecutions share. */
  private summaryOf(machine: LocalStateMachine, r: ExecutionRecord) {
    return {
      executionArn: r.executionArn,
      stateMachineArn: machine.arn,
      name: r.name,
      status: r.status,
      startDate: epochSeconds(r.startDate),
      stopDate: epochSeconds(r.stopDate),
    };
  }

  private describeExecution(body: Record<string, any>): unknown {
    const { machine, record: r } = this.recordOf(body.executionArn);
    return {
      ...this.summaryOf(machine, r),
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
    const machine = this.machineOf(body.stateMachineArn);
    if (machine.express) throw new ApiError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const filter = body.statusFilter as ExecutionStatus | undefined;
    const all = [...machine.executions.values()]
      .filter((r) => !filter || r.status === filter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const offset = body.nextToken ? Number(Buffer.from(String(body.nextToken), 'base64url').toString()) || 0 : 0;
    const max = Math.min(Math.max(Number(body.maxResults) || 100, 1), 1000);
    const page = all.slice(offset, offset + max);
    return {
      executions: page.map((r) => this.summaryOf(machine, r)),
      nextToken: offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined,
    };
  }
}

export async function startStepFunctionsEndpoint(options: StepFunctionsEndpointOptions): Promise<StepFunctionsEndpoint> {
  return new StepFunctionsEndpoint(options).start();
}
