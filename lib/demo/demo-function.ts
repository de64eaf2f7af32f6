/**
 * A Lambda function of the demo worker, built as any consumer builds its own: a NodejsFunction
 * bundled by esbuild at synth (Longrun's own functions come prebuilt instead), Node 22 on ARM, its
 * own log group, and a role that may write only to it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DemoFunctionProps {
  /** The handler module in lib/demo/functions/, e.g. `count-primes`. */
  readonly name: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly description: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export function demoFunction(scope: Construct, id: string, props: DemoFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new NodejsFunction(scope, id, {
    entry: join(REPO_ROOT, 'lib', 'demo', 'functions', `${props.name}.ts`),
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    description: props.description,
    logGroup,
    role,
    tracing: lambda.Tracing.ACTIVE,
    environment: { NODE_OPTIONS: '--enable-source-maps' },
    bundling: {
      minify: true,
      sourceMap: true,
      target: 'node22',
      format: OutputFormat.ESM,
      mainFields: ['module', 'main'],
      externalModules: [],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
  });
  Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: 'Pinned to nodejs22.x on purpose: the bundles target node22.' });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
  });
  return fn;
}
