/**
 * The whole stack on one machine: DynamoDB Local, the synthesized template, the table it defines,
 * the state machine it defines (local Step Functions endpoint), the events rule target, and the
 * REST API (local HTTP front). The handlers run unchanged: their SDK clients are pointed at the
 * local endpoints through `AWS_ENDPOINT_URL_*` environment variables set before they are imported.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from './create-table.ts';
import { type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb-local.ts';
import type { FaultOptions } from './faults.ts';
import { startHttpFront } from './http-front.ts';
import { LocalPush } from './local-push.ts';
import { startS3Local } from './s3-local.ts';
import {
  type ExecutionStatusChangeEvent,
  invokeLocalLambda,
  type LambdaHandler,
  type LocalLambda,
  type StepFunctionsEndpoint,
  startStepFunctionsEndpoint,
} from './step-functions-endpoint.ts';
import { installAwsLambdaGlobal } from './streaming.ts';
import { findScheduledTargets, type LocalSchedule, startSchedules } from './sweeper-schedule.ts';
import {
  type CfnTemplate,
  findApi,
  findBuckets,
  findEventsRuleTargets,
  findFunctions,
  findStateMachine,
  findTable,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalFunction,
  localValues,
  synthesizeTemplate,
} from './template.ts';

export interface LocalStackOptions {
  /** HTTP port on 127.0.0.1; 0 = a free port (default 0). */
  port?: number;
  /** Accepted `x-api-key` values. */
  apiKeys: string[];
  /** Keep DynamoDB data (and the local S3's objects, under `s3/`) in this directory between runs (default: in memory). */
  persistDir?: string;
  log?: (line: string) => void;
  /** Replaces the state machine's top-level TimeoutSeconds (and the matching function env). */
  timeoutSecondsOverride?: number;
  /** Use this template instead of synthesizing lib/longrun-stack.ts. */
  template?: CfnTemplate;
  /** Synthesize the stack this module exports instead of lib/longrun-stack.ts (see `SynthOptions.app`). */
  app?: string;
  /** Origins allowed by CORS, as the construct's `corsAllowOrigins` (default: no CORS). */
  corsAllowOrigins?: string[];
  /** Period of the scheduled rules (the sweeper), replacing the template's rate (`LONGRUN_SWEEP_INTERVAL_SECONDS`). */
  sweepIntervalSeconds?: number;
  /** The sweeper's `SWEEP_AGE_SECONDS` (`LONGRUN_SWEEP_AGE_SECONDS`). */
  sweepAgeSeconds?: number;
  /** Faults the local Step Functions endpoint injects (default: none). */
  faults?: FaultOptions;
}

export interface LocalStack {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  dynamodbEndpoint: string;
  stepFunctionsEndpoint: string;
  /** The local S3 (s3rver) serving the results bucket and its presigned URLs. */
  s3Endpoint: string;
  /** The bucket of stored results (what the functions' `RESULTS_BUCKET_NAME` names), if any. */
  resultsBucketName?: string;
  tableName: string;
  stateMachineArn: string;
  apiKeys: string[];
  /** The Step Functions endpoint (execution stats for the benchmark; `faults` injected). */
  stepFunctions: StepFunctionsEndpoint;
  /** The scheduled rules (the sweeper): `runNow()` runs them at once. */
  schedules: LocalSchedule;
  /** Webhook queues and the event bus (in process); `GET <eventBusEndpoint>/events` lists published events. */
  push: LocalPush;
  sqsEndpoint: string;
  eventBusEndpoint: string;
  /** Milliseconds spent starting, by phase. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESERVED_ENV = /^(AWS_|NODE_OPTIONS$|_HANDLER$|LAMBDA_)/;

/** Sets every function's environment in process.env (they share one process); warns on conflicts. */
function applyEnvironment(functions: LocalFunction[], log: (l: string) => void, overrides: Record<string, string>): void {
  const merged = new Map<string, { value: string; from: string }>();
  for (const fn of functions) {
    for (const [k, v] of Object.entries(fn.environment)) {
      if (RESERVED_ENV.test(k)) continue;
      const value = overrides[k] ?? v;
      const prev = merged.get(k);
      if (prev && prev.value !== value) {
        log(`warning: ${k} differs between ${prev.from} and ${fn.logicalId}; all functions share one process, using ${prev.from}'s`);
        continue;
      }
      if (!prev) merged.set(k, { value, from: fn.logicalId });
    }
  }
  for (const [k, { value }] of merged) process.env[k] = value;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.error(line));
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (phase: string, since: number): number => {
    timings[phase] = Date.now() - since;
    return Date.now();
  };

