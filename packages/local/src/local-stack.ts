/**
 * A CDK app's Longrun stack on one machine: the app is synthesized (or an assembly is given), and
 * everything its template declares runs locally: DynamoDB Local with the table, the local S3 with
 * the buckets, the state machine's ASL on a local Step Functions endpoint, the events rules, the
 * schedules, the queues, the stream mappings, the event bus, the REST API behind a local HTTP
 * front and the WebSocket API (if any) behind a local WebSocket front. Every Lambda function runs from its synthesized asset, in a worker thread with its own
 * environment; its AWS clients reach the local endpoints through `AWS_ENDPOINT_URL_*`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { assemblyStacks, pickStack, synthesize } from './assembly.ts';
import { ensureTable } from './create-table.ts';
import { type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb-local.ts';
import { passesFilters } from './event-filter.ts';
import type { FaultOptions } from './faults.ts';
import type { LocalLambda } from './functions/local-lambda.ts';
import { ReservedConcurrency } from './functions/reserved-concurrency.ts';
import { WorkerLambda } from './functions/worker-lambda.ts';
import { apiKeyId, startHttpFront } from './http-front.ts';
import { LocalPush } from './local-push.ts';
import { LocalScheduler } from './local-scheduler.ts';
import { startS3Local } from './s3-local.ts';
import { type ExecutionStatusChangeEvent, type StepFunctionsEndpoint, startStepFunctionsEndpoint } from './step-functions-endpoint.ts';
import { findScheduledTargets, type LocalSchedule, startSchedules } from './sweeper-schedule.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localValues, resolveIntrinsics } from './template.ts';
import {
  findApi,
  findBuckets,
  findEventsRuleTargets,
  findFunctions,
  findStateMachines,
  findTable,
  type LocalFunction,
} from './template-resources.ts';
import { findWebSocketApi, startWebSocketFront, type WebSocketFront } from './websocket-front.ts';

export interface LocalStackOptions {
  /** The CDK app command (cdk.json's `app` by default, in `cwd`); ignored with `assembly`. */
  app?: string;
  /** Where the app runs and its cdk.json is. @default process.cwd() */
  cwd?: string;
  /** Context for the app, as `cdk synth -c key=value`. */
  context?: Record<string, unknown>;
  /** An already synthesized cloud assembly (a `cdk.out` directory) to run instead of synthesizing the app. */
  assembly?: string;
  /** The stack to run, when the app has more than one with a Longrun API. */
  stack?: string;
  /** HTTP port on 127.0.0.1; 0 = a free port (default 0). */
  port?: number;
  /**
   * Accepted `x-api-key` values, each `consumer=key` (a key of that consumer: all keys of a consumer
   * are the same caller, as the construct's `consumers` make them) or a bare key (its own caller).
   */
  apiKeys: string[];
  /** Keep DynamoDB data (and the local S3's objects, under `s3/`) in this directory between runs (default: in memory). */
  persistDir?: string;
  /** Where the stack's own lines and the functions' output go (default: stderr). */
  log?: (line: string) => void;
  /** Only warnings and errors from the functions; no per-request or per-event lines. */
  quiet?: boolean;
  /** Replaces the state machine's top-level TimeoutSeconds (and the matching function env). */
  timeoutSecondsOverride?: number;
  /** Replaces the Express state machine's TimeoutSeconds (its 5-minute limit) and the sweeper's `EXPRESS_TIMEOUT_SECONDS`. */
  expressTimeoutSecondsOverride?: number;
  /** Replaces the interval of every Retry in the state machine (milliseconds), so that a test can use up retries in seconds. */
  retryIntervalMsOverride?: number;
  /** Period of the scheduled rules (the sweeper), replacing the template's rate. */
  sweepIntervalSeconds?: number;
  /** The sweeper's `SWEEP_AGE_SECONDS`. */
  sweepAgeSeconds?: number;
  /** Faults the local Step Functions endpoint injects (default: none). */
  faults?: FaultOptions;
  /** Extra environment for every function (e.g. `LONGRUN_WEBHOOK_RETRY_DELAYS`). */
  environment?: Record<string, string>;
  /** Local-only pages served under the stage, by path below it (`demo.html`), from files. */
  pages?: Record<string, string>;
}

