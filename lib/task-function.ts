/**
 * One way to build every Lambda of the project: Node 22 on ARM, ESM bundle with source maps,
 * its own log group and a role that may write only to it.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root (the directory holding package.json and package-lock.json). */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** CloudFormation metadata key naming a function's source module, repo-relative. */
export const ENTRY_METADATA_KEY = 'Longrun:Entry';

/**
 * The esbuild-relevant bundling options of every function, exported so that `bench/bundles.ts`
 * measures exactly what is deployed.
 *
 * `externalModules: []` bundles the AWS SDK (v3) instead of taking it from the Lambda runtime:
 * bundled, minified and tree-shaken it is one pre-linked file instead of hundreds of
 * @smithy/@aws-sdk modules to resolve, so module load was ~1.6–1.9× faster for ~121 KiB gzipped
 * per zip (`npm run bench`, part 3, bench/results.md), and its version is pinned by
 * package-lock.json. The ESM bundle's `require` (from the banner) serves CommonJS code inside it.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  externalModules: [] as string[],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const satisfies BundlingOptions;

export interface TaskFunctionProps {
  /** The handler module, relative to the repository root, e.g. `lambdas/http/get-task.ts`. It exports `handler`. */
  readonly entry: string;
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
}

/**
 * A NodejsFunction built the project's way. Bundling is skipped automatically when the app is
 * synthesized with context `aws:cdk:bundling-stacks: []` (tests, the local stack).
 */
export function taskFunction(scope: Construct, id: string, props: TaskFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
  });
  // An own role instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new NodejsFunction(scope, id, {
    entry: path.join(REPO_ROOT, props.entry),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
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
      POWERTOOLS_SERVICE_NAME: 'longrun',
      ...props.environment,
    },
    bundling: { ...BUNDLING },
  });
  (fn.node.defaultChild as lambda.CfnFunction).addMetadata(ENTRY_METADATA_KEY, props.entry);
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Pinned to nodejs22.x on purpose: the bundles target node22 and package.json engines require Node 22.',
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
  });
  return fn;
}
