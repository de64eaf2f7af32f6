/**
 * Example: a platform team's own Lambda worker behind Longrun. One task type, `monthly-report`, with its
 * own input schema; the worker is one LambdaInvoke state (the construct adds RecordSuccess and the
 * failure Catch around it). Deploy: `npx cdk deploy --app 'npx tsx examples/lambda-worker/app.ts'`;
 * run locally: `npm start -- --app examples/lambda-worker/stack.ts`.
 */
import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { AsyncTaskApi, type AsyncTaskApiProps } from '../../lib/async-task-api.ts';
import { taskFunction } from '../../lib/task-function.ts';

/** The `monthly-report` task type: its `input` must match this JSON Schema (checked at submit; 400 otherwise). */
export const REPORT_TASK_TYPES = {
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

export interface LambdaWorkerStackProps extends StackProps {
  /** Overrides of the construct's props (everything but the worker and task types). */
  readonly api?: Omit<AsyncTaskApiProps, 'worker' | 'taskTypes'>;
}

export class LambdaWorkerStack extends Stack {
  public readonly api: AsyncTaskApi;

  constructor(scope: Construct, id: string, props: LambdaWorkerStackProps = {}) {
    super(scope, id, props);
    // taskFunction: bundled like Longrun's own functions, and tagged so the local stack can run it.
    const reportFunction = taskFunction(this, 'ReportWorkerFunction', {
      entry: 'examples/lambda-worker/worker.ts',
      timeout: Duration.minutes(5),
      description: 'Example worker: monthly sales report',
    });
    const buildReport = new tasks.LambdaInvoke(this, 'BuildReport', {
      lambdaFunction: reportFunction,
      // No payload: the function receives the execution input { taskId, type, input };
      // payloadResponseOnly: its return value is the state output, hence the task result.
      payloadResponseOnly: true,
    });

    this.api = new AsyncTaskApi(this, 'TaskApi', { ...props.api, worker: buildReport, taskTypes: REPORT_TASK_TYPES });
    this.api.grantProgress(reportFunction);

    const functionId = this.getLogicalId(reportFunction.node.defaultChild as CfnElement);
    Validations.of(this.api.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason: 'The LambdaInvoke task grants the report function and its versions/aliases (<arn>:*), as Step Functions may invoke a qualified ARN.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (stage v1)' });
    for (const [name, key] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: key.keyId,
        description: `API key id of consumer ${name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }
}