export interface LocalStack {
  /** `http://127.0.0.1:PORT/<stage>` */
  baseUrl: string;
  /** `ws://127.0.0.1:PORT/<stage>`: the WebSocket API (the live channel), if the template has one. */
  liveUrl?: string;
  dynamodbEndpoint: string;
  stepFunctionsEndpoint: string;
  /** The local S3 (s3rver) serving the results bucket and its presigned URLs. */
  s3Endpoint: string;
  /** The bucket of stored results (what the functions' `RESULTS_BUCKET_NAME` names), if any. */
  resultsBucketName?: string;
  tableName: string;
  stateMachineArn: string;
  /** The accepted `x-api-key` values (without their consumers). */
  apiKeys: string[];
  /** The consumer of each key that has one. */
  consumers: Record<string, string>;
  /** The stack that runs. */
  stackName: string;
  /** The cloud assembly it runs from. */
  assemblyDir: string;
  /** The Step Functions endpoint (execution stats for the benchmark; `faults` injected). */
  stepFunctions: StepFunctionsEndpoint;
  /** The scheduled rules (the sweeper): `runNow()` runs them at once. */
  schedules: LocalSchedule;
  /** Webhook queues and the event bus (in process); `GET <eventBusEndpoint>/events` lists published events. */
  push: LocalPush;
  sqsEndpoint: string;
  eventBusEndpoint: string;
  /** Each function with a reserved concurrency, by label (`get-task`): its reservation, invocations in flight and refused. */
  concurrency: ReadonlyMap<string, Pick<ReservedConcurrency, 'reserved' | 'inFlight' | 'throttles'>>;
  /** Milliseconds spent starting, by phase. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/** What the Lambda runtime sets; a function's own values for these are not applied. */
const RUNTIME_ENV = /^(AWS_|_HANDLER$|LAMBDA_)/;

/** The `--enable-source-maps`-like options of a function's NODE_OPTIONS that a worker thread accepts. */
function execArgvOf(nodeOptions: string | undefined): string[] {
  return (nodeOptions ?? '').split(/\s+/).filter((option) => option === '--enable-source-maps');
}

/** `consumer=key` or a bare `key`. */
function parseApiKey(spec: string): { key: string; consumer?: string } {
  const at = spec.indexOf('=');
  if (at < 0) return { key: spec };
  const consumer = spec.slice(0, at);
  const key = spec.slice(at + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(consumer) || !key)
    throw new Error(`API key '${spec}': expected consumer=key (consumer: letters, digits, '-', '_') or a bare key`);
  return { key, consumer };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.error(line));
  const keys = options.apiKeys.map(parseApiKey);
  const localKeyConsumers = Object.fromEntries(keys.filter((k) => k.consumer).map((k) => [apiKeyId(k.key), k.consumer!]));
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (phase: string, since: number): number => {
    timings[phase] = Date.now() - since;
    return Date.now();
  };

