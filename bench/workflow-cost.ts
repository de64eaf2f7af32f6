/**
 * Part 5, continued: Standard or Express for a short task type (`expressTaskTypes`), side by side for
 * a task whose worker is one Lambda Task state running 10 s and 1 min, and what the platform adds
 * per task: everything but the worker's own compute (which is the same on both). Pure arithmetic
 * over the published prices and the calls each path makes by construction.
 */
import { type CostBreakdown, type CostModel, costPerMillion, PRICES, RRU_PER_GET, type Usage, WRU_FAILED_WRITE, WRU_TASK_WRITE } from './cost.ts';
import { table, usd } from './stats.ts';

/** Step Functions Express Workflows, us-east-1 (first 1,000 GB-hours a month; cheaper beyond). */
export const EXPRESS_PRICES = {
  perMillionRequests: 1.0,
  perGbSecond: 0.00001667,
  /** Duration is rounded up to the next 100 ms. */
  billedIncrementMs: 100,
  /** Memory is billed in 64 MB chunks: definition size, Map/Parallel and payload; a small task's is one chunk. */
  memoryChunkMb: 64,
} as const;

/**
 * The shell's own time around the worker on Express (RecordRunning and RecordSuccess, one DynamoDB
 * UpdateItem each, and the state changes between): what the execution lasts beyond the worker.
 */
export const EXPRESS_SHELL_MS = 60;

/** The target of issue 19: a 10-second task's platform cost on Express at most this share of Standard's. */
export const EXPRESS_TARGET_SHARE = 0.4;

export type Workflow = 'standard' | 'express';

/** What the platform does for one task whose worker is one Lambda Task state and that succeeds. */
export function platformUsage(workflow: Workflow): Usage {
  // Either way: the submit (API request, submit-task, the task's PutItem), RecordSuccess's write, and
  // one read of the outcome (a GET once its webhook came, or a last poll); following it is part 6's subject.
  const common = {
    apiRequests: 2,
    invocations: { 'submit-task': 1, 'get-task': 1 } as Record<string, number>,
    wru: 2 * WRU_TASK_WRITE,
    rru: RRU_PER_GET,
  };
  if (workflow === 'standard') {
    return {
      ...common,
      // The backstop reads both status events: RUNNING records running (a changing write), SUCCEEDED finds it recorded (a failed condition).
      invocations: { ...common.invocations, 'reconcile-execution': 2 },
      wru: common.wru + WRU_TASK_WRITE + WRU_FAILED_WRITE,
      // The worker's Task state and RecordSuccess.
      transitions: 2,
    };
  }
  // Express: RecordRunning writes running (no status events, no backstop); transitions are not billed.
  return { ...common, wru: common.wru + WRU_TASK_WRITE, transitions: 0 };
}

/** An Express execution of `workerSeconds` (plus the shell), per task: its request and its billed duration. */
export function expressExecutionCost(workerSeconds: number, memoryMb: number = EXPRESS_PRICES.memoryChunkMb) {
  const ms = workerSeconds * 1000 + EXPRESS_SHELL_MS;
  const billedMs = Math.ceil(ms / EXPRESS_PRICES.billedIncrementMs) * EXPRESS_PRICES.billedIncrementMs;
  const gb = (Math.ceil(memoryMb / EXPRESS_PRICES.memoryChunkMb) * EXPRESS_PRICES.memoryChunkMb) / 1024;
  return { request: EXPRESS_PRICES.perMillionRequests / 1_000_000, duration: (billedMs / 1000) * gb * EXPRESS_PRICES.perGbSecond, billedMs };
}

/** The platform's cost per million tasks of `workerSeconds` on `workflow`: Step Functions is transitions (Standard) or requests + duration (Express). */
export function platformCostPerMillion(workerSeconds: number, workflow: Workflow, model: CostModel): CostBreakdown {
  const base = costPerMillion(platformUsage(workflow), model);
  if (workflow === 'standard') return base;
  const execution = expressExecutionCost(workerSeconds);
  const stepFunctions = (execution.request + execution.duration) * 1_000_000;
  return { ...base, stepFunctions, total: base.total - base.stepFunctions + stepFunctions };
}

/** The worker length below which Express costs the platform less than Standard (its duration grows, Standard's transitions do not). */
export function breakEvenSeconds(model: CostModel): number {
  const standard = platformCostPerMillion(0, 'standard', model).total;
  const fixed = platformCostPerMillion(0, 'express', model).total;
  const perSecond = (EXPRESS_PRICES.memoryChunkMb / 1024) * EXPRESS_PRICES.perGbSecond * 1_000_000;
  return (standard - fixed) / perSecond;
}

/** The part 5 lines: the side-by-side table, the platform line, the target and the break-even. */
export function workflowCostSection(model: CostModel): string[] {
  const lengths: Array<[string, number]> = [
    ['10 s', 10],
    ['1 min', 60],
  ];
  const rows = lengths.flatMap(([label, seconds]) =>
    (['standard', 'express'] as const).map((workflow) => ({ label, seconds, workflow, cost: platformCostPerMillion(seconds, workflow, model) })),
  );
  const ten = (workflow: Workflow) => rows.find((r) => r.seconds === 10 && r.workflow === workflow)!.cost.total;
  const share = ten('express') / ten('standard');
  const out: string[] = [];
  out.push('### Standard or Express for a short task type');
  out.push('');
  out.push(
    `What the platform adds per task (everything but the worker's own compute, the same on both): the submit, the workflow and its records, the backstop (Standard only) and one read of the outcome — for a worker of one Lambda Task state that succeeds. Express: $${EXPRESS_PRICES.perMillionRequests.toFixed(2)} per million requests + $${EXPRESS_PRICES.perGbSecond} per GB-second, billed in ${EXPRESS_PRICES.billedIncrementMs} ms increments at ${EXPRESS_PRICES.memoryChunkMb} MB (the worker's time plus ${EXPRESS_SHELL_MS} ms of shell); Standard: $${(PRICES.stepFunctionsPerThousandTransitions * 1000).toFixed(0)} per million state transitions (2: the worker's state and RecordSuccess). Following the task while it runs (part 6) is the same on both and not counted here.`,
  );
  out.push('');
  out.push(
    table(
      ['per million tasks of a worker running…', 'workflow', 'API Gateway', 'Lambda (platform)', 'DynamoDB', 'Step Functions', 'platform total'],
      rows.map(({ label, workflow, cost }) => [
        label,
        workflow === 'standard' ? 'Standard' : 'Express',
        usd(cost.apiGateway),
        usd(cost.lambdaRequests + cost.lambdaCompute),
        usd(cost.dynamoDbWrites + cost.dynamoDbReads),
        usd(cost.stepFunctions),
        `**${usd(cost.total)}**`,
      ]),
    ),
  );
  out.push('');
  out.push(
    `- A 10-second task on Express costs the platform **${(100 * share).toFixed(0)} %** of Standard (${usd(ten('express'))} vs ${usd(ten('standard'))} per million; target ≤ ${(100 * EXPRESS_TARGET_SHARE).toFixed(0)} %: ${share <= EXPRESS_TARGET_SHARE ? 'met' : 'not met'}).`,
  );
  out.push(
    `- Express bills the whole run by duration while Standard bills its steps: past **${breakEvenSeconds(model).toFixed(0)} s** of worker time Express costs more (a 1-minute task: ${usd(rows[3]!.cost.total)} vs ${usd(rows[2]!.cost.total)}). \`expressTaskTypes\` is for task types of a few seconds to well under a minute with few states; a long Lambda worker on Standard waits for free.`,
  );
  return out;
}