  // DynamoDB Local first, then synthesis: on a small machine (2 cores) running the JVM start-up
  // and the (synchronous, CPU-bound) synthesis side by side was slower than one after the other.
  const ddbPromise = startDynamoDbLocal({ persistDir: options.persistDir }).then((d) => {
    timings.dynamodbLocal = Date.now() - t0;
    return d;
  });
  if (!options.template) await ddbPromise.catch(() => {});
  let ddbLocal: DynamoDbLocal | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log(`stop: ${(err as Error).message}`);
      }
    }
  };
  try {
    let t = Date.now();
    const template =
      options.template ??
      (await synthesizeTemplate({
        app: options.app,
        ...(options.corsAllowOrigins?.length && { stackProps: { api: { corsAllowOrigins: options.corsAllowOrigins } } }),
      }));
    t = mark('synth', t);
    ddbLocal = await ddbPromise;
    cleanups.push(() => ddbLocal!.stop());
    t = Date.now();

    // Push endpoints before the template's values: queue URLs must name the local SQS endpoint.
    const push = await new LocalPush(log).listen();
    cleanups.push(() => push.stop());
    const values = localValues(template, { refs: push.queueRefs(template, LOCAL_ACCOUNT) });
    const functions = findFunctions(template, values);
    const table = findTable(template, values);
    const stateMachine = findStateMachine(template, values);
    const api = findApi(template, values);
    const ruleTargets = findEventsRuleTargets(template).filter((r) => {
      const p = r.eventPattern;
      return (p.source ?? []).includes('aws.states') && (p['detail-type'] ?? []).includes('Step Functions Execution Status Change');
    });

    const ddb = new DynamoDBClient({
      endpoint: ddbLocal.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    cleanups.push(async () => ddb.destroy());
    const { created } = await ensureTable(ddb, table);
    log(`table ${table.tableName} ${created ? 'created' : 'already present'}`);
    t = mark('table', t);

    const s3Local = await startS3Local({ buckets: findBuckets(template, values), persistDir: options.persistDir });
    cleanups.push(() => s3Local.stop());

    // Functions: loaded lazily by entry module, each once.
    const modules = new Map<string, Promise<LambdaHandler>>();
    const locals = new Map<string, LocalLambda>();
    for (const fn of functions) {
      const local: LocalLambda = {
        functionName: fn.functionName,
        arn: fn.arn,
        timeoutSeconds: fn.timeoutSeconds,
        memorySize: fn.memorySize,
        load: () => {
          let p = modules.get(fn.entry);
          if (!p) {
            p = import(pathToFileURL(resolve(REPO_ROOT, fn.entry)).href).then((m) => {
              const h = m[fn.handlerExport] ?? m.handler;
              if (typeof h !== 'function') throw new Error(`${fn.entry} does not export ${fn.handlerExport}`);
              return h as LambdaHandler;
            });
            p.catch(() => modules.delete(fn.entry));
            modules.set(fn.entry, p);
          }
          return p;
        },
      };
      locals.set(fn.logicalId, local);
    }
    const byRef = (ref: string): LocalLambda | undefined => {
      for (const [id, l] of locals) {
        if (ref === l.arn || ref.startsWith(`${l.arn}:`) || ref === l.functionName || ref === id) return l;
      }
      return undefined;
    };

    const sfnTimeout = options.timeoutSecondsOverride;
    const stepFunctions = await startStepFunctionsEndpoint({
      definition: stateMachine.definition,
      stateMachineArn: stateMachine.arn,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      timeoutSecondsOverride: sfnTimeout,
      resolveLambda: byRef,
      dynamodb: ddb,
      log,
      faults: options.faults,
      onStatusChange: async (event: ExecutionStatusChangeEvent) => {
        for (const target of ruleTargets) {
          const fn = locals.get(target.functionLogicalId);
          if (!fn) continue;
          try {
            await invokeLocalLambda(fn, JSON.parse(JSON.stringify(event)), 'local/events');
          } catch (err) {
            log(`[events] ${fn.functionName} failed on ${event.detail.name} ${event.detail.status}: ${(err as Error)?.stack ?? err}`);
          }
        }
      },
    });
    cleanups.push(() => stepFunctions.close());

    // Environment before any handler module is imported.
    process.env.AWS_REGION = LOCAL_REGION;
    process.env.AWS_DEFAULT_REGION = LOCAL_REGION;
    process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = ddbLocal.endpoint;
    process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.endpoint;
    process.env.AWS_ENDPOINT_URL_SQS = push.queues.endpoint;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = push.bus.endpoint;
    // The local stack only (never the construct): receivers on 127.0.0.1 / localhost may be called back.
    process.env.ALLOW_LOOPBACK_CALLBACKS = '1';
    process.env.AWS_ENDPOINT_URL_S3 = s3Local.endpoint;
    const envOverrides: Record<string, string> = {};
    const templateTimeout = stateMachine.definition.TimeoutSeconds;
    if (sfnTimeout !== undefined && templateTimeout !== undefined) {
      // A function env that carries the state machine's timeout follows the override.
      for (const fn of functions) {
        for (const [k, v] of Object.entries(fn.environment)) if (v === String(templateTimeout)) envOverrides[k] = String(sfnTimeout);
      }
    }
    if (options.sweepAgeSeconds !== undefined) envOverrides.SWEEP_AGE_SECONDS = String(options.sweepAgeSeconds);
    applyEnvironment(functions, log, envOverrides);
    // Streaming handlers call `awslambda.streamifyResponse` when their module loads.
    installAwsLambdaGlobal();

    const front = await startHttpFront({
      api,
      apiKeys: options.apiKeys,
      port: options.port ?? 0,
      resolveFunction: (id) => locals.get(id),
      accountId: LOCAL_ACCOUNT,
      log,
      // The browser example, next to the API it calls (same origin): local only, never deployed.
      pages: {
        [`/${api.stageName}/demo.html`]: {
          contentType: 'text/html; charset=utf-8',
          body: readFileSync(resolve(REPO_ROOT, 'examples/progress.html')),
        },
      },
    });
    cleanups.push(() => front.close());
    t = mark('servers', t);

    const schedules = startSchedules({
      targets: findScheduledTargets(template),
      resolveFunction: (id) => locals.get(id),
      intervalSecondsOverride: options.sweepIntervalSeconds,
      account: LOCAL_ACCOUNT,
      region: LOCAL_REGION,
      log,
    });
    // Stopped before the endpoints it calls.
    cleanups.push(() => schedules.stop());

    // Pushed tasks (webhooks, task events) link to this front, not to the template's execute-api URL.
    process.env.API_BASE_URL = front.baseUrl;
    // Import every handler now, so the first request does not pay for it.
    await Promise.all([...locals.values()].map((l) => l.load()));
    t = mark('handlers', t);
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
      dynamodbEndpoint: ddbLocal.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      s3Endpoint: s3Local.endpoint,
      resultsBucketName: functions.map((fn) => fn.environment.RESULTS_BUCKET_NAME).find(Boolean),
      tableName: table.tableName,
      stateMachineArn: stateMachine.arn,
      apiKeys: [...options.apiKeys],
      stepFunctions,
      schedules,
      push,
      sqsEndpoint: push.queues.endpoint,
      eventBusEndpoint: push.bus.endpoint,
      timings,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    if (!ddbLocal) await ddbPromise.then((d) => d.stop()).catch(() => {});
    await stopAll();
    throw err;
  }
}
