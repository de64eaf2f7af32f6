/**
 * `npm start`: the whole stack locally (see lib/local/local-stack.ts).
 *
 *   PORT=3000                      HTTP port on 127.0.0.1 (default 3000; `--port` wins; 0 = free port)
 *   LONGRUN_API_KEYS=k1,k2         accepted x-api-key values (default: a printed development key)
 *   LONGRUN_EXECUTION_TIMEOUT_SECONDS=N  override the state machine's TimeoutSeconds (tests)
 *   LONGRUN_CORS_ALLOW_ORIGINS=o1,o2     allow these browser origins (CORS), as the construct's corsAllowOrigins
 *   LONGRUN_SWEEP_INTERVAL_SECONDS=N     run the sweeper every N s (default: the template's schedule, 5 min)
 *   LONGRUN_SWEEP_AGE_SECONDS=N          the sweeper checks open tasks older than N s (default 300)
 *   LONGRUN_DROP_STATUS_EVENTS=f         drop this fraction (0..1) of execution status events (fault tests)
 *   LONGRUN_FAIL_STARTS=f                fail the first StartExecution request of this fraction of tasks (fault tests)
 *   LONGRUN_THROTTLE_WORKFLOW_WRITES=f   throttle this fraction of RecordSuccess/RecordFailure writes (fault tests)
 *   --port <n>                     as PORT
 *   --app <module>                 run the stack this module exports instead of LongrunStack
 *                                  (e.g. examples/lambda-worker/stack.ts; see lib/local/template.ts)
 *   --persist <dir>                keep DynamoDB data and stored results in <dir> between runs (default: in memory)
 *   --ready-json <file>            when ready, write { baseUrl, dynamodbEndpoint, stepFunctionsEndpoint,
 *                                  s3Endpoint, tableName, stateMachineArn, apiKeys, pid } to <file>
 *   LONGRUN_WEBHOOK_RETRY_DELAYS=1,2,4   replace the webhook retry schedule (seconds)
 *   --quiet                        no per-request or per-event log lines
 *
 * SIGINT / SIGTERM stop everything (DynamoDB Local's Java process too) and exit 0.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LocalStack, startLocalStack } from '../lib/local/local-stack.ts';

function fail(message: string): never {
  console.error(`longrun local: ${message}`);
  process.exit(2);
}

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    app: { type: 'string' },
    persist: { type: 'string' },
    'ready-json': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (args.help) {
  console.log('usage: npm start -- [--port <n>] [--app <stack module>] [--persist <dir>] [--ready-json <file>] [--quiet]');
  process.exit(0);
}

const portText = args.port ?? process.env.PORT ?? '3000';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${portText}`);

const timeoutText = process.env.LONGRUN_EXECUTION_TIMEOUT_SECONDS;
const timeoutSecondsOverride = timeoutText ? Number(timeoutText) : undefined;
if (timeoutSecondsOverride !== undefined && (!Number.isInteger(timeoutSecondsOverride) || timeoutSecondsOverride <= 0)) {
  fail(`LONGRUN_EXECUTION_TIMEOUT_SECONDS must be a positive integer, got ${timeoutText}`);
}

function positiveSeconds(name: string): number | undefined {
  const text = process.env[name];
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got ${text}`);
  return value;
}

function fraction(name: string): number | undefined {
  const text = process.env[name];
  if (!text) return undefined;
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) fail(`${name} must be a fraction between 0 and 1, got ${text}`);
  return value;
}

const sweepIntervalSeconds = positiveSeconds('LONGRUN_SWEEP_INTERVAL_SECONDS');
const sweepAgeSeconds = positiveSeconds('LONGRUN_SWEEP_AGE_SECONDS');
const faults = {
  dropStatusEvents: fraction('LONGRUN_DROP_STATUS_EVENTS'),
  failStarts: fraction('LONGRUN_FAIL_STARTS'),
  throttleWorkflowWrites: fraction('LONGRUN_THROTTLE_WORKFLOW_WRITES'),
};

const configuredKeys = (process.env.LONGRUN_API_KEYS ?? '')
  .split(',')
  .map((k) => k.trim())
  .filter(Boolean);
const devKey = configuredKeys.length === 0 ? `dev-${randomBytes(12).toString('hex')}` : undefined;
const apiKeys = devKey ? [devKey] : configuredKeys;

let stack: LocalStack | undefined;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping`);
  const force = setTimeout(() => {
    console.error('stop timed out');
    process.exit(1);
  }, 15_000);
  force.unref();
  try {
    await stack?.stop();
  } catch (err) {
    console.error(err);
  }
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const started = Date.now();
try {
  stack = await startLocalStack({
    port,
    apiKeys,
    app: args.app,
    persistDir: args.persist,
    timeoutSecondsOverride,
    sweepIntervalSeconds,
    sweepAgeSeconds,
    faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
    corsAllowOrigins: (process.env.LONGRUN_CORS_ALLOW_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    log: args.quiet ? (line) => (/^\[(http|bus)\]/.test(line) ? undefined : console.error(line)) : (line) => console.error(line),
  });
} catch (err) {
  console.error('longrun local: could not start:', (err as Error)?.stack ?? err);
  process.exit(1);
}
if (stopping) await new Promise(() => {}); // a signal arrived during start-up: shutdown() exits

const info = {
  baseUrl: stack.baseUrl,
  dynamodbEndpoint: stack.dynamodbEndpoint,
  stepFunctionsEndpoint: stack.stepFunctionsEndpoint,
  s3Endpoint: stack.s3Endpoint,
  resultsBucketName: stack.resultsBucketName,
  tableName: stack.tableName,
  stateMachineArn: stack.stateMachineArn,
  sqsEndpoint: stack.sqsEndpoint,
  eventBusEndpoint: stack.eventBusEndpoint,
  apiKeys: stack.apiKeys,
  pid: process.pid,
};
if (args['ready-json']) {
  const file = args['ready-json'];
  writeFileSync(`${file}.tmp`, JSON.stringify(info, null, 2));
  renameSync(`${file}.tmp`, file); // atomic: a watcher never reads half a file
}

const key = apiKeys[0]!;
console.log(`
Longrun is running locally (ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${Object.entries(stack.timings)
  .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
  .join(', ')})

  API:          ${stack.baseUrl}
  API key:      ${key}${devKey ? '   (development key; set LONGRUN_API_KEYS=k1,k2 to choose)' : ''}
  DynamoDB:     ${stack.dynamodbEndpoint}   table ${stack.tableName}${args.persist ? `   (persisted in ${args.persist})` : '   (in memory)'}
  StepFunctions ${stack.stepFunctionsEndpoint}
  S3:           ${stack.s3Endpoint}   results bucket${args.persist ? `   (persisted in ${args.persist}/s3)` : ''}
  Task events:  ${stack.eventBusEndpoint}/events   (what would go to the EventBridge bus)

Try it:

  URL=${stack.baseUrl}
  curl -s -X POST "$URL/tasks" -H "x-api-key: ${key}" -H 'content-type: application/json' -d '{"type":"primes","input":{"upTo":1000000}}'
  curl -s "$URL/tasks/<id from the answer>" -H "x-api-key: ${key}"
  curl -sN "$URL/tasks/<id>/events" -H "x-api-key: ${key}"      # live: server-sent events

  Browser example (live progress bar): ${stack.baseUrl}/demo.html

Ctrl-C stops everything.
`);
