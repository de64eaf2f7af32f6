/**
 * Runs the smoke checks against one deployment, within a time bound, and renders the table.
 * bin/smoke.ts --> runSmoke --> CHECKS (over Probe, plain HTTP)
 */
import { CHECKS, type Check, type SmokeContext } from './checks.ts';
import { Probe, SmokeFailure } from './probe.ts';

type RowStatus = 'PASS' | 'FAIL' | 'SKIP';

interface SmokeRow {
  name: string;
  status: RowStatus;
  ms: number;
  detail: string;
}

export interface SmokeReport {
  url: string;
  ok: boolean;
  rows: SmokeRow[];
  ms: number;
}

export interface SmokeOptions {
  url: string;
  apiKey?: string;
  token?: string;
  /** Bound on the whole run. @default 120 */
  timeoutSeconds?: number;
  checks?: readonly Check[];
  fetch?: typeof fetch;
}

function describeError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timed out (--timeout)';
  if (err instanceof SmokeFailure) return err.message;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  // fetch failures carry the reason (ECONNREFUSED, ENOTFOUND, …) in `cause`.
  return `${e?.message ?? String(err)}${e?.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const started = Date.now();
  const signal = AbortSignal.timeout((options.timeoutSeconds ?? 120) * 1000);
  const probe = new Probe({ url: options.url, apiKey: options.apiKey, token: options.token, signal, fetch: options.fetch });
  const ctx: SmokeContext = { openTasks: new Set() };
  const rows: SmokeRow[] = [];
  for (const check of options.checks ?? CHECKS) {
    const t0 = Date.now();
    const row = (status: RowStatus, detail: string): number => rows.push({ name: check.name, status, ms: Date.now() - t0, detail });
    const missing = (check.needs ?? []).filter((type) => ctx.taskTypes && !ctx.taskTypes.has(type));
    if (missing.length > 0) {
      row('SKIP', `task type ${missing.join(', ')} not deployed`);
      continue;
    }
    const before = check.after ? rows.find((r) => r.name === check.after) : undefined;
    if (before && before.status !== 'PASS') {
      row(before.status === 'SKIP' ? 'SKIP' : 'FAIL', `needs "${check.after}"`);
      continue;
    }
    if (signal.aborted) {
      row('FAIL', 'timed out (--timeout)');
      continue;
    }
    try {
      row('PASS', await check.run(probe, ctx));
    } catch (err) {
      row('FAIL', describeError(err, signal));
    }
  }
  await cancelLeftovers(options, ctx);
  return { url: options.url, ok: rows.every((r) => r.status !== 'FAIL'), rows, ms: Date.now() - started };
}

/** Cancels tasks a failed or timed-out check left running (best effort, 5 s). */
async function cancelLeftovers(options: SmokeOptions, ctx: SmokeContext): Promise<void> {
  if (ctx.openTasks.size === 0) return;
  const probe = new Probe({ ...options, signal: AbortSignal.timeout(5_000) });
  await Promise.allSettled([...ctx.openTasks].map((location) => probe.request('DELETE', location)));
}

export function formatReport(report: SmokeReport): string {
  const width = Math.max(...report.rows.map((r) => r.name.length));
  const count = (s: RowStatus): number => report.rows.filter((r) => r.status === s).length;
  const lines = report.rows.map((r) => `  ${r.status}  ${r.name.padEnd(width)}  ${`${r.ms} ms`.padStart(8)}  ${r.detail}`);
  return [
    `Longrun smoke test: ${report.url}`,
    '',
    ...lines,
    '',
    `${report.rows.length} checks: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped in ${(report.ms / 1000).toFixed(1)} s`,
    report.ok ? 'OK' : 'FAILED',
    '',
  ].join('\n');
}
