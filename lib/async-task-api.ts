/**
 * AsyncTaskApi: any Step Functions worker behind an asynchronous HTTP API. A facade: it validates
 * the props and composes one construct per capability (lib/task-api/), each of which receives what
 * it uses and exposes what it creates.
 * client --> TaskHttpApi (API Gateway /v1, route Lambdas) --> TaskTable + TaskWorkflow (worker + RecordSuccess/RecordFailure)
 *            ExecutionBackstop: execution status change events --> reconcile Lambda;  ApiFirewall: WAF on the stage
 *            TaskMonitoring: alarms (--> SNS topic) and one dashboard over all of the above
 *            WebhookDelivery + TaskEvents: the table's stream --> callbackUrl (signed, retried) and an EventBridge bus
 */

import { PROGRESS_WRITE } from '@longrun/worker/protocol';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { type AsyncTaskApiProps, validateProps } from './async-task-api-props.ts';
import { AWAIT_INPUT_FUNCTION } from './task-api/await-input.ts';
import { ExecutionBackstop, RECONCILE_FUNCTION } from './task-api/backstop.ts';
import { TaskCompensation } from './task-api/compensation.ts';
import { reserveConcurrency } from './task-api/concurrency.ts';
import { EXPIRE_FUNCTION, TaskDeadlines } from './task-api/deadlines.ts';
import { ApiFirewall } from './task-api/firewall.ts';
import { TaskHttpApi } from './task-api/http-api.ts';
import { TaskMonitoring } from './task-api/monitoring.ts';
import { TaskEvents, WebhookDelivery } from './task-api/push.ts';
import { ResultsBucket } from './task-api/results-bucket.ts';
import { SWEEPER_FUNCTION, TaskSweeper } from './task-api/sweeper.ts';
import { TaskTable } from './task-api/table.ts';
import { TaskWorkflow } from './task-api/workflow.ts';

