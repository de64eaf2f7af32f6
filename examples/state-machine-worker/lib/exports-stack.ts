/**
 * Example: an existing Step Functions state machine as the worker, started with
 * `startExecution.sync:2` (run a job and wait for it). The existing machine knows nothing about
 * Longrun: it receives its own input shape, mapped from the task's `input`, and its output becomes
 * the task result. Cancelling the task stops the parent execution; Step Functions then tries to
 * stop the child (best effort, as for every `.sync` job).
 * Deploy: `npx cdk deploy` in this folder (with `-c existingStateMachineArn=arn:aws:states:…` to use a
 * machine you already have).
 */

import { AsyncTaskApi, type AsyncTaskApiProps } from '@longrun/cdk';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
// cdk-nag's own rendering of a resource in a finding id (not re-exported from its index).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';

/** The `export` task type: the input the existing state machine expects. */
const EXPORT_TASK_TYPES = {
  export: {
    type: 'object',
    description: 'Exports a dataset in a format, run by the existing export state machine.',
    properties: {
      dataset: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
      format: { type: 'string', enum: ['csv', 'parquet'] },
    },
    required: ['dataset', 'format'],
    additionalProperties: false,
  },
};

export interface ExportsStackProps extends StackProps {
  /** ARN of the state machine to run. @default - a stand-in export state machine created here */
  readonly existingStateMachineArn?: string;
  /** Overrides of the construct's props (everything but the worker and task types). */
  readonly api?: Omit<AsyncTaskApiProps, 'worker' | 'taskTypes'>;
}

export class ExportsStack extends Stack {
  public readonly api: AsyncTaskApi;
  /** The state machine each task runs as a child execution. */
  public readonly job: sfn.IStateMachine;

  constructor(scope: Construct, id: string, props: ExportsStackProps = {}) {
    super(scope, id, props);
    this.job = props.existingStateMachineArn
      ? sfn.StateMachine.fromStateMachineArn(this, 'ExistingJob', props.existingStateMachineArn)
      : new StandInExportJob(this, 'ExportJob').stateMachine;

    const runJob = new tasks.StepFunctionsStartExecution(this, 'RunExportJob', {
      stateMachine: this.job,
      // RUN_JOB = startExecution.sync:2: wait for the child, whose Output arrives as parsed JSON.
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      // The existing machine's own input shape, mapped from the task's `input`.
      input: sfn.TaskInput.fromObject({ dataset: sfn.JsonPath.stringAt('$.input.dataset'), format: sfn.JsonPath.stringAt('$.input.format') }),
      // The child is named after the task, so it is easy to find and a retried start is idempotent.
      name: sfn.JsonPath.stringAt('$.taskId'),
      // Links the two executions (console, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID in the child's input).
      associateWithParent: true,
      outputPath: '$.Output',
    });

    this.api = new AsyncTaskApi(this, 'TaskApi', { ...props.api, worker: runJob, taskTypes: EXPORT_TASK_TYPES });

    this.acknowledgeExecutionWildcard();

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (stage v1)' });
    for (const [name, key] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: key.keyId,
        description: `API key id of consumer ${name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }

  /**
   * startExecution.sync:2 needs DescribeExecution/StopExecution on the child executions, whose
   * names (task ids) are unknown at deploy time: acknowledge exactly that resource, as cdk-nag
   * renders it, so any other wildcard still fails the check.
   */
  private acknowledgeExecutionWildcard(): void {
    const role = this.api.stateMachine.role;
    const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy;
    const document = this.resolve(policy.document.toJSON()) as { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
    for (const statement of document.Statement) {
      if (![statement.Action].flat().includes('states:DescribeExecution')) continue;
      for (const resource of [statement.Resource].flat()) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(resource)}]`,
          reason:
            'startExecution.sync:2 polls and stops the child executions of the job state machine; they are named after task ids, so no narrower ARN exists at deploy time.',
        });
      }
    }
  }
}

/** Stands in for the platform team's existing export workflow: waits, then names the file it wrote. */
class StandInExportJob extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const work = new sfn.Wait(this, 'Export', { time: sfn.WaitTime.duration(Duration.seconds(5)) });
    const done = new sfn.Pass(this, 'Exported', {
      parameters: {
        'dataset.$': '$.dataset',
        'format.$': '$.format',
        'location.$': "States.Format('exports/{}.{}', $.dataset, $.format)",
      },
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(work.next(done)),
      timeout: Duration.minutes(30),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_MONTH }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs delivery for Step Functions support no resource-level permissions.',
    });
  }
}