  // DynamoDB Local (a JVM) starts while the app synthesizes (a Node process of its own).
  const ddbPromise = startDynamoDbLocal({ persistDir: options.persistDir }).then((d) => {
    timings.dynamodbLocal = Date.now() - t0;
    return d;
  });
  let ddbLocal: DynamoDbLocal | undefined;
  // Stopped in this order: whatever invokes functions or reads DynamoDB first, DynamoDB Local last.
  const stops: Partial<
    Record<
      'schedules' | 'scheduler' | 'push' | 'live' | 'front' | 'stepFunctions' | 'functions' | 's3' | 'dynamodbClient' | 'dynamodbLocal' | 'assembly',
      () => unknown
    >
  > = {};
  const stopAll = async (): Promise<void> => {
    for (const part of [
      'schedules',
      'scheduler',
      'push',
      'live',
      'front',
      'stepFunctions',
      'functions',
      's3',
      'dynamodbClient',
      'dynamodbLocal',
      'assembly',
    ] as const) {
      const stop = stops[part];
      delete stops[part];
      try {
        await stop?.();
      } catch (err) {
        log(`stop ${part}: ${(err as Error).message}`);
      }
    }
  };
  try {
    let t = Date.now();
    let assemblyDir = options.assembly ? resolve(options.assembly) : undefined;
    if (!assemblyDir) {
      const assembly = await synthesize({ app: options.app, cwd: options.cwd, context: options.context });
      stops.assembly = () => assembly.cleanup();
      assemblyDir = assembly.dir;
    }
    const stack = pickStack(assemblyStacks(assemblyDir), options.stack);
    const template = stack.template;
    t = mark('synth', t);
    ddbLocal = await ddbPromise;
    stops.dynamodbLocal = () => ddbLocal!.stop();
    t = Date.now();

    // Push endpoints before the template's values: queue URLs must name the local SQS endpoint.
    const push = await new LocalPush(log).listen();
    stops.push = () => push.stop();
    const values = localValues(template, { stackName: stack.stackName, refs: push.queueRefs(template, LOCAL_ACCOUNT) });
    const functions = findFunctions(template, values, stack.dir);
    const table = findTable(template, values);
    const [stateMachine, ...otherStateMachines] = findStateMachines(template, values);
    if (!stateMachine) throw new Error('no state machine');
    const api = findApi(template, values);
    const ruleTargets = findEventsRuleTargets(template)
      .filter((r) => {
        const p = r.eventPattern;
        return (p.source ?? []).includes('aws.states') && (p['detail-type'] ?? []).includes('Step Functions Execution Status Change');
      })
      // The whole pattern, resolved: a rule of one state machine sees its events only.
      .map((r) => ({ ...r, eventPattern: resolveIntrinsics(r.eventPattern, values, template) as Record<string, any> }));

    const ddb = new DynamoDBClient({ endpoint: ddbLocal.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    stops.dynamodbClient = () => ddb.destroy();
    const { created } = await ensureTable(ddb, table);
    log(`table ${table.tableName} ${created ? 'created' : 'already present'}`);
    t = mark('table', t);

    const s3Local = await startS3Local({ buckets: findBuckets(template, values), persistDir: options.persistDir });
    stops.s3 = () => s3Local.stop();

    // Functions resolve lazily: the endpoints they are told about exist only further down.
    const locals = new Map<string, LocalLambda>();
    const byRef = (ref: string): LocalLambda | undefined => {
      for (const [id, l] of locals) {
        if (ref === l.arn || ref.startsWith(`${l.arn}:`) || ref === l.functionName || ref === id) return l;
      }
      return undefined;
    };

    const workers: WorkerLambda[] = [];
    const concurrency = new Map<string, ReservedConcurrency>();
    for (const fn of functions) {
      const worker = new WorkerLambda({
        label: fn.label,
        functionName: fn.functionName,
        arn: fn.arn,
        timeoutSeconds: fn.timeoutSeconds,
        memorySize: fn.memorySize,
        file: fn.file,
        exportName: fn.handlerExport,
        environment: () => functionEnvironment(fn),
        execArgv: execArgvOf(fn.environment.NODE_OPTIONS),
        log,
        quiet: options.quiet,
      });
      workers.push(worker);
      // Reserved concurrency is also the function's ceiling, locally as on Lambda.
      if (fn.reservedConcurrency === undefined) {
        locals.set(fn.logicalId, worker);
      } else {
        const limited = new ReservedConcurrency(worker, fn.reservedConcurrency);
        concurrency.set(fn.label, limited);
        locals.set(fn.logicalId, limited);
      }
    }
    const sfnTimeout = options.timeoutSecondsOverride;
    const stepFunctions = await startStepFunctionsEndpoint({
      definition: stateMachine.definition,
      stateMachineArn: stateMachine.arn,
      machines: otherStateMachines.map((m) => ({ definition: m.definition, stateMachineArn: m.arn, type: m.type })),
      expressTimeoutSecondsOverride: options.expressTimeoutSecondsOverride,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      timeoutSecondsOverride: sfnTimeout,
      retryIntervalMsOverride: options.retryIntervalMsOverride,
      resolveLambda: byRef,
      dynamodb: ddb,
      log,
      faults: options.faults,
      onStatusChange: async (event: ExecutionStatusChangeEvent) => {
        for (const target of ruleTargets) {
          if (!passesFilters([target.eventPattern], event)) continue;
          const fn = locals.get(target.functionLogicalId);
          if (!fn) continue;
          try {
            await fn.invoke(event, { logStream: 'local/events', whenThrottled: 'wait' });
          } catch (err) {
            log(`[events] ${fn.functionName} failed on ${event.detail.name} ${event.detail.status}: ${(err as Error)?.stack ?? err}`);
          }
        }
      },
    });
    stops.stepFunctions = () => stepFunctions.close();
    const scheduler = await new LocalScheduler({
      resolveFunction: byRef,
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      persistDir: options.persistDir,
      log,
    }).start();
    stops.scheduler = () => scheduler.stop();
    const secrets = localSecrets(options.persistDir);

    const front = await startHttpFront({
      api,
      apiKeys: keys.map((k) => k.key),
      port: options.port ?? 0,
      resolveFunction: (id) => locals.get(id),
      accountId: LOCAL_ACCOUNT,
      log: options.quiet ? (line) => (/^\[http\]/.test(line) ? undefined : log(line)) : log,
      pages: Object.fromEntries(
        Object.entries(options.pages ?? {}).map(([path, file]) => [
          `/${api.stageName}/${path.replace(/^\/+/, '')}`,
          { contentType: contentTypeOf(file), body: readFileSync(resolve(options.cwd ?? process.cwd(), file)) },
        ]),
      ),
    });
    stops.front = () => front.close();
    const liveApi = findWebSocketApi(template, values);
    let live: WebSocketFront | undefined;
    if (liveApi) {
      live = await startWebSocketFront({ api: liveApi, resolveFunction: (id) => locals.get(id), log });
      stops.live = () => live!.close();
    }
    t = mark('servers', t);

    // Each function's own environment, plus what the Lambda runtime and the local stack provide.
    const baseEnvironment: Record<string, string> = {
      ...(process.env.PATH && { PATH: process.env.PATH }),
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: ddbLocal.endpoint,
      AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
      AWS_ENDPOINT_URL_SQS: push.queues.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: push.bus.endpoint,
      AWS_ENDPOINT_URL_S3: s3Local.endpoint,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
      // The local stack only (never the construct): receivers on 127.0.0.1 / localhost may be called back.
      ALLOW_LOOPBACK_CALLBACKS: '1',
      ...options.environment,
    };
    const templateTimeout = stateMachine.definition.TimeoutSeconds;
    const functionEnvironment = (fn: LocalFunction): Record<string, string> => {
      const own: Record<string, string> = {};
      for (const [k, v] of Object.entries(fn.environment)) {
        if (RUNTIME_ENV.test(k)) continue;
        // A variable that carries the state machine's timeout follows the override.
        own[k] = sfnTimeout !== undefined && templateTimeout !== undefined && v === String(templateTimeout) ? String(sfnTimeout) : secrets(v);
      }
      if (options.sweepAgeSeconds !== undefined && 'SWEEP_AGE_SECONDS' in own) own.SWEEP_AGE_SECONDS = String(options.sweepAgeSeconds);
      if (options.expressTimeoutSecondsOverride !== undefined && 'EXPRESS_TIMEOUT_SECONDS' in own)
        own.EXPRESS_TIMEOUT_SECONDS = String(options.expressTimeoutSecondsOverride);
      // Pushed tasks (webhooks, task events) link to this front, not to the template's execute-api URL.
      if ('API_BASE_URL' in own) own.API_BASE_URL = front.baseUrl;
      // The WebSocket API's URLs (where clients connect, where functions post to connections) are the local front's.
      if (live) for (const [k, v] of Object.entries(own)) own[k] = live.localize(v);
      // The template maps AWS key ids to consumers; locally the keys are LONGRUN_API_KEYS'.
      if ('API_KEY_CONSUMERS' in own) own.API_KEY_CONSUMERS = JSON.stringify(localKeyConsumers);
      return {
        ...own,
        ...baseEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      };
    };
    stops.functions = () => Promise.all(workers.map((w) => w.stop()));
    // Every function loads now (its cold start), so the first request does not pay for it.
    await Promise.all(workers.map((w) => w.start().catch((err: Error) => Promise.reject(new Error(`${w.functionName}: ${err.message}`)))));
    t = mark('functions', t);

    const schedules = startSchedules({
      targets: findScheduledTargets(template),
      resolveFunction: (id) => locals.get(id),
      intervalSecondsOverride: options.sweepIntervalSeconds,
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      log,
    });
    stops.schedules = () => schedules.stop();

    await push.start({
      template,
      values,
      functions: locals,
      dynamodb: ddb,
      dynamodbEndpoint: ddbLocal.endpoint,
      tableName: table.tableName,
      tableLogicalId: table.logicalId,
      credentials: LOCAL_CREDENTIALS,
    });
    mark('push', t);
    timings.total = Date.now() - t0;

    let stopped: Promise<void> | undefined;
    return {
      baseUrl: front.baseUrl,
      ...(live && { liveUrl: live.url }),
      dynamodbEndpoint: ddbLocal.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      s3Endpoint: s3Local.endpoint,
      resultsBucketName: functions.map((fn) => fn.environment.RESULTS_BUCKET_NAME).find(Boolean),
      tableName: table.tableName,
      stateMachineArn: stateMachine.arn,
      apiKeys: keys.map((k) => k.key),
      consumers: Object.fromEntries(keys.filter((k) => k.consumer).map((k) => [k.key, k.consumer!])),
      stackName: stack.stackName,
      assemblyDir,
      stepFunctions,
      schedules,
      push,
      sqsEndpoint: push.queues.endpoint,
      eventBusEndpoint: push.bus.endpoint,
      concurrency,
      timings,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    if (!ddbLocal) await ddbPromise.then((d) => d.stop()).catch(() => {});
    await stopAll();
    throw err;
  }
}

function contentTypeOf(file: string): string {
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (file.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'application/octet-stream';
}

/**
 * CloudFormation's dynamic references to Secrets Manager (`{{resolve:secretsmanager:<secret>:…}}`,
 * e.g. a generated key in a function's environment): each secret gets a random value of its own,
 * kept in the persist directory (if any) so a restart keeps it.
 */
function localSecrets(persistDir: string | undefined): (value: string) => string {
  const file = persistDir ? join(persistDir, 'secrets.json') : undefined;
  const known: Record<string, string> = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return (value) =>
    value.replace(/\{\{resolve:secretsmanager:([^:}]+(?::[^:}]+)*?):SecretString:[^}]*\}\}/g, (_whole, secret: string) => {
      if (!known[secret]) {
        known[secret] = randomBytes(32).toString('base64url');
        if (file) {
          mkdirSync(persistDir!, { recursive: true });
          writeFileSync(file, JSON.stringify(known));
        }
      }
      return known[secret]!;
    });
}