/** Every attribute a progress write names (key, condition and SET), from the domain's own expression. */
const PROGRESS_ATTRIBUTES = [...new Set(Object.values(PROGRESS_WRITE.names))].sort();
/** Task rows only (ids are UUIDv7), never an idempotency claim or any other item kind. */
const TASK_ID_PATTERN = '????????-????-7???-????-????????????';

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
  /** Every function the construct creates, keyed by handler name (`submit-task`, …, `reconcile-execution`, `deliver-webhook`, …). */
  public readonly functions: Record<string, lambda.Function>;
  /** One API key per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly apiKeys: Record<string, apigateway.IApiKey>;
  /** One usage plan per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly usagePlans: Record<string, apigateway.UsagePlan>;
  /** The EventBridge rule routing execution status changes to the reconcile function. */
  public readonly reconcileRule: events.Rule;
  /** Dead-letter queue of events the reconcile function could not take. */
  public readonly reconcileDeadLetterQueue: sqs.Queue;
  /** On-failure destination of the reconcile function's asynchronous invocations. */
  public readonly reconcileFailureQueue: sqs.Queue;
  /** The schedule of the sweeper (`functions['sweep-tasks']`). */
  public readonly sweepSchedule: events.Rule;
  /** The web ACL protecting the stage, unless `waf: false`. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The bearer-token authorizer, with `auth: jwt`. */
  public readonly authorizer?: apigateway.TokenAuthorizer;
  /** Alarms, their topic and the dashboard, unless `monitoring: false`. */
  public readonly monitoring?: TaskMonitoring;
  /** Webhooks: the delivery queue, its dead-letter queue, the stream failure queue and both functions. */
  public readonly webhooks: WebhookDelivery;
  /** Events for servers: the bus (`eventBus`), the publisher and its stream failure queue. */
  public readonly taskEvents: TaskEvents;
  /** Results too large to return inline (`results/<taskId>.json`); they expire with their task. */
  public readonly resultsBucket: s3.Bucket;
  /** Deadlines (`Cancel-After`): the schedule group, its role and the expire function. */
  public readonly deadlines: TaskDeadlines;
  /** The compensation workflow, with the `compensation` prop. */
  public readonly compensation?: TaskCompensation;
  /** The key capability URLs of awaited input are derived with, when the worker has `awaitInput` states. */
  public readonly inputCapabilityKey?: secretsmanager.Secret;

  private readonly results: ResultsBucket;

  constructor(scope: Construct, id: string, props: AsyncTaskApiProps) {
    super(scope, id);
    validateProps(props);
    const executionTimeout = props.executionTimeout ?? Duration.hours(1);
    const retention = props.retention ?? Duration.days(7);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new TaskTable(this, 'Table', { removalPolicy: props.removalPolicy, legacyOwnerIndex: props.legacyOwnerIndex }).table;
    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      TASK_RETENTION_SECONDS: String(retention.toSeconds()),
    };
    if (props.corsAllowOrigins) environment.CORS_ALLOW_ORIGINS = props.corsAllowOrigins.join(',');
    const workflow = new TaskWorkflow(this, 'Workflow', {
      table: this.table,
      worker: props.worker,
      timeout: executionTimeout,
      logRetention,
      keepFailedOpen: props.compensation?.onFailure ?? false,
      environment,
    });
    this.stateMachine = workflow.stateMachine;
    this.deadlines = new TaskDeadlines(this, 'Deadlines', {
      table: this.table,
      stateMachine: this.stateMachine,
      executionsArn: workflow.executionsArn,
      environment,
      logRetention,
    });
    if (props.compensation) {
      this.compensation = new TaskCompensation(this, 'Compensation', { ...props.compensation, table: this.table, logRetention });
    }
    // Capability URLs of awaited input are derived from a secret outside the table (docs/api.md#input).
    let renderEnvironment: Record<string, string> | undefined;
    if (workflow.awaitInputFunction) {
      this.inputCapabilityKey = new secretsmanager.Secret(this, 'InputCapabilityKey', {
        description: 'Longrun: the key capability URLs of awaited input are derived with (HMAC-SHA-256)',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      Validations.of(this.inputCapabilityKey).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'A rotation would break every capability URL handed out; the key never leaves the functions that derive and check the URLs.',
      });
      renderEnvironment = { INPUT_CAPABILITY_KEY: this.inputCapabilityKey.secretValue.unsafeUnwrap() };
    }

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
      deadlines: this.deadlines,
      renderEnvironment,
    });
    this.api = http.api;
    this.apiKeys = http.apiKeys;
    this.usagePlans = http.usagePlans;
    this.authorizer = http.authorizer;

    this.results = new ResultsBucket(this, 'Results', {
      retention,
      executionTimeout,
      removalPolicy: props.removalPolicy,
      serverAccessLogsBucket: props.resultsAccessLogsBucket,
      corsAllowOrigins: props.corsAllowOrigins,
    });
    this.resultsBucket = this.results.bucket;
    this.results.grantResultRead(http.functions['get-task-result']!);
    // A purge deletes the stored result.
    this.results.grantResultDelete(http.functions['cancel-task']!);

    if (props.waf ?? true) {
      this.webAcl = new ApiFirewall(this, 'Firewall', {
        stage: this.api.deploymentStage,
        callerHeader: props.auth?.type === 'jwt' ? 'authorization' : 'x-api-key',
        // The stage's steady rate over WAF's 5-minute window: a backstop behind the usage plans.
        requestsPerFiveMinutes: Math.max(100, Math.ceil((props.throttle?.rateLimit ?? 50) * 300)),
      }).webAcl;
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF switched off with the `waf: false` prop; the deployer protects the stage otherwise.',
      });
    }

    // The backstop and the sweeper start compensations once an attempt's execution has ended.
    const compensationEnvironment: Record<string, string> = this.compensation
      ? { COMPENSATION_STATE_MACHINE_ARN: this.compensation.stateMachine.stateMachineArn, COMPENSATE_ON: this.compensation.compensateOn.join(',') }
      : {};
    const backstop = new ExecutionBackstop(this, 'Backstop', {
      table: this.table,
      stateMachine: this.stateMachine,
      environment: { ...environment, ...compensationEnvironment },
      logRetention,
    });
    this.reconcileRule = backstop.rule;
    this.reconcileDeadLetterQueue = backstop.deadLetterQueue;
    this.reconcileFailureQueue = backstop.failureQueue;
    const sweeper = new TaskSweeper(this, 'Sweeper', {
      table: this.table,
      stateMachine: this.stateMachine,
      executionsArn: workflow.executionsArn,
      environment: { ...environment, ...compensationEnvironment },
      logRetention,
      interval: props.sweepInterval,
      age: props.sweepAge,
    });
    this.sweepSchedule = sweeper.schedule;
    // The sweeper starts an attempt as submit does (its deadline first) and expires one past its deadline.
    this.deadlines.grantScheduling(sweeper.sweepFunction);
    if (this.compensation) {
      for (const fn of [backstop.reconcileFunction, sweeper.sweepFunction]) this.compensation.stateMachine.grantStartExecution(fn);
    }
    // Pushed tasks carry absolute links like the API's (on the execute-api URL; a custom domain would need a prop).
    const apiBaseUrl = this.api.url;
    this.webhooks = new WebhookDelivery(this, 'Webhooks', {
      table: this.table,
      environment,
      logRetention,
      apiBaseUrl,
      deliveryEnvironment: renderEnvironment,
    });
    this.taskEvents = new TaskEvents(this, 'Events', {
      table: this.table,
      environment,
      logRetention,
      apiBaseUrl,
      eventBus: props.eventBus,
      source: props.eventSource,
    });
    this.functions = {
      ...http.functions,
      [RECONCILE_FUNCTION]: backstop.reconcileFunction,
      [SWEEPER_FUNCTION]: sweeper.sweepFunction,
      'forward-terminal': this.webhooks.forwardFunction,
      'deliver-webhook': this.webhooks.deliveryFunction,
      'publish-events': this.taskEvents.publishFunction,
      [EXPIRE_FUNCTION]: this.deadlines.expireFunction,
      ...(workflow.awaitInputFunction && { [AWAIT_INPUT_FUNCTION]: workflow.awaitInputFunction }),
    };

    const workerFunctions = props.workerFunctions ?? [];
    reserveConcurrency(Object.values(http.functions), props.reservedConcurrency, 'api');
    reserveConcurrency([backstop.reconcileFunction, sweeper.sweepFunction, this.deadlines.expireFunction], props.reservedConcurrency, 'backstop');
    reserveConcurrency(workerFunctions, props.reservedConcurrency, 'worker');

    if (props.monitoring !== false) {
      this.monitoring = new TaskMonitoring(this, 'Monitoring', {
        api: this.api,
        functions: Object.values(this.functions),
        workerFunctions,
        stateMachine: this.stateMachine,
        table: this.table,
        webAcl: this.webAcl,
        deadLetterQueues: [
          this.reconcileDeadLetterQueue,
          this.reconcileFailureQueue,
          this.webhooks.deadLetterQueue,
          this.webhooks.streamFailureQueue,
          this.taskEvents.streamFailureQueue,
        ],
        alarmTopic: props.alarmTopic,
        runbookUrl: props.monitoring?.runbookUrl,
        // An open task older than the longest execution plus a sweep or two is stuck.
        thresholds: { oldestOpenTaskAge: executionTimeout.plus(Duration.minutes(15)), ...props.monitoring?.thresholds },
      });
    }
  }

  /**
   * Lets a worker Lambda record progress (and see a cancellation): `dynamodb:UpdateItem` on the
   * task table, limited to task rows (`dynamodb:LeadingKeys`: a task id) and to the attributes a
   * progress write touches (`dynamodb:Attributes`), returning none of the others, so a worker can
   * never rewrite a task's `owner`, `result` or `error`, nor read them. A `lambda.Function` also
   * gets `TABLE_NAME`.
   */
  public grantProgress(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': PROGRESS_ATTRIBUTES },
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [TASK_ID_PATTERN] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      }),
    );
    if (grantee instanceof lambda.Function) grantee.addEnvironment('TABLE_NAME', this.table.tableName);
  }

  /**
   * Lets a worker Lambda store results too large to return (`storeLargeResult` / `resultOf` of
   * `@longrun/worker`): `s3:PutObject` on `results/*` of `resultsBucket` only; a
   * `lambda.Function` also gets `RESULTS_BUCKET_NAME`.
   */
  public grantResultWrite(grantee: iam.IGrantable): void {
    this.results.grantResultWrite(grantee);
  }
}
