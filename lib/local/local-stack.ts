/**
 * The whole stack on one machine: DynamoDB Local, the synthesized template, the table it defines,
 * the state machine it defines (local Step Functions endpoint), the events rule target, and the
 * REST API (local HTTP front). The handlers run unchanged: their SDK clients are pointed at the
 * local endpoints through `AWS_ENDPOINT_URL_*` environment variables set before they are imported.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from './create-table.ts';
import { LOCAL_CREDENTIALS, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { startHttpFront } from './http-front.ts';
import {
  type ExecutionStatusChangeEvent,
  invokeLocalLambda,
  type LambdaHandler,
  type LocalLambda,
  type StepFunctionsEndpoint,
  startStepFunctionsEndpoint,
} from './step-functions-endpoint.ts';
import {
  type CfnTemplate,
  findApi,
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
  /** Keep DynamoDB data in this directory between runs (default: in memory). */
  persistDir?: string;
  log?: (line: string) => void;
  /** Replaces the state machine's top-level TimeoutSeconds (and the matching function env). */
  timeoutSecondsOverride?: number;
  /** Use this template instead of synthesizing lib/longrun-stack.ts. */
  template?: CfnTemplate;
  /** Origins allowed by CORS, as the construct's `corsAllowOrigins` (default: no CORS). */
  corsAllowOrigins?: string[];
}

export interface LocalStack {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  dynamodbEndpoint: string;
  stepFunctionsEndpoint: string;
  tableName: string;
  stateMachineArn: string;
  apiKeys: string[];
  /** The Step Functions endpoint (execution stats for the benchmark). */
  stepFunctions: StepFunctionsEndpoint;
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
    const template = options.template ??
      (await synthesizeTemplate(options.corsAllowOrigins?.length ? { stackProps: { api: { corsAllowOrigins: options.corsAllowOrigins } } } : {}));
    t = mark('synth', t);
    ddbLocal = await ddbPromise;
    cleanups.push(() => ddbLocal!.stop());
    t = Date.now();

    const values = localValues(template);
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
    const envOverrides: Record<string, string> = {};
    const templateTimeout = stateMachine.definition.TimeoutSeconds;
    if (sfnTimeout !== undefined && templateTimeout !== undefined) {
      // A function env that carries the state machine's timeout follows the override.
      for (const fn of functions) {
        for (const [k, v] of Object.entries(fn.environment)) if (v === String(templateTimeout)) envOverrides[k] = String(sfnTimeout);
      }
    }
    applyEnvironment(functions, log, envOverrides);

    const front = await startHttpFront({
      api,
      apiKeys: options.apiKeys,
      port: options.port ?? 0,
      resolveFunction: (id) => locals.get(id),
      accountId: LOCAL_ACCOUNT,
      log,
    });
    cleanups.push(() => front.close());
    t = mark('servers', t);

    // Import every handler now, so the first request does not pay for it.
    await Promise.all([...locals.values()].map((l) => l.load()));
    mark('handlers', t);
    timings.total = Date.now() - t0;

    let stopped: Promise<void> | undefined;
    return {
      baseUrl: front.baseUrl,
      dynamodbEndpoint: ddbLocal.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      tableName: table.tableName,
      stateMachineArn: stateMachine.arn,
      apiKeys: [...options.apiKeys],
      stepFunctions,
      timings,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    if (!ddbLocal) await ddbPromise.then((d) => d.stop()).catch(() => {});
    await stopAll();
    throw err;
  }
}
