/**
 * The `longrun` command line (the `longrun` bin, src/bin/longrun.ts).
 *
 *   longrun submit <type> '<json input>' [--wait] [--idempotency-key k] [--callback-url u] [--callback-events e,…]
 *                  [--metadata k=v …] [--cancel-after d] [--prefer-wait s]
 *   longrun status <id>
 *   longrun result <id>
 *   longrun cancel <id> [--purge]
 *   longrun retry <id>
 *   longrun input <id> '<json input>'    (or: longrun input --capability-url <url> '<json input>')
 *   longrun history <id>
 *   longrun list [--status s] [--type t] [--metadata k=v …] [--created-after t] [--created-before t] [--limit n] [--cursor c]
 *   longrun wait <id> [--timeout seconds] [--transport t]
 *   longrun watch <id> [--timeout seconds] [--transport t]   every change on stdout, live (NDJSON with --json)
 *   longrun webhook-secret [--rotate]
 *   longrun smoke [--timeout s]          a black-box pass over a deployment (src/smoke/)
 *
 * Global: --url (default $LONGRUN_URL or http://127.0.0.1:3000/v1), --api-key (default
 * $LONGRUN_API_KEY), --token (default $LONGRUN_TOKEN), --json (machine output on stdout).
 *
 * Exit codes: 0 ok / task succeeded; 1 task failed or cancelled (submit --wait, wait); 2 usage
 * error; 3 API error (the problem's title and detail are printed) or API unreachable;
 * 4 wait timed out; 130 interrupted (Ctrl-C stops waiting, not the task).
 */
import { parseArgs } from 'node:util';
import { type CliStreams, Output, ProgressView } from './cli-output.ts';
import { LongrunClient } from './client.ts';
import { AbortError, LongrunError, NetworkError, ProblemError, TimeoutError, ValidationError } from './errors.ts';
import type { WatchTransport } from './options.ts';
import { smokeCommand } from './smoke/command.ts';
import { type CallbackEventKind, isTerminal, TASK_STATUSES, type Task, type TaskStatus } from './types.ts';

export const EXIT = { ok: 0, taskFailed: 1, usage: 2, api: 3, timeout: 4, interrupted: 130 } as const;
const DEFAULT_URL = 'http://127.0.0.1:3000/v1';

const USAGE = `usage: longrun <command> [options]

commands:
  submit <type> '<json input>' [--wait] [--idempotency-key k] [--callback-url url] [--callback-events e,...]
         [--metadata key=value ...] [--cancel-after 5m] [--prefer-wait seconds]
  status <id>                 status and progress of a task
  result <id>                 the result of a succeeded task
  cancel <id> [--purge]       cancel a pending or running task (--purge: erase its data now)
  retry <id>                  run a failed or cancelled task again
  input <id> '<json input>'   send the input the task waits for (--capability-url url instead of <id>: no API key)
  history <id>                what happened to the task
  list [--status s] [--type t] [--metadata key=value ...] [--created-after time] [--created-before time] [--limit n] [--cursor c]
  wait <id> [--timeout s]     wait until the task finishes, showing progress
  watch <id> [--timeout s]    print every change of the task until it finishes (one JSON line each with --json)
  webhook-secret [--rotate]   the secret that signs your webhooks (--rotate: a new one; the old one signs 24 h more)
  smoke [--timeout s]         a short black-box pass over a deployment: a pass/fail table, exit 1 if a check fails

options:
  --url <url>        API root (default: $LONGRUN_URL or ${DEFAULT_URL})
  --api-key <key>    x-api-key (default: $LONGRUN_API_KEY)
  --token <jwt>      bearer token instead of an API key (default: $LONGRUN_TOKEN)
  --json             machine-readable output on stdout
  --transport <t>    how wait, watch and submit --wait follow a task: auto (default: live channel, else
                     event stream, else long poll, else polling), live, events, long-poll or poll
  -h, --help         this help

exit codes: 0 ok/succeeded, 1 task failed/cancelled, 2 usage error, 3 API error, 4 wait timed out, 130 interrupted`;

