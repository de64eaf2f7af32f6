/**
 * Part 5, continued: what steering and finding tasks cost per million tasks that use them
 * (deadlines, compensation, events before the outcome, filtered listings), and the alternative the
 * deadline mechanism was chosen against. Pure arithmetic over the published prices and the
 * counts each mechanism makes by construction (the writes and transitions its code makes).
 */
import { type CostModel, costPerMillion, PRICES, RRU_PER_GET, rruPerQuery, WRU_FAILED_WRITE, WRU_TASK_WRITE } from './cost.ts';

/** EventBridge Scheduler, per million invocations (us-east-1, after the 14 million free each month). */
const SCHEDULER_PER_MILLION = 1.0;
/** EventBridge custom events (PutEvents), per million. */
const EVENTS_PER_MILLION = 1.0;
/** Transitions a Parallel "race" of the worker and a Wait until the deadline adds to every task: the Parallel, the timer branch's state, the short-circuit Fail, the state after its Catch. */
const RACE_TRANSITIONS = 4;
/** Index pages a filtered listing reads at most per call (`queryByOwner`). */
const MAX_LIST_PAGES = 5;

const usd = (v: number) => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(3)}`);

export function steeringCostSection(model: CostModel): string[] {
  const M = 1_000_000;
  // Deadline by schedule: one Scheduler invocation, one expire-task invocation, one conditional write
  // (a failed condition when the task ended first; a changing write when it expires).
  const expire = (changed: boolean) =>
    costPerMillion(
      { apiRequests: 0, invocations: { 'expire-task': 1 }, wru: changed ? WRU_TASK_WRITE : WRU_FAILED_WRITE, rru: 0, transitions: 0 },
      { ...model, durationsMs: { ...model.durationsMs, 'expire-task': model.durationsMs['reconcile-execution'] ?? 10 } },
    ).total + SCHEDULER_PER_MILLION;
  const race = (RACE_TRANSITIONS * PRICES.stepFunctionsPerThousandTransitions * M) / 1000;
  // Compensation: the claim and the record (2 writes), the chain (1 Pass in the demo) and the record step: 2 transitions.
  const compensation = costPerMillion({ apiRequests: 0, invocations: {}, wru: 2 * WRU_TASK_WRITE, rru: 0, transitions: 2 }, model).total;
  // One webhook event before the outcome: the forwarder and the delivery invocations (one each), the
  // strongly consistent read, the progress slot (1 WRU, nothing projected moves) and the callback record.
  const event = costPerMillion(
    { apiRequests: 0, invocations: { 'forward-terminal': 1, 'deliver-webhook': 1 }, wru: 1 + WRU_TASK_WRITE, rru: 2 * RRU_PER_GET, transitions: 0 },
    model,
  ).total;
  const listPage = costPerMillion({ apiRequests: 1, invocations: { 'list-tasks': 1 }, wru: 0, rru: rruPerQuery(20), transitions: 0 }, model).total;
  const listWorst = costPerMillion(
    { apiRequests: 1, invocations: { 'list-tasks': 1 }, wru: 0, rru: MAX_LIST_PAGES * rruPerQuery(20), transitions: 0 },
    model,
  ).total;
  const rows: Array<[string, string, string]> = [
    [
      '`Cancel-After`: a one-time EventBridge Scheduler schedule per attempt (chosen)',
      `${usd(expire(false))} (task ended first) – ${usd(expire(true))} (it expires)`,
      'only tasks with a deadline: the schedule, one expire-task invocation, one conditional write',
    ],
    [
      '`Cancel-After`: a Parallel race of the worker and a Wait in the workflow (not chosen)',
      usd(race),
      `every task, deadline or not: ${RACE_TRANSITIONS} more state transitions`,
    ],
    ['compensation of a cancelled task', usd(compensation), 'the claim and the record (2 writes), 2 transitions of the demo chain'],
    [
      'one `task.progress` / `task.running` / `task.input_required` webhook',
      usd(event),
      'forward + delivery invocations, 2 reads, the progress slot and the callback record (and the POST)',
    ],
    [
      'one such event on the bus',
      usd(EVENTS_PER_MILLION),
      'PutEvents; the publisher reads writes of running tasks now (its invocations are batched)',
    ],
    [
      'a filtered listing call (limit 20)',
      `${usd(listPage)} – ${usd(listWorst)}`,
      `one index page when the filter matches, at most ${MAX_LIST_PAGES} when it does not (time filters are key bounds: free)`,
    ],
  ];
  return [
    'What steering and finding cost (per million tasks, or calls, that use them; prices above, plus EventBridge Scheduler $1/M invocations and EventBridge $1/M custom events):',
    '',
    '| what | per million | what is counted |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `The deadline mechanism: the race would cost every task ${usd(race)} per million, deadline or not (the state machine is one for all tasks), about as much as the whole load-test mix again; the schedule costs about ${usd(expire(true))} per million tasks that have a deadline, and nothing otherwise (docs/steering.md#deadlines). History entries add no write (they ride on the transition's own write), only item size; retry is a new task's cost again.`,
    '',
  ];
}
