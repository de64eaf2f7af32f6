/**
 * How every Lambda function of the construct is built: its code prebuilt into this package
 * (`dist/functions/<name>/index.mjs`, by `npm run build`), so a consumer's synth needs neither
 * esbuild nor Docker and gives the same asset hash every time; Node 22 on ARM, its own log group,
 * a role that may write only to it, and a `live` alias that every caller invokes (a rollout moves
 * it from one version to the next, see ./rollout.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_SERVICE } from '../../lambdas/observability/metric-names.ts';

/** CloudFormation metadata naming which of the construct's functions a resource is (`submit-task`, …). */
const FUNCTION_METADATA_KEY = 'Longrun:Function';

/** The alias API Gateway, event sources and rules invoke: a deploy moves it to the new version (at once, or gradually). */
const LIVE_ALIAS = 'live';

const LIVE_ALIASES = new WeakMap<lambda.IFunction, lambda.Alias>();

/** The `live` alias of a function built by {@link longrunFunction}: what every caller invokes. */
export function liveAlias(fn: lambda.IFunction): lambda.Alias {
  const alias = LIVE_ALIASES.get(fn);
  if (!alias) throw new Error(`@longrun/cdk: ${fn.node.path} has no '${LIVE_ALIAS}' alias (it was not built by longrunFunction)`);
  return alias;
}

/** This package's root: the folder of the package.json named `@longrun/cdk` (the repository, or node_modules/@longrun/cdk). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@longrun/cdk') return dir;
    if (dirname(dir) === dir) throw new Error(`@longrun/cdk: no package.json of @longrun/cdk above ${from}`);
  }
}

/** Where the prebuilt code of each function is. */
const FUNCTIONS_DIR = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'dist', 'functions');

/** The prebuilt code of one function; fails with the fix when it was never built (a fresh clone). */
function functionCode(name: string): lambda.Code {
  const dir = join(FUNCTIONS_DIR, name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`@longrun/cdk: the code of function '${name}' is not built (${dir}); run \`npm run build\` in the Longrun repository`);
  }
  return lambda.Code.fromAsset(dir);
}

export interface LongrunFunctionProps {
  /** The function's name in the construct: its handler module, e.g. `submit-task` (lambdas/http/submit-task.ts). */
  readonly name: string;
  /** Extra environment variables. @default - only `NODE_OPTIONS` and `POWERTOOLS_SERVICE_NAME` */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - none */
  readonly description?: string;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Encrypts the function's log group. @default - CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
}

/** One of the construct's functions, from its prebuilt code, with its `live` alias ({@link liveAlias}). */
export function longrunFunction(scope: Construct, id: string, props: LongrunFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    encryptionKey: props.encryptionKey,
  });
  // An own role instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new lambda.Function(scope, id, {
    code: functionCode(props.name),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? Duration.seconds(10),
    description: props.description,
    logGroup,
    role,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      ...props.environment,
    },
  });
  (fn.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);
  // The version is published from everything that shapes the code's behaviour (code, environment,
  // memory…), read at synth: a change made after this call (an environment variable) still counts.
  LIVE_ALIASES.set(fn, new lambda.Alias(scope, `${id}Live`, { aliasName: LIVE_ALIAS, version: fn.currentVersion }));
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Pinned to nodejs22.x on purpose: the prebuilt bundles target node22.',
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
  });
  return fn;
}
