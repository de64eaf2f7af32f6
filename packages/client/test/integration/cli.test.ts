/** The `longrun` CLI as a child process (the built bin of @longrun/client) against the local stack. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const LONGRUN = join(ROOT, 'packages', 'client', 'dist', 'bin', 'longrun.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `longrun <args>` with --url/--api-key of the local stack. `whenStderr` lets a test act on output (send SIGINT). */
function longrun(
  args: string[],
  options: { global?: boolean; whenStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void } = {},
): Promise<Run> {
  const stack = inject('localStack');
  const global = options.global === false ? [] : ['--url', stack.baseUrl, '--api-key', stack.apiKeys[0]!];
  const child = spawn(join(BIN, 'node'), [LONGRUN, ...args, ...global], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, LONGRUN_URL: '', LONGRUN_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.whenStderr?.(stderr, (signal) => child.kill(signal));
  });
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`longrun ${args.join(' ')} did not exit\n${stderr}`));
    }, 40_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // let the pipes drain
      setImmediate(() => res({ code, signal, stdout, stderr }));
    });
  });
}

const json = (run: Run) => JSON.parse(run.stdout);

describe.concurrent('longrun CLI', () => {
  it('submit --wait: progress lines on stderr (not a TTY), the succeeded task on stdout, exit 0', async () => {
    const run = await longrun(['submit', 'primes', '{"upTo":2000000}', '--wait', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const task = json(run);
    expect(task).toMatchObject({ type: 'primes', status: 'succeeded', progress: { percent: 100 } });
    expect(run.stderr).toMatch(/succeeded 100%/);
    expect(run.stderr).not.toContain('\r'); // no live bar without a TTY

    const status = await longrun(['status', task.id, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(json(status)).toMatchObject({ id: task.id, status: 'succeeded' });

    const result = await longrun(['result', task.id, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(json(result)).toEqual({ count: 148_933 });

    const human = await longrun(['status', task.id]);
    expect(human.stdout).toMatch(/status:\s+succeeded/);
  });

  it('submit --wait of a failing task exits 1', async () => {
    const run = await longrun(['submit', 'fail', '{"message":"cli failure"}', '--wait', '--json']);
    expect(run.code, run.stderr).toBe(1);
    expect(json(run)).toMatchObject({ status: 'failed', error: { detail: 'cli failure' } });
  });

  it('cancel: exit 0 with the cancelled task; waiting on a cancelled task exits 1', async () => {
    const submitted = await longrun(['submit', 'sleep', '{"seconds":3600}', '--json', '--idempotency-key', `cli-${Date.now()}-${Math.random()}`]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const { id } = json(submitted);
    const cancelled = await longrun(['cancel', id, '--json']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled)).toMatchObject({ id, status: 'cancelled' });
    const waited = await longrun(['wait', id, '--json']);
    expect(waited.code).toBe(1); // cancelled
  });

  it('list --status --limit', async () => {
    const run = await longrun(['list', '--status', 'succeeded', '--limit', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const page = json(run);
    expect(page.items.length).toBeLessThanOrEqual(2);
    for (const t of page.items) expect(t.status).toBe('succeeded');
    const human = await longrun(['list', '--limit', '1']);
    expect(human.code).toBe(0);
  });

  it('API errors exit 3 and print the problem title and detail', async () => {
    const run = await longrun(['status', 'no-such-task']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/404 Not Found: No such task/);
    const invalid = await longrun(['submit', 'primes', '{"upTo":1}']);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toContain('/input/upTo');
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['submit', 'primes'],
      ['submit', 'primes', '{not json'],
      ['list', '--limit', 'many'],
      ['status', 'x', '--wait'],
      [],
    ]) {
      const run = await longrun(args);
      expect(run.code, `longrun ${args.join(' ')}`).toBe(2);
      expect(run.stderr).toContain('usage: longrun');
    }
  });

  it('Ctrl-C stops waiting (exit 130), leaves the task running and says how to cancel it', async () => {
    const submitted = await longrun(['submit', 'sleep', '{"seconds":3600}', '--json']);
    const { id } = json(submitted);
    let sent = false;
    const run = await longrun(['wait', id], {
      whenStderr: (text, kill) => {
        if (!sent && /pending|running/.test(text)) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain(`longrun cancel ${id}`);
    const status = await longrun(['status', id, '--json']);
    expect(json(status).status).not.toBe('cancelled');
    await longrun(['cancel', id]);
  });

  it('retry, history, input and purge; list filters; submit options', async () => {
    const submitted = await longrun(['submit', 'flaky', '{"failures":1}', '--wait', '--json', '--metadata', 'suite=cli', '--cancel-after', '15s']);
    expect(submitted.code).toBe(1);
    const id = JSON.parse(submitted.stdout).id as string;
    const retried = await longrun(['retry', id, '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id, attempt: 2 });
    expect((await longrun(['wait', id])).code).toBe(0);
    const history = await longrun(['history', id]);
    expect(history.stdout).toMatch(/retried/);
    expect(history.stdout).toMatch(/#2 +succeeded/);
    const listed = await longrun(['list', '--metadata', 'suite=cli', '--type', 'flaky', '--json']);
    expect(JSON.parse(listed.stdout).items.map((t: { id: string }) => t.id)).toContain(id);

    const approval = JSON.parse((await longrun(['submit', 'approval', '{"question":"ok?"}', '--json'])).stdout);
    let status = JSON.parse((await longrun(['status', approval.id, '--json'])).stdout);
    for (let i = 0; i < 50 && !status.awaitingInput; i++) status = JSON.parse((await longrun(['status', approval.id, '--json'])).stdout);
    expect((await longrun(['status', approval.id])).stdout).toMatch(/awaiting: +approval \(ok\?\)/);
    const sent = await longrun(['input', '--capability-url', status.awaitingInput.url, '{"approved":true}'], { global: false });
    expect(sent.code).toBe(0);
    expect((await longrun(['wait', approval.id])).code).toBe(0);

    const quick = await longrun(['submit', 'primes', '{"upTo":100}', '--prefer-wait', '10', '--json']);
    expect(JSON.parse(quick.stdout)).toMatchObject({ status: 'succeeded', result: { count: 25 } });
    const purged = await longrun(['cancel', id, '--purge']);
    expect(purged.code).toBe(0);
    const gone = await longrun(['status', id]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/410/);
  });
});
