#!/usr/bin/env node
/**
 * `longrun-local`: a CDK app's Longrun stack on this machine (see ../local-stack.ts).
 *
 *   longrun-local [--app "<cdk app command>"] [options]
 *
 *   --app <command>          the CDK app, as `cdk --app` takes it (default: cdk.json's "app" here)
 *   --assembly <dir>         run an already synthesized cloud assembly (a cdk.out) instead
 *   --stack <name>           the stack to run, if the app has several with a Longrun API
 *   -c, --context k=v        context for the app, as `cdk synth -c` (repeatable)
 *   --port <n>               HTTP port on 127.0.0.1 (default $PORT or 3000; 0 = a free port)
 *   --persist <dir>          keep DynamoDB data and stored results in <dir> between runs (default: in memory)
 *   --page <path>=<file>     serve <file> at <stage>/<path>, e.g. --page demo.html=examples/progress.html (repeatable)
 *   --ready-json <file>      when ready, write the endpoints as JSON to <file>
 *   --quiet                  only warnings and errors: no request, event or metric lines
 *
 *   LONGRUN_API_KEYS=alpha=k1,alpha=k2,k3  accepted x-api-key values, `consumer=key` or a bare key (its own caller) (default: a printed development key)
 *   LONGRUN_EXECUTION_TIMEOUT_SECONDS=N  override the state machine's TimeoutSeconds
 *   LONGRUN_EXPRESS_TIMEOUT_SECONDS=N    override the Express state machine's TimeoutSeconds (its 5-minute limit)
 *   LONGRUN_SWEEP_INTERVAL_SECONDS=N     run scheduled rules (the sweeper) every N s
 *   LONGRUN_SWEEP_AGE_SECONDS=N          the sweeper checks open tasks older than N s
 *   LONGRUN_WEBHOOK_RETRY_DELAYS=1,2,4   replace the webhook retry schedule (seconds)
 *   LONGRUN_DROP_STATUS_EVENTS=f, LONGRUN_FAIL_STARTS=f, LONGRUN_THROTTLE_WORKFLOW_WRITES=f   fault injection (fractions 0..1)
 *
 * SIGINT / SIGTERM stop everything (DynamoDB Local's Java process last) and exit 0.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LocalStack, startLocalStack } from '../local-stack.ts';

const USAGE = `usage: longrun-local [--app "<cdk app command>" | --assembly <dir>] [--stack <name>] [-c key=value]...
                     [--port <n>] [--persist <dir>] [--page <path>=<file>]... [--ready-json <file>] [--quiet]`;

function fail(message: string): never {
  console.error(`longrun-local: ${message}\n${USAGE}`);
  process.exit(2);
}

// biome-ignore lint/suspicious/noImplicitAnyLet: typed by the parseArgs assignment below (inside try, so that a usage error exits 2)
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      app: { type: 'string' },
      assembly: { type: 'string' },
      stack: { type: 'string' },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
      port: { type: 'string' },
      persist: { type: 'string' },
      page: { type: 'string', multiple: true, default: [] },
      'ready-json': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.app && args.assembly) fail('--app and --assembly exclude each other');

function pairs(list: string[], flag: string): Record<string, string> {
  return Object.fromEntries(
    list.map((item) => {
      const at = item.indexOf('=');
      if (at < 1) fail(`${flag} takes key=value, got ${item}`);
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
}

const portText = args.port ?? process.env.PORT ?? '3000';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${portText}`);

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
    app: args.app,
    assembly: args.assembly,
    stack: args.stack,
    context: pairs(args.context, '--context'),
    port,
    apiKeys,
    persistDir: args.persist,
    quiet: args.quiet,
    pages: pairs(args.page, '--page'),
    timeoutSecondsOverride: positiveSeconds('LONGRUN_EXECUTION_TIMEOUT_SECONDS'),
    expressTimeoutSecondsOverride: positiveSeconds('LONGRUN_EXPRESS_TIMEOUT_SECONDS'),
    sweepIntervalSeconds: positiveSeconds('LONGRUN_SWEEP_INTERVAL_SECONDS'),
    sweepAgeSeconds: positiveSeconds('LONGRUN_SWEEP_AGE_SECONDS'),
    faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
    environment: process.env.LONGRUN_WEBHOOK_RETRY_DELAYS ? { LONGRUN_WEBHOOK_RETRY_DELAYS: process.env.LONGRUN_WEBHOOK_RETRY_DELAYS } : {},
  });
} catch (err) {
  console.error('longrun-local: could not start:', (err as Error)?.message ?? err);
  process.exit(1);
}
if (stopping) await new Promise(() => {}); // a signal arrived during start-up: shutdown() exits

const info = {
  baseUrl: stack.baseUrl,
  liveUrl: stack.liveUrl,
  dynamodbEndpoint: stack.dynamodbEndpoint,
  stepFunctionsEndpoint: stack.stepFunctionsEndpoint,
  s3Endpoint: stack.s3Endpoint,
  resultsBucketName: stack.resultsBucketName,
  tableName: stack.tableName,
  stateMachineArn: stack.stateMachineArn,
  sqsEndpoint: stack.sqsEndpoint,
  eventBusEndpoint: stack.eventBusEndpoint,
  stackName: stack.stackName,
  apiKeys: stack.apiKeys,
  consumers: stack.consumers,
  pid: process.pid,
};
if (args['ready-json']) {
  const file = args['ready-json'];
  writeFileSync(`${file}.tmp`, JSON.stringify(info, null, 2));
  renameSync(`${file}.tmp`, file); // atomic: a watcher never reads half a file
}

const key = stack.apiKeys[0]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`
Longrun is running locally: stack ${stack.stackName}, ready in ${seconds(Date.now() - started)} (${Object.entries(stack.timings)
  .filter(([phase]) => phase !== 'total')
  .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
  .join(', ')})

  API:          ${stack.baseUrl}
  API key:      ${key}${devKey ? '   (development key; set LONGRUN_API_KEYS=consumer=key,… to choose)' : ''}
  DynamoDB:     ${stack.dynamodbEndpoint}   table ${stack.tableName}${args.persist ? `   (persisted in ${args.persist})` : '   (in memory)'}
  StepFunctions ${stack.stepFunctionsEndpoint}
  S3:           ${stack.s3Endpoint}${args.persist ? `   (persisted in ${args.persist}/s3)` : ''}
  Task events:  ${stack.eventBusEndpoint}/events   (what would go to the EventBridge bus)
${
  stack.liveUrl
    ? `  Live:         ${stack.liveUrl}   (WebSocket; connect with a token from POST /watch-tokens)
`
    : ''
}
Try it:

  export LONGRUN_URL=${stack.baseUrl} LONGRUN_API_KEY=${key}
  curl -s "$LONGRUN_URL/openapi.json" | head -c 300; echo
  curl -s -X POST "$LONGRUN_URL/tasks" -H "x-api-key: $LONGRUN_API_KEY" -H 'content-type: application/json' -d '{"type":"<task type>","input":{}}'
  curl -s "$LONGRUN_URL/tasks/<id from the answer>" -H "x-api-key: $LONGRUN_API_KEY"
${Object.keys(args.page).length ? `\n  Pages: ${args.page.map((p) => `${stack!.baseUrl}/${p.slice(0, p.indexOf('='))}`).join(', ')}\n` : ''}
Ctrl-C stops everything.
`);