export interface CliIo extends CliStreams {
  env: Record<string, string | undefined>;
  /** Fires on Ctrl-C: stops a wait (not the task) and any request in flight. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

class UsageError extends Error {}

const OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  wait: { type: 'boolean', default: false },
  'idempotency-key': { type: 'string' },
  'callback-url': { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  timeout: { type: 'string' },
  transport: { type: 'string' },
  rotate: { type: 'boolean', default: false },
  'callback-events': { type: 'string' },
  metadata: { type: 'string', multiple: true },
  'cancel-after': { type: 'string' },
  'prefer-wait': { type: 'string' },
  purge: { type: 'boolean', default: false },
  'capability-url': { type: 'string' },
  type: { type: 'string' },
  'created-after': { type: 'string' },
  'created-before': { type: 'string' },
} as const;

const TRANSPORTS: readonly WatchTransport[] = ['auto', 'live', 'events', 'long-poll', 'poll'];

/** Options each command accepts besides the global ones. */
const COMMANDS: Record<string, { args: string[]; options: (keyof typeof OPTIONS)[] }> = {
  submit: {
    args: ['type', 'json input'],
    options: ['wait', 'idempotency-key', 'callback-url', 'timeout', 'transport', 'callback-events', 'metadata', 'cancel-after', 'prefer-wait'],
  },
  status: { args: ['id'], options: [] },
  result: { args: ['id'], options: [] },
  cancel: { args: ['id'], options: ['purge'] },
  retry: { args: ['id'], options: [] },
  input: { args: ['id', 'json input'], options: ['capability-url'] },
  history: { args: ['id'], options: [] },
  list: { args: [], options: ['status', 'type', 'metadata', 'created-after', 'created-before', 'limit', 'cursor'] },
  wait: { args: ['id'], options: ['timeout', 'transport'] },
  watch: { args: ['id'], options: ['timeout', 'transport'] },
  'webhook-secret': { args: [], options: ['rotate'] },
};
const GLOBAL: (keyof typeof OPTIONS)[] = ['url', 'api-key', 'token', 'json', 'help'];

const parseCommandLine = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });

