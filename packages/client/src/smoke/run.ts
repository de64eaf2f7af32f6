/**
 * Runs the smoke checks against one deployment, within a time bound, and renders the table.
 * `longrun smoke` (./command.ts) --> runSmoke --> CHECKS (over Probe, plain HTTP)
 */
import { CHECKS, type Check, type SmokeContext } from './checks.ts';
import { Probe, SmokeFailure } from './probe.ts';

/** One check's row of the report. */
export interface SmokeRow {
  /** What the check proves, e.g. `submit primes: 202 + Location`. */
  name: string;
  /** `SKIP`: the deployment lacks the task types the check needs (or a check it builds on failed). */
  status: 'PASS' | 'FAIL' | 'SKIP';
  /** How long it took. */
  ms: number;
  /** What it saw, or why it failed. */
  detail: string;
}

/** The outcome of a smoke run. */
export interface SmokeReport {
  /** The API root tested. */
  url: string;
  /** True when no check failed. */
  ok: boolean;
  /** One row per check, in order. */
  rows: SmokeRow[];
  /** How long the whole run took. */
  ms: number;
}

/** What to smoke test, and how. */
export interface SmokeOptions {
  /** The API root with its stage, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`. */
  url: string;
  /** Sent as `x-api-key`. */
  apiKey?: string;
  /** Sent as a bearer token (JWT deployments). */
  token?: string;
  /** Bound on the whole run, in seconds; checks left fail as "timed out". @default 120 */
  timeoutSeconds?: number;
  /** @internal The checks to run (tests). @default CHECKS */
  checks?: readonly Check[];
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

function describeError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timed out (--timeout)';
  if (err instanceof SmokeFailure) return err.message;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  // fetch failures carry the reason (ECONNREFUSED, ENOTFOUND, …) in `cause`.
  return `${e?.message ?? String(err)}${e?.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
}

/**
 * A short black-box pass over a deployment, plain HTTP only: authentication, validation, the task
 * lifecycle of the demo types (skipped where the deployment lacks them), problem details, 404s.
 *
 * @example
 * ```ts
 * const report = await runSmoke({ url: 'https://api.example.com/v1', apiKey: process.env.LONGRUN_API_KEY });
 * process.stdout.write(formatReport(report));
 * ```
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const started = Date.now();
  const signal = AbortSignal.timeout((options.timeoutSeconds ?? 120) * 1000);
  const probe = new Probe({ url: options.url, apiKey: options.apiKey, token: options.token, signal, fetch: options.fetch });
  const ctx: SmokeContext = { openTasks: new Set() };
  const rows: SmokeRow[] = [];
  for (const check of options.checks ?? CHECKS) {
    const t0 = Date.now();
    const row = (status: SmokeRow['status'], detail: string): number => rows.push({ name: check.name, status, ms: Date.now() - t0, detail });
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

/** The report as the table `longrun smoke` prints. */
export function formatReport(report: SmokeReport): string {
  const width = Math.max(...report.rows.map((r) => r.name.length));
  const count = (s: SmokeRow['status']): number => report.rows.filter((r) => r.status === s).length;
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
