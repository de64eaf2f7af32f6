/**
 * Fault injection for the local Step Functions endpoint, to prove that every task reaches its
 * outcome when AWS misbehaves the way its documentation allows:
 *
 * - `dropStatusEvents`: a fraction of "Execution Status Change" events is never delivered
 *   (EventBridge delivery of Step Functions events is best-effort);
 * - `failStarts`: a fraction of StartExecution requests fails on every SDK attempt of the first
 *   request for that name (500), half of them before the execution starts and half after it
 *   started (the caller cannot tell which);
 * - `throttleWorkflowWrites`: a fraction of the workflow's DynamoDB steps (RecordSuccess,
 *   RecordFailure) is throttled (`DynamoDB.ProvisionedThroughputExceededException`).
 *
 * Every injected fault is counted and timed, so a test or the benchmark can measure fault-to-outcome.
 */

export interface FaultOptions {
  /** Fraction (0..1) of status-change events to drop. */
  dropStatusEvents?: number;
  /** Fraction (0..1) of execution names whose first StartExecution request fails. */
  failStarts?: number;
  /** Fraction (0..1) of the workflow's DynamoDB steps to throttle. */
  throttleWorkflowWrites?: number;
  /** Random source, for reproducible runs. @default Math.random */
  random?: () => number;
}

export type FaultKind = 'dropped-event' | 'start-failed-before' | 'start-failed-after' | 'throttled-write';

export interface InjectedFault {
  kind: FaultKind;
  /** Execution name (= task id). */
  name: string;
  /** Epoch ms. */
  at: number;
}

/** SDK attempts per request (`#clients/timeouts` MAX_ATTEMPTS): a failing start fails them all. */
const ATTEMPTS_PER_REQUEST = 3;

/** Step Functions operations whose next request a test can make fail on demand. */
export type FailableOperation = 'StartExecution' | 'StopExecution' | 'DescribeExecution';

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  /** Attempts still to fail, per operation (`failNextRequest`). */
  private readonly failing = new Map<FailableOperation, number>();
  private readonly random: () => number;
  /** Per execution name: how the start fails and how many attempts failed so far. */
  private readonly startPlans = new Map<string, { mode: 'before' | 'after' | 'none'; failed: number }>();

  constructor(private readonly options: FaultOptions = {}) {
    this.random = options.random ?? Math.random;
    for (const [name, value] of Object.entries(options)) {
      if (name !== 'random' && (typeof value !== 'number' || !(value >= 0 && value <= 1))) {
        throw new Error(`fault ${name} must be a fraction between 0 and 1, got ${value}`);
      }
    }
  }

  counts(): Record<FaultKind, number> {
    const counts: Record<FaultKind, number> = { 'dropped-event': 0, 'start-failed-before': 0, 'start-failed-after': 0, 'throttled-write': 0 };
    for (const f of this.injected) counts[f.kind]++;
    return counts;
  }

  private record(kind: FaultKind, name: string): void {
    this.injected.push({ kind, name, at: Date.now() });
  }

  /** True if this status-change event is to be dropped. */
  dropEvent(name: string): boolean {
    if (!(this.random() < (this.options.dropStatusEvents ?? 0))) return false;
    this.record('dropped-event', name);
    return true;
  }

  /**
   * Decides the fate of a StartExecution attempt for `name`: `before` (fail, start nothing),
   * `after` (start, then fail) or `none`. Only the first request's attempts fail.
   */
  startFault(name: string): 'before' | 'after' | 'none' {
    let plan = this.startPlans.get(name);
    if (!plan) {
      const u = this.random();
      const fraction = this.options.failStarts ?? 0;
      plan = { mode: u < fraction / 2 ? 'before' : u < fraction ? 'after' : 'none', failed: 0 };
      this.startPlans.set(name, plan);
      if (plan.mode !== 'none') this.record(plan.mode === 'before' ? 'start-failed-before' : 'start-failed-after', name);
    }
    if (plan.mode === 'none' || plan.failed >= ATTEMPTS_PER_REQUEST) return 'none';
    plan.failed++;
    return plan.mode;
  }

  /**
   * Makes the next request of `operation` fail with throttling on every SDK attempt (the caller's
   * request fails, as when Step Functions throttles it): a fault no real endpoint produces on demand.
   */
  failNextRequest(operation: FailableOperation): void {
    this.failing.set(operation, (this.failing.get(operation) ?? 0) + ATTEMPTS_PER_REQUEST);
  }

  /** True if this attempt of `operation` is to fail (`failNextRequest`). */
  takeFailure(operation: string): boolean {
    const left = this.failing.get(operation as FailableOperation) ?? 0;
    if (left === 0) return false;
    this.failing.set(operation as FailableOperation, left - 1);
    return true;
  }

  /** Throws a DynamoDB throttling error for this workflow write, sometimes. */
  maybeThrottle(name: string): void {
    if (!(this.random() < (this.options.throttleWorkflowWrites ?? 0))) return;
    this.record('throttled-write', name);
    const error = new Error('The level of configured provisioned throughput for the table was exceeded (injected).');
    error.name = 'DynamoDB.ProvisionedThroughputExceededException';
    throw error;
  }
}
