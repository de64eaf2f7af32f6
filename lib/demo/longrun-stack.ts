/** The deployable stack: the AsyncTaskApi construct running the demo worker, or a worker of the stage's own. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { TaskTypeSchemas } from '../../lambdas/domain/task-types.ts';
import { logRetentionOf } from '../async-task-api-props.ts';
import { AsyncTaskApi, type AsyncTaskApiProps } from '../index.ts';
import { demoCompensation, demoWorker } from './demo-worker.ts';
import { DEMO_TASK_TYPES } from './task-types.ts';

/** A worker the stack runs: its chain, its task types, the Lambda functions it invokes. */
export interface StackWorker {
  /** The job (input `{ taskId, type, input }`). */
  readonly chain: sfn.IChainable;
  /** The task types it accepts. */
  readonly taskTypes: TaskTypeSchemas;
  /** Its Lambda functions (alarms, reserved concurrency). @default - none */
  readonly functions?: lambda.Function[];
  /** Called once the API exists, e.g. to grant progress writes. @default - nothing */
  readonly connect?: (api: AsyncTaskApi) => void;
}

/** The construct's props a stack may set: everything but the worker and the task types. */
export type StackApiProps = Omit<AsyncTaskApiProps, 'worker' | 'taskTypes'>;

export interface LongrunStackProps extends StackProps {
  /**
   * Overrides of the construct's props, or a function of the stack giving them (for props that are
   * constructs of the stack: a key, a certificate, a hosted zone). @default - the construct's defaults
   */
  readonly api?: StackApiProps | ((stack: Stack) => StackApiProps);
  /** The worker: `'demo'` (primes, sleep, report, fail), or one built in the stack. @default 'demo' */
  readonly worker?: 'demo' | ((scope: Construct) => StackWorker);
}

export class LongrunStack extends Stack {
  /** The task API, with the worker plugged in. */
  public readonly api: AsyncTaskApi;
  /** The output `ApiUrl`: the API's base URL (a pipeline's smoke test reads it). */
  public readonly apiUrlOutput: CfnOutput;
  /** The outputs `ApiKeyId<consumer>`, keyed by consumer name. */
  public readonly apiKeyIdOutputs: Record<string, CfnOutput> = {};

  constructor(scope: Construct, id: string, props: LongrunStackProps = {}) {
    super(scope, id, props);
    const api = typeof props.api === 'function' ? props.api(this) : props.api;
    const worker = typeof props.worker === 'function' ? props.worker(this) : this.demo(api);
    this.api = new AsyncTaskApi(this, 'TaskApi', {
      workerFunctions: worker.functions,
      // The demo's short type runs on Express (docs/worker.md#express).
      ...(props.worker === undefined || props.worker === 'demo' ? { expressTaskTypes: ['quick'] } : {}),
      ...api,
      worker: worker.chain,
      taskTypes: worker.taskTypes,
      // Every demo type releases what it held when cancelled: docs/api.md#compensation.
      compensation: { chain: demoCompensation(this, 'DemoCompensation'), ...api?.compensation },
    });
    worker.connect?.(this.api);

    this.apiUrlOutput = new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the API (the custom domain, else the stage v1)',
    });
    new CfnOutput(this, 'TableName', { value: this.api.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.api.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ResultsBucketName', { value: this.api.resultsBucket.bucketName });
    if (this.api.monitoring) {
      const { alarmTopic, warningTopic } = this.api.monitoring;
      new CfnOutput(this, 'AlarmTopicArn', {
        value: alarmTopic.topicArn,
        description: 'Critical alarms notify this topic: aws sns subscribe --topic-arn <arn> --protocol email --notification-endpoint <address>',
      });
      if (warningTopic !== alarmTopic) {
        new CfnOutput(this, 'WarningAlarmTopicArn', { value: warningTopic.topicArn, description: 'Warning alarms notify this topic' });
      }
      new CfnOutput(this, 'DashboardName', { value: this.api.monitoring.dashboard.dashboardName });
    }
    for (const [name, key] of Object.entries(this.api.apiKeys)) {
      this.apiKeyIdOutputs[name] = new CfnOutput(this, `ApiKeyId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: key.keyId,
        description: `API key id of consumer ${name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }

  /** The demo worker: its functions are invoked by version, so a running task keeps the code it started with. */
  private demo(api: StackApiProps | undefined): StackWorker {
    const worker = demoWorker(this, 'DemoWorker', { logRetention: logRetentionOf(api?.logRetention).functions });
    return {
      chain: worker.chain,
      taskTypes: DEMO_TASK_TYPES,
      functions: [worker.countPrimesFunction, worker.makeReportFunction],
      connect: (api) => {
        api.grantProgress(worker.countPrimesFunction);
        api.grantResultWrite(worker.makeReportFunction);
      },
    };
  }
}
