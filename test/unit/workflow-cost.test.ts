/**
 * Bench part 5's Standard-or-Express arithmetic (bench/workflow-cost.ts): Express billed by request
 * and 100 ms of 64 MB, Standard by transitions; the platform line leaves out the worker's compute.
 */
import { describe, expect, it } from 'vitest';
import type { CostModel } from '../../bench/cost.ts';
import {
  breakEvenSeconds,
  EXPRESS_PRICES,
  EXPRESS_SHELL_MS,
  EXPRESS_TARGET_SHARE,
  expressExecutionCost,
  platformCostPerMillion,
  platformUsage,
  workflowCostSection,
} from '../../bench/workflow-cost.ts';

const model: CostModel = {
  durationsMs: { 'submit-task': 40, 'get-task': 15, 'reconcile-execution': 20 },
  memoryMb: { 'submit-task': 256, 'get-task': 256, 'reconcile-execution': 256 },
};

describe('Express execution cost', () => {
  it('is $1 per million requests plus the duration rounded up to 100 ms, at 64 MB', () => {
    const ten = expressExecutionCost(10);
    expect(ten.billedMs).toBe(Math.ceil((10_000 + EXPRESS_SHELL_MS) / 100) * 100);
    expect(ten.request * 1e6).toBeCloseTo(1, 10);
    // The published prices (us-east-1): $1.00 per million requests, $0.00001667 per GB-second, 100 ms, 64 MB.
    expect(EXPRESS_PRICES).toMatchObject({ perMillionRequests: 1, perGbSecond: 0.00001667, billedIncrementMs: 100, memoryChunkMb: 64 });
    // 10.1 s × 0.0625 GB × $0.00001667: ≈ $10.52 per million.
    expect(ten.duration * 1e6).toBeCloseTo((ten.billedMs / 1000) * (64 / 1024) * 16.67, 6);
    expect(ten.duration * 1e6).toBeGreaterThan(10.4);
    expect(ten.duration * 1e6).toBeLessThan(10.6);
    // 65 MB is two chunks.
    expect(expressExecutionCost(10, 65).duration).toBeCloseTo(2 * ten.duration, 12);
    expect(expressExecutionCost(60).billedMs).toBe(60_100);
  });
});

describe('platform cost per task', () => {
  it('Standard pays 2 transitions ($50 per million) and the backstop; Express neither', () => {
    const standard = platformCostPerMillion(10, 'standard', model);
    expect(standard.stepFunctions).toBeCloseTo(50, 6);
    expect(platformUsage('standard').invocations['reconcile-execution']).toBe(2);
    expect(platformUsage('express').invocations['reconcile-execution']).toBeUndefined();
    expect(platformUsage('express').transitions).toBe(0);
    const express = platformCostPerMillion(10, 'express', model);
    expect(express.stepFunctions).toBeCloseTo(1 + expressExecutionCost(10).duration * 1e6, 6);
    // Everything else (API Gateway, the submit, the read) is the same.
    expect(express.apiGateway).toBe(standard.apiGateway);
    expect(express.total).toBeCloseTo(
      express.apiGateway + express.lambdaRequests + express.lambdaCompute + express.dynamoDbWrites + express.dynamoDbReads + express.stepFunctions,
      9,
    );
  });

  it('meets the target for a 10-second task (≤ 40 % of Standard) and not for a 1-minute one', () => {
    const share = (s: number) => platformCostPerMillion(s, 'express', model).total / platformCostPerMillion(s, 'standard', model).total;
    expect(share(10)).toBeLessThanOrEqual(EXPRESS_TARGET_SHARE);
    expect(share(60)).toBeGreaterThan(1);
    const even = breakEvenSeconds(model);
    expect(even).toBeGreaterThan(10);
    expect(even).toBeLessThan(60);
    expect(share(even)).toBeCloseTo(1, 1);
  });

  it('prints the side-by-side with both lengths, both workflows and the verdict', () => {
    const text = workflowCostSection(model).join('\n');
    expect(text).toContain('### Standard or Express for a short task type');
    expect(text.match(/^\| (10 s|1 min) \| (Standard|Express) \|/gm)).toHaveLength(4);
    expect(text).toMatch(/A 10-second task on Express costs the platform \*\*\d+ %\*\* of Standard .* target ≤ 40 %: met/);
  });
});
