/**
 * Task tokens of the local Step Functions endpoint: a `.waitForTaskToken` state gets a token
 * (`$$.Task.Token`), calls its resource with it, then waits until `SendTaskSuccess` or
 * `SendTaskFailure` answers the token, its `HeartbeatSeconds` pass without a `SendTaskHeartbeat`,
 * its `TimeoutSeconds` pass, or its execution ends. aws-local-stepfunctions has no callback
 * pattern; its task handlers let the endpoint implement it.
 */
import { randomBytes } from 'node:crypto';

/** An error a state fails with, named as Step Functions names it. */
export function stateError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A protocol error of SendTask* (the SDK sees its `__type`). */
export class TokenError extends Error {
  constructor(
    readonly type: 'TaskDoesNotExist' | 'TaskTimedOut' | 'InvalidToken' | 'InvalidOutput',
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  execution: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  timers: { timeout?: NodeJS.Timeout; heartbeat?: NodeJS.Timeout };
  heartbeatSeconds?: number;
}

/** setTimeout overflows past 2^31 - 1 ms (it would fire at once): longer waits are left to the execution's timeout. */
const MAX_TIMER_SECONDS = 2_147_483;

export class TaskTokens {
  /** Tokens issued, not yet waited on (a state's Parameters were resolved, its handler has not run yet). */
  private readonly issued = new Map<string, string>();
  private readonly waiting = new Map<string, Waiter>();
  /** Tokens whose wait ended: answering them is `TaskTimedOut`, as on AWS. */
  private readonly closed = new Set<string>();

  /** A new token for a state of `execution` (what `$$.Task.Token` reads). */
  issue(execution: string): string {
    const token = `local-${randomBytes(24).toString('base64url')}`;
    this.issued.set(token, execution);
    return token;
  }

  /** The tokens issued for `execution` that appear in `params` (the state's resolved Parameters). */
  tokensIn(execution: string, params: unknown): string[] {
    const text = JSON.stringify(params ?? null);
    return [...this.issued].filter(([token, owner]) => owner === execution && text.includes(token)).map(([token]) => token);
  }

  /**
   * Waits for the answer to `token`: resolves with SendTaskSuccess's output, rejects with
   * SendTaskFailure's error, `States.HeartbeatTimeout` or `States.Timeout`.
   */
  wait(token: string, options: { timeoutSeconds?: number; heartbeatSeconds?: number }): Promise<unknown> {
    const execution = this.issued.get(token) ?? '';
    this.issued.delete(token);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { execution, resolve, reject, timers: {}, heartbeatSeconds: options.heartbeatSeconds };
      this.waiting.set(token, waiter);
      if (options.timeoutSeconds !== undefined && options.timeoutSeconds <= MAX_TIMER_SECONDS) {
        waiter.timers.timeout = setTimeout(() => this.end(token, stateError('States.Timeout', 'The task timed out.')), options.timeoutSeconds * 1000);
      }
      this.armHeartbeat(token, waiter);
    });
  }

  private armHeartbeat(token: string, waiter: Waiter): void {
    clearTimeout(waiter.timers.heartbeat);
    if (waiter.heartbeatSeconds === undefined || waiter.heartbeatSeconds > MAX_TIMER_SECONDS) return;
    waiter.timers.heartbeat = setTimeout(
      () => this.end(token, stateError('States.HeartbeatTimeout', 'No heartbeat arrived in time.')),
      waiter.heartbeatSeconds * 1000,
    );
  }

  private end(token: string, outcome: Error | { output: unknown }): void {
    const waiter = this.waiting.get(token);
    if (!waiter) return;
    this.waiting.delete(token);
    this.closed.add(token);
    // Remember the latest answered tokens only: a long local run must not grow without bound.
    if (this.closed.size > 10_000) this.closed.delete(this.closed.values().next().value as string);
    clearTimeout(waiter.timers.timeout);
    clearTimeout(waiter.timers.heartbeat);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome.output);
  }

  private waiterOf(token: unknown): Waiter {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) throw new TokenError('InvalidToken', 'Invalid Token');
    const waiter = this.waiting.get(token);
    if (waiter) return waiter;
    if (this.closed.has(token)) throw new TokenError('TaskTimedOut', 'Task Timed Out');
    throw new TokenError('TaskDoesNotExist', 'Task does not exist anymore');
  }

  /** SendTaskSuccess: `output` is the state's result (JSON text). */
  succeed(token: unknown, output: unknown): void {
    this.waiterOf(token);
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(output));
    } catch {
      throw new TokenError('InvalidOutput', 'Invalid State Machine Output');
    }
    this.end(token as string, { output: parsed });
  }

  /** SendTaskFailure: the state fails with `error` (default `States.TaskFailed`) and `cause`. */
  fail(token: unknown, error: unknown, cause: unknown): void {
    this.waiterOf(token);
    this.end(token as string, stateError(typeof error === 'string' && error ? error : 'States.TaskFailed', typeof cause === 'string' ? cause : ''));
  }

  /** SendTaskHeartbeat: the heartbeat timeout starts again. */
  heartbeat(token: unknown): void {
    const waiter = this.waiterOf(token);
    this.armHeartbeat(token as string, waiter);
  }

  /** The execution ended (stopped, timed out, failed elsewhere): its waits end; answering their tokens is TaskTimedOut. */
  closeExecution(execution: string): void {
    for (const [token, owner] of this.issued) if (owner === execution) this.issued.delete(token);
    for (const [token, waiter] of this.waiting) {
      if (waiter.execution === execution) this.end(token, stateError('States.Runtime', 'The execution ended.'));
    }
  }
}
