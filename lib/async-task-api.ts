/**
 * AsyncTaskApi: any Step Functions worker behind an asynchronous HTTP API. A facade: it validates
 * the props and composes one construct per capability (lib/task-api/), each of which receives what
 * it uses and exposes what it creates.
 * client --> TaskHttpApi (API Gateway /v1, route Lambdas) --> TaskTable + TaskWorkflow (worker + RecordSuccess/RecordFailure)
 *            ExecutionBackstop: execution status change events --> reconcile Lambda;  ApiFirewall: WAF on the stage
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { validateProps, type AsyncTaskApiProps } from './async-task-api-props.ts';
import { ExecutionBackstop, RECONCILE_FUNCTION } from './task-api/backstop.ts';
import { ApiFirewall } from './task-api/firewall.ts';
import { allow } from './task-api/grants.ts';
import { TaskHttpApi } from './task-api/http-api.ts';
import { TaskTable } from './task-api/table.ts';
import { TaskWorkflow } from './task-api/workflow.ts';

export type { ApiAuth, ApiConsumer, AsyncTaskApiProps } from './async-task-api-props.ts';
export { RECONCILE_FUNCTION } from './task-api/backstop.ts';
export { SHELL_STATES } from './task-api/workflow.ts';

/**
 * An asynchronous task API: submit, poll, fetch the result, list and cancel tasks run by `worker`.
 * Tasks live in `table`; each runs as one execution of `stateMachine` (named after the task id).
 */
export class AsyncTaskApi extends Construct {
  /** The task table: partition key `id`, GSI `byOwner` (`owner`, `id`), TTL attribute `ttl`. */
  public readonly table: dynamodb.Table;
  /** The workflow: `worker`, then `RecordSuccess`; failures go to `RecordFailure` and `Failed`. */
  public readonly stateMachine: sfn.StateMachine;
  /** The REST API; its stage is `v1`. */
  public readonly api: apigateway.RestApi;
  /** Every function the construct creates, keyed by handler name (`submit-task`, …, `reconcile-execution`). */
  public readonly functions: Record<string, NodejsFunction>;
  /** One API key per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly apiKeys: Record<string, apigateway.IApiKey>;
  /** One usage plan per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly usagePlans: Record<string, apigateway.UsagePlan>;
  /** The EventBridge rule routing execution status changes to the reconcile function. */
  public readonly reconcileRule: events.Rule;
  /** Dead-letter queue of events the reconcile function could not take. */
  public readonly reconcileDeadLetterQueue: sqs.Queue;
  /** The web ACL protecting the stage, unless `waf: false`. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The bearer-token authorizer, with `auth: jwt`. */
  public readonly authorizer?: apigateway.TokenAuthorizer;

  constructor(scope: Construct, id: string, props: AsyncTaskApiProps) {
    super(scope, id);
    validateProps(props);
    const executionTimeout = props.executionTimeout ?? Duration.hours(1);
    const retention = props.retention ?? Duration.days(7);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new TaskTable(this, 'Table', { removalPolicy: props.removalPolicy }).table;
    const workflow = new TaskWorkflow(this, 'Workflow', { table: this.table, worker: props.worker, timeout: executionTimeout, logRetention });
    this.stateMachine = workflow.stateMachine;

    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      TASK_RETENTION_SECONDS: String(retention.toSeconds()),
    };
    if (props.corsAllowOrigins) environment.CORS_ALLOW_ORIGINS = props.corsAllowOrigins.join(',');

    const http = new TaskHttpApi(this, 'Http', {
      table: this.table,
      stateMachine: this.stateMachine,
      executionsArn: workflow.executionsArn,
      environment,
      taskTypes: props.taskTypes,
      executionTimeout,
      idempotencyKeyTtl: props.idempotencyKeyTtl ?? Duration.hours(24),
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      consumers: props.consumers ?? [{ name: 'default' }],
      auth: props.auth ?? { type: 'apiKey' },
      corsAllowOrigins: props.corsAllowOrigins,
      logRetention,
    });
    this.api = http.api;
    this.apiKeys = http.apiKeys;
    this.usagePlans = http.usagePlans;
    this.authorizer = http.authorizer;

    if (props.waf ?? true) {
      this.webAcl = new ApiFirewall(this, 'Firewall', { stage: this.api.deploymentStage }).webAcl;
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF switched off with the `waf: false` prop; the deployer protects the stage otherwise.',
      });
    }

    const backstop = new ExecutionBackstop(this, 'Backstop', { table: this.table, stateMachine: this.stateMachine, environment, logRetention });
    this.reconcileRule = backstop.rule;
    this.reconcileDeadLetterQueue = backstop.deadLetterQueue;
    this.functions = { ...http.functions, [RECONCILE_FUNCTION]: backstop.reconcileFunction };
  }

  /**
   * Lets a worker Lambda record progress (and see a cancellation): `dynamodb:UpdateItem` and
   * `dynamodb:GetItem` on the task table; a `lambda.Function` also gets `TABLE_NAME`.
   */
  public grantProgress(grantee: iam.IGrantable): void {
    allow(grantee, ['dynamodb:UpdateItem', 'dynamodb:GetItem'], [this.table.tableArn]);
    if (grantee instanceof lambda.Function) grantee.addEnvironment('TABLE_NAME', this.table.tableName);
  }
}
