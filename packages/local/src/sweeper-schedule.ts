/**
 * Runs the template's scheduled rules locally, as EventBridge would: every `AWS::Events::Rule`
 * with a `rate(...)` ScheduleExpression invokes its Lambda targets on that period (or on
 * `intervalSecondsOverride`, e.g. `LONGRUN_SWEEP_INTERVAL_SECONDS`). One run at a time per rule:
 * a run still going when the next is due is not doubled (the sweeper is safe to overlap, but on
 * one small machine overlapping runs would only compete).
 */
import { randomUUID } from 'node:crypto';
import type { LocalLambda } from './functions/local-lambda.ts';
import { type CfnTemplate, functionBehind } from './template.ts';

export interface ScheduledTarget {
  ruleLogicalId: string;
  functionLogicalId: string;
  periodSeconds: number;
}

const UNIT_SECONDS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

/** Every Lambda target of a `rate(...)` rule in the template. */
export function findScheduledTargets(template: CfnTemplate): ScheduledTarget[] {
  const out: ScheduledTarget[] = [];
  for (const [ruleId, rule] of Object.entries(template.Resources ?? {})) {
    if (rule.Type !== 'AWS::Events::Rule') continue;
    const match = /^rate\((\d+) (\w+)\)$/.exec(String(rule.Properties?.ScheduleExpression ?? ''));
    if (!match) continue;
    const periodSeconds = Number(match[1]) * (UNIT_SECONDS[match[2]!] ?? Number.NaN);
    if (!Number.isFinite(periodSeconds)) throw new Error(`${ruleId}: unsupported schedule ${rule.Properties?.ScheduleExpression}`);
    for (const target of (rule.Properties?.Targets ?? []) as Array<Record<string, unknown>>) {
      const id = functionBehind(template, target.Arn);
      if (id) out.push({ ruleLogicalId: ruleId, functionLogicalId: id, periodSeconds });
    }
  }
  return out;
}

export interface LocalSchedule {
  /** Scheduled invocations made so far. */
  readonly runs: number;
  stop(): Promise<void>;
}

export function startSchedules(options: {
  targets: ScheduledTarget[];
  resolveFunction: (logicalId: string) => LocalLambda | undefined;
  intervalSecondsOverride?: number;
  account: string;
  region: string;
  log: (line: string) => void;
}): LocalSchedule {
  const timers: NodeJS.Timeout[] = [];
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  let runs = 0;

  const fire = (target: ScheduledTarget): Promise<void> => {
    const key = `${target.ruleLogicalId}/${target.functionLogicalId}`;
    const current = running.get(key);
    if (current) return current;
    const fn = options.resolveFunction(target.functionLogicalId);
    if (!fn || stopped) return Promise.resolve();
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: options.account,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: options.region,
      resources: [`arn:aws:events:${options.region}:${options.account}:rule/${target.ruleLogicalId}`],
      detail: {},
    };
    runs++;
    const run = fn
      .invoke(event, { logStream: 'local/schedule', whenThrottled: 'wait' })
      .then(() => undefined)
      .catch((err: unknown) => options.log(`[schedule] ${fn.functionName} failed: ${(err as Error)?.stack ?? err}`))
      .finally(() => running.delete(key));
    running.set(key, run);
    return run;
  };

  for (const target of options.targets) {
    const seconds = options.intervalSecondsOverride ?? target.periodSeconds;
    const timer = setInterval(() => void fire(target), seconds * 1000);
    timer.unref();
    timers.push(timer);
  }
  return {
    get runs() {
      return runs;
    },
    stop: async () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([...running.values()]);
    },
  };
}