/** Runs the CLI; resolves with the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (!command) return usage(io, 'no command given');
  if (command === 'smoke') {
    const extra = (Object.keys(values) as (keyof typeof OPTIONS)[]).find(
      (name) => values[name] !== undefined && values[name] !== false && !['url', 'api-key', 'token', 'json', 'timeout'].includes(name),
    );
    if (extra) return usage(io, `--${extra} does not apply to smoke`);
    if (args.length > 0) return usage(io, 'smoke takes no arguments');
    return smokeCommand(
      { url: values.url ?? io.env.LONGRUN_URL, apiKey: values['api-key'] ?? io.env.LONGRUN_API_KEY, token: values.token ?? io.env.LONGRUN_TOKEN },
      { timeout: values.timeout, json: values.json },
      io,
    );
  }
  const spec = COMMANDS[command];
  if (!spec) return usage(io, `unknown command "${command}"`);
  for (const name of Object.keys(values) as (keyof typeof OPTIONS)[]) {
    const given = values[name] !== undefined && values[name] !== false;
    if (given && !GLOBAL.includes(name) && !spec.options.includes(name)) return usage(io, `--${name} does not apply to ${command}`);
  }
  // `input --capability-url <url> '<json>'`: the URL stands for the id.
  const wanted = command === 'input' && values['capability-url'] !== undefined ? spec.args.slice(1) : spec.args;
  if (args.length !== wanted.length) {
    return usage(io, `${command} takes ${wanted.length ? wanted.map((a) => `<${a}>`).join(' ') : 'no arguments'}; got ${args.length}`);
  }
  if (command === 'submit' && values.timeout !== undefined && !values.wait) return usage(io, '--timeout needs --wait');
  if (command === 'submit' && values.transport !== undefined && !values.wait) return usage(io, '--transport needs --wait');
  if (values.transport !== undefined && !(TRANSPORTS as readonly string[]).includes(values.transport)) {
    return usage(io, `--transport must be one of ${TRANSPORTS.join(', ')}`);
  }
  const transport = values.transport as WatchTransport | undefined;

  // An empty LONGRUN_URL is no URL: the default (a capability URL needs none at all).
  const baseUrl = values.url ?? (io.env.LONGRUN_URL || DEFAULT_URL);
  try {
    new URL(baseUrl);
  } catch {
    return usage(io, `--url: not a URL: ${baseUrl}`);
  }
  const client = new LongrunClient({
    baseUrl,
    apiKey: values['api-key'] ?? io.env.LONGRUN_API_KEY,
    token: values.token ?? io.env.LONGRUN_TOKEN,
    ...(io.fetch && { fetch: io.fetch }),
  });
  const out = new Output(io, values.json);
  const signal = io.signal;

  try {
    switch (command) {
      case 'submit': {
        const [type, inputText] = args as [string, string];
        let input: unknown;
        try {
          input = JSON.parse(inputText);
        } catch (err) {
          throw new UsageError(`<json input> is not valid JSON: ${(err as Error).message}`);
        }
        const timeoutMs = seconds(values.timeout, '--timeout');
        const preferWait = seconds(values['prefer-wait'], '--prefer-wait');
        const task = await client.submit(type, input as Record<string, unknown>, {
          ...(values['idempotency-key'] !== undefined && { idempotencyKey: values['idempotency-key'] }),
          ...(values['callback-url'] !== undefined && { callbackUrl: values['callback-url'] }),
          ...(values['callback-events'] !== undefined && {
            callbackEvents: values['callback-events'].split(',').map((e) => e.trim()) as CallbackEventKind[],
          }),
          ...(values.metadata !== undefined && { metadata: pairs(values.metadata) }),
          ...(values['cancel-after'] !== undefined && { cancelAfter: values['cancel-after'] }),
          ...(preferWait !== undefined && { preferWait: Math.ceil(preferWait / 1000) }),
          signal,
        });
        if (!values.wait) {
          out.task(task);
          if (!values.json && !isTerminal(task.status)) io.stderr.write(`wait for it: longrun wait ${task.id}\n`);
          return EXIT.ok;
        }
        if (!values.json) io.stderr.write(`submitted ${task.id} (${task.type})\n`);
        return await waitCommand(client, task, out, io, timeoutMs, transport);
      }
      case 'wait':
        return await waitCommand(client, args[0]!, out, io, seconds(values.timeout, '--timeout'), transport);
      case 'watch':
        return await watchCommand(client, args[0]!, out, io, seconds(values.timeout, '--timeout'), transport);
      case 'status':
        out.task(await client.get(args[0]!, { signal }));
        return EXIT.ok;
      case 'result':
        out.json(await client.result(args[0]!, { signal }));
        return EXIT.ok;
      case 'cancel': {
        if (values.purge) {
          await client.purge(args[0]!, { signal });
          if (!values.json) io.stderr.write(`purged ${args[0]}\n`);
          return EXIT.ok;
        }
        out.task(await client.cancel(args[0]!, { signal }));
        return EXIT.ok;
      }
      case 'retry':
        out.task(await client.retry(args[0]!, { signal }));
        return EXIT.ok;
      case 'history':
        out.history(await client.history(args[0]!, { signal }));
        return EXIT.ok;
      case 'input': {
        const url = values['capability-url'];
        const inputText = url === undefined ? args[1]! : args[0]!;
        let input: unknown;
        try {
          input = JSON.parse(inputText);
        } catch (err) {
          throw new UsageError(`<json input> is not valid JSON: ${(err as Error).message}`);
        }
        if (url === undefined) out.task(await client.sendInput(args[0]!, input, { signal }));
        else {
          await client.sendInputByUrl(url, input, { signal });
          io.stderr.write('input sent\n');
        }
        return EXIT.ok;
      }
      case 'webhook-secret': {
        const secret = values.rotate ? await client.rotateWebhookSecret({ signal }) : await client.webhookSecret({ signal });
        if (values.json) out.json(secret);
        else {
          io.stdout.write(`${secret.secret}\n`);
          if (secret.previousSecretExpiresAt) io.stderr.write(`the previous secret also signs until ${secret.previousSecretExpiresAt}\n`);
        }
        return EXIT.ok;
      }
      case 'list': {
        if (values.status !== undefined && !(TASK_STATUSES as readonly string[]).includes(values.status)) {
          throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}`);
        }
        let limit: number | undefined;
        if (values.limit !== undefined) {
          limit = Number(values.limit);
          if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
        }
        const page = await client.list({
          ...(values.status !== undefined && { status: values.status as TaskStatus }),
          ...(values.type !== undefined && { type: values.type }),
          ...(values.metadata !== undefined && { metadata: pairs(values.metadata) }),
          ...(values['created-after'] !== undefined && { createdAfter: values['created-after'] }),
          ...(values['created-before'] !== undefined && { createdBefore: values['created-before'] }),
          ...(limit !== undefined && { limit }),
          ...(values.cursor !== undefined && { cursor: values.cursor }),
          signal,
        });
        out.list(page.items, page.nextCursor);
        return EXIT.ok;
      }
    }
    return usage(io, `unknown command "${command}"`);
  } catch (err) {
    return failure(io, err);
  }
}

async function waitCommand(
  client: LongrunClient,
  task: Task | string,
  out: Output,
  io: CliIo,
  timeoutMs: number | undefined,
  transport: WatchTransport | undefined,
): Promise<number> {
  const id = typeof task === 'string' ? task : task.id;
  const progress = new ProgressView(io);
  try {
    const done = await client.waitFor(task, {
      ...(io.signal && { signal: io.signal }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(transport !== undefined && { transport }),
      onProgress: (t) => progress.update(t),
    });
    progress.finish(done);
    out.task(done);
    return done.status === 'succeeded' ? EXIT.ok : EXIT.taskFailed;
  } catch (err) {
    progress.finish();
    return stoppedWaiting(err, id, out, io);
  }
}

/** `watch`: every state on stdout as it comes (a line each, or one JSON document per line with --json), then the exit code of its outcome. */
async function watchCommand(
  client: LongrunClient,
  id: string,
  out: Output,
  io: CliIo,
  timeoutMs: number | undefined,
  transport: WatchTransport | undefined,
): Promise<number> {
  let last: Task | undefined;
  try {
    for await (const task of client.watch(id, {
      ...(io.signal && { signal: io.signal }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(transport !== undefined && { transport }),
    })) {
      last = task;
      out.change(task);
    }
  } catch (err) {
    return stoppedWaiting(err, id, out, io);
  }
  return last?.status === 'succeeded' ? EXIT.ok : EXIT.taskFailed;
}

/** Ctrl-C or `--timeout` while waiting: the task keeps running (said how to go on); anything else is rethrown. */
function stoppedWaiting(err: unknown, id: string, out: Output, io: CliIo): number {
  if (err instanceof AbortError) {
    io.stderr.write(`\nStopped waiting; task ${id} keeps running.\n  longrun wait ${id}     to wait again\n  longrun cancel ${id}   to cancel it\n`);
    return EXIT.interrupted;
  }
  if (err instanceof TimeoutError) {
    io.stderr.write(`longrun: ${err.message} Task ${id} keeps running; cancel it with: longrun cancel ${id}\n`);
    if (err.task) out.task(err.task);
    return EXIT.timeout;
  }
  throw err;
}

function seconds(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number of seconds`);
  return value * 1000;
}

/** `--metadata key=value` (repeated) as an object. */
function pairs(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at < 1) throw new UsageError(`--metadata expects key=value, got ${JSON.stringify(item)}`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`longrun: ${message}\n\n${USAGE}\n`);
  return EXIT.usage;
}

function failure(io: CliIo, err: unknown): number {
  if (err instanceof UsageError) return usage(io, err.message);
  if (err instanceof ProblemError) {
    io.stderr.write(`longrun: ${err.status} ${err.title}${err.detail ? `: ${err.detail}` : ''}\n`);
    if (err instanceof ValidationError)
      for (const e of err.errors.filter((e) => !err.detail?.includes(e.detail))) io.stderr.write(`  ${e.pointer || '/'}: ${e.detail}\n`);
    if (err.problem.taskStatus) io.stderr.write(`  task status: ${String(err.problem.taskStatus)}\n`);
    return EXIT.api;
  }
  if (err instanceof AbortError) {
    io.stderr.write('longrun: interrupted\n');
    return EXIT.interrupted;
  }
  if (err instanceof NetworkError) {
    io.stderr.write(`longrun: cannot reach the API: ${err.message}\n`);
    return EXIT.api;
  }
  if (err instanceof LongrunError) {
    io.stderr.write(`longrun: ${err.message}\n`);
    return EXIT.api;
  }
  throw err;
}
