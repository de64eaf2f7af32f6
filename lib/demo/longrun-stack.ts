/** The deployable stack: the AsyncTaskApi construct running the demo worker. */
import { type CfnElement, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AsyncTaskApi, type AsyncTaskApiProps } from '../index.ts';
import { demoCompensation, demoWorker } from './demo-worker.ts';
import { DEMO_TASK_TYPES } from './task-types.ts';

export interface LongrunStackProps extends StackProps {
  /** Overrides of the construct's props (everything but the worker and task types). @default - the construct's defaults */
  readonly api?: Omit<AsyncTaskApiProps, 'worker' | 'taskTypes'>;
}

export class LongrunStack extends Stack {
  /** The task API, with the demo worker plugged in. */
  public readonly api: AsyncTaskApi;

  constructor(scope: Construct, id: string, props: LongrunStackProps = {}) {
    super(scope, id, props);
    const worker = demoWorker(this, 'DemoWorker', { logRetention: props.api?.logRetention });
    this.api = new AsyncTaskApi(this, 'TaskApi', {
      workerFunctions: [worker.countPrimesFunction, worker.makeReportFunction],
      ...props.api,
      worker: worker.chain,
      taskTypes: DEMO_TASK_TYPES,
      // Every demo type releases what it held when cancelled: docs/api.md#compensation.
      compensation: { chain: demoCompensation(this, 'DemoCompensation'), ...props.api?.compensation },
    });
    this.api.grantProgress(worker.countPrimesFunction);
    this.api.grantResultWrite(worker.makeReportFunction);
    for (const fn of [worker.countPrimesFunction, worker.makeReportFunction]) {
      const fnId = this.getLogicalId(fn.node.defaultChild as CfnElement);
      Validations.of(this.api.stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason: 'The LambdaInvoke task grants the worker function and its versions/aliases (<arn>:*), as Step Functions may invoke a qualified ARN.',
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (stage v1)' });
    new CfnOutput(this, 'TableName', { value: this.api.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.api.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ResultsBucketName', { value: this.api.resultsBucket.bucketName });
    if (this.api.monitoring) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: this.api.monitoring.alarmTopic.topicArn,
        description: 'Every alarm notifies this topic: aws sns subscribe --topic-arn <arn> --protocol email --notification-endpoint <address>',
      });
      new CfnOutput(this, 'DashboardName', { value: this.api.monitoring.dashboard.dashboardName });
    }
    for (const [name, key] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: key.keyId,
        description: `API key id of consumer ${name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }
}
