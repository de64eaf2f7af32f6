/**
 * Example: a platform team's own Lambda worker behind Longrun. One task type, `monthly-report`, with
 * its own input schema; the worker is one LambdaInvoke state (the construct adds RecordSuccess and
 * the failure Catch around it), its function a plain NodejsFunction bundled at synth.
 * Run locally: `npx longrun-local`; deploy: `npx cdk deploy`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsyncTaskApi, type AsyncTaskApiProps } from '@longrun/cdk';
import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** The `monthly-report` task type: its `input` must match this JSON Schema (checked at submit; 400 otherwise). */
const REPORT_TASK_TYPES = {
  'monthly-report': {
    type: 'object',
    description: 'Builds the monthly sales report of a region, one day at a time.',
    properties: {
      month: { type: 'string', pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$' },
      region: { type: 'string', enum: ['eu', 'us', 'apac'] },
    },
    required: ['month'],
    additionalProperties: false,
  },
};

export interface ReportsStackProps extends StackProps {
  /** Overrides of the construct's props (everything but the worker and task types). */
  readonly api?: Omit<AsyncTaskApiProps, 'worker' | 'taskTypes'>;
}

export class ReportsStack extends Stack {
  public readonly api: AsyncTaskApi;
  /** The worker function. */
  public readonly reportFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: ReportsStackProps = {}) {
    super(scope, id, props);
    this.reportFunction = new NodejsFunction(this, 'ReportWorkerFunction', {
      entry: join(dirname(fileURLToPath(import.meta.url)), '..', 'functions', 'worker.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(5),
      description: 'Example worker: monthly sales report',
      bundling: { format: OutputFormat.ESM, minify: true, sourceMap: true },
    });
    const buildReport = new tasks.LambdaInvoke(this, 'BuildReport', {
      lambdaFunction: this.reportFunction,
      // No payload: the function receives the execution input { taskId, type, input };
      // payloadResponseOnly: its return value is the state output, hence the task result.
      payloadResponseOnly: true,
    });

    this.api = new AsyncTaskApi(this, 'TaskApi', {
      ...props.api,
      worker: buildReport,
      taskTypes: REPORT_TASK_TYPES,
      workerFunctions: [this.reportFunction],
    });
    this.api.grantProgress(this.reportFunction);

    const functionId = this.getLogicalId(this.reportFunction.node.defaultChild as CfnElement);
    Validations.of(this.api.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason: 'The LambdaInvoke task grants the report function and its versions/aliases (<arn>:*), as Step Functions may invoke a qualified ARN.',
    });
    Validations.of(this.reportFunction).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "The worker's logging permissions: the AWS managed basic execution role.",
    });
    Validations.of(this.reportFunction).acknowledge({ id: 'AwsSolutions-L1', reason: 'Node.js 22, the runtime the worker is tested on.' });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (stage v1)' });
    for (const [name, key] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: key.keyId,
        description: `API key id of consumer ${name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }
}
