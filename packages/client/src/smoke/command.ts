/**
 * `longrun smoke`: a short black-box pass over a deployment (or the local stack), plain HTTP only,
 * printed as a pass/fail table (or JSON with `--json`).
 *
 * Exit codes: 0 every check passed (or was skipped), 1 a check failed, 2 usage error.
 * Tasks it creates: two primes, one fail, one sleep (cancelled at once).
 */
import { formatReport, runSmoke } from './run.ts';

/** Where the smoke test goes and who it is. */
export interface SmokeTarget {
  url?: string;
  apiKey?: string;
  token?: string;
}

interface SmokeIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const USAGE = 'usage: longrun smoke --url <api root> (--api-key <key> | --token <jwt>) [--timeout <seconds>] [--json]';

/** Runs the smoke test; resolves with the exit code. */
export async function smokeCommand(target: SmokeTarget, options: { timeout?: string; json?: boolean }, io: SmokeIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`longrun smoke: ${message}\n${USAGE}\n`);
    return 2;
  };
  if (!target.url || !/^https?:\/\//.test(target.url)) return usage('--url must be the API root, e.g. https://…/v1');
  if (!target.apiKey && !target.token) return usage('--api-key or --token is required');
  const timeoutSeconds = Number(options.timeout ?? '120');
  if (!(timeoutSeconds > 0)) return usage(`--timeout must be a positive number of seconds, got ${options.timeout}`);
  const report = await runSmoke({ url: target.url, apiKey: target.apiKey, token: target.token, timeoutSeconds });
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
