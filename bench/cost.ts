/**
 * Part 5: cost per million tasks, from the counts measured in parts 1, 2 and 4 and published
 * us-east-1 prices. Pure arithmetic: every input is passed in and printed as an assumption.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { retryAfterSeconds } from '../lambdas/domain/representation.ts';
import type { TaskRecord } from '../lambdas/domain/task.ts';
import { LongrunStack } from '../lib/demo/longrun-stack.ts';

export const PRICES = {
  asOf: '2025 (us-east-1 list prices; DynamoDB on-demand after the 1 Nov 2024 price cut); free tiers ignored',
  apiGatewayRestPerMillion: 3.5,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoDbPerMillionWru: 0.625,
  dynamoDbPerMillionRru: 0.125,
  stepFunctionsPerThousandTransitions: 0.025,
  /** API Gateway WebSocket APIs: messages (sent and received, per 32 KB), first billion a month. */
  apiGatewayWebSocketPerMillionMessages: 1.0,
  /** API Gateway WebSocket APIs: connection time, per million connection-minutes. */
  apiGatewayWebSocketPerMillionConnectionMinutes: 0.25,
} as const;

let sizes: { api: number; countPrimes: number; reconcile: number } | undefined;

/** Memory sizes, read from the demo stack's synthesized template so they cannot drift silently. */
export function memorySizes(): { api: number; countPrimes: number; reconcile: number } {
  if (sizes) return sizes;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const resources = Object.entries(Template.fromStack(new LongrunStack(app, 'Bench')).findResources('AWS::Lambda::Function'));
  const memoryOf = (matches: (id: string, metadata: Record<string, unknown> | undefined) => boolean): number => {
    const found = resources.find(([id, r]) => matches(id, r.Metadata));
    if (!found) throw new Error('bench/cost.ts: a function the cost model prices is missing from the template');
    return Number(found[1].Properties.MemorySize ?? 128);
  };
  sizes = {
    api: memoryOf((_, m) => m?.['Longrun:Function'] === 'list-tasks'),
    countPrimes: memoryOf((id) => id.startsWith('DemoWorkerCountPrimesFunction')),
    reconcile: memoryOf((_, m) => m?.['Longrun:Function'] === 'reconcile-execution'),
  };
  return sizes;
}

export interface Usage {
  apiRequests: number;
  /** Lambda invocations by function name. */
  invocations: Record<string, number>;
  wru: number;
  rru: number;
  transitions: number;
}

export interface CostBreakdown {
  apiGateway: number;
  lambdaRequests: number;
  lambdaCompute: number;
  dynamoDbWrites: number;
  dynamoDbReads: number;
  stepFunctions: number;
  total: number;
}

export interface CostModel {
  /** Billed duration per invocation (ms, rounded up to 1 ms) by function name. */
  durationsMs: Record<string, number>;
  memoryMb: Record<string, number>;
}

/** Cost of `usage` (per task), times one million. */
export function costPerMillion(usage: Usage, model: CostModel): CostBreakdown {
  const M = 1_000_000;
  let gbSeconds = 0;
  let requests = 0;
  for (const [fn, n] of Object.entries(usage.invocations)) {
    requests += n;
    gbSeconds += n * (Math.ceil(model.durationsMs[fn] ?? 0) / 1000) * ((model.memoryMb[fn] ?? 256) / 1024);
  }
  const b = {
    apiGateway: usage.apiRequests * PRICES.apiGatewayRestPerMillion,
    lambdaRequests: requests * PRICES.lambdaPerMillionRequests,
    lambdaCompute: gbSeconds * PRICES.lambdaPerGbSecondArm * M,
    dynamoDbWrites: usage.wru * PRICES.dynamoDbPerMillionWru,
    dynamoDbReads: usage.rru * PRICES.dynamoDbPerMillionRru,
    stepFunctions: (usage.transitions * PRICES.stepFunctionsPerThousandTransitions * M) / 1000,
  };
  return { ...b, total: Object.values(b).reduce((a, v) => a + v, 0) };
}

/** Capacity units: an eventually consistent GetItem of an item ≤ 4 KB is 0.5 RRU. */
export const RRU_PER_GET = 0.5;
/** A Query of `limit` items of ~1 KB: ceil(limit KB / 4 KB) × 0.5 RRU. */
export const rruPerQuery = (limit: number, itemKb = 1): number => Math.ceil((limit * itemKb) / 4) * 0.5;
/** A write that changes a task item: 1 WRU on the table + 1 on the `tasksByOwner` index (which projects progress too). */
export const WRU_TASK_WRITE = 2;
/** A write whose condition fails still consumes 1 WRU (nothing reaches the index). */
export const WRU_FAILED_WRITE = 1;

/**
 * Polls of a client that honours `Retry-After` as the status handler computes it, for a task that
 * runs `seconds` (no progress reports, or linear progress), vs one polling every second.
 */
export function modelledPolls(seconds: number, withProgress: boolean): number {
  const created = Date.parse('2025-01-01T00:00:00.000Z');
  const id = '00000000-0000-7000-8000-000000000000';
  let t = 0;
  let polls = 0;
  const taskAt = (now: number): TaskRecord =>
    ({
      id,
      owner: 'm',
      type: 'x',
      status: 'running',
      input: '{}',
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(created + now * 1000).toISOString(),
      startedAt: new Date(created).toISOString(),
      progress: { percent: withProgress ? Math.min(99, Math.floor((now / seconds) * 100)) : 0 },
      ttl: 0,
    }) as unknown as TaskRecord;
  let wait = retryAfterSeconds(taskAt(0), created) ?? 1;
  while (t < seconds) {
    t += wait;
    polls++;
    if (t >= seconds) break;
    wait = retryAfterSeconds(taskAt(t), created + t * 1000) ?? 1;
  }
  return polls;
}

/** Inputs of the sweeper's cost: deployment defaults plus what the fault run measured. */
export interface SweeperUsage {
  /** Steady submit rate assumed for the deployment (the sweeper's runs are fixed per hour, so their cost per task falls as the rate rises). */
  tasksPerSecond: number;
  intervalSeconds: number;
  /** DescribeExecution calls per task (measured). */
  describesPerTask: number;
  /** Index Queries per run: one per shard when nothing is due (measured, at least the shard count). */
  queriesPerRun: number;
  /** Billed duration of one run, ms, and its memory. */
  runMs: number;
  memoryMb: number;
}

/**
 * The sweeper's cost per million tasks. Index writes: each task enters the open-task index at
 * submit, is updated when it starts running (status is projected) and leaves it at its terminal
 * write: 3 WRU (projected items are < 1 KB). Runs: Lambda requests and compute, plus their index
 * Queries (0.5 RRU each when nothing is due). DescribeExecution is not billed (Step Functions
 * bills state transitions), only throttled: its count is reported, at $0.
 */
export function sweeperCostPerMillion(u: SweeperUsage) {
  const M = 1_000_000;
  const runs = M / u.tasksPerSecond / u.intervalSeconds;
  const indexWrites = 3 * M * (PRICES.dynamoDbPerMillionWru / M);
  const invocations = runs * (PRICES.lambdaPerMillionRequests / M + (Math.ceil(u.runMs) / 1000) * (u.memoryMb / 1024) * PRICES.lambdaPerGbSecondArm);
  const indexReads = runs * u.queriesPerRun * 0.5 * (PRICES.dynamoDbPerMillionRru / M);
  return { runs, indexWrites, invocations, indexReads, describes: u.describesPerTask * M, total: indexWrites + invocations + indexReads };
}
