/**
 * AsyncTaskApi: any Step Functions worker behind an asynchronous HTTP API. A facade: it validates
 * the props and composes one construct per capability (lib/task-api/), each of which receives what
 * it uses and exposes what it creates.
 * client --> [ApiDomain] --> TaskHttpApi (API Gateway /v1, route Lambdas) --> TaskTable + TaskWorkflow (worker + RecordSuccess/RecordFailure)
 *            ExecutionBackstop: execution status change events --> reconcile Lambda;  ApiFirewall: WAF on the stage
 *            TaskMonitoring: alarms (--> critical / warning topics) and one dashboard over all of the above
 *            WebhookDelivery + TaskEvents: the table's stream --> callbackUrl (signed, retried) and an EventBridge bus
 *            LiveUpdates: a WebSocket API; the events reader posts task changes to its followers (watch tokens from TaskHttpApi)
 *            TaskInsights: a saved query for one task, the top callers;  TaskRollout: gradual deploys, rolled back by alarms
 */

import { PROGRESS_WRITE } from '@longrun/worker/protocol';
import { Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { type AsyncTaskApiProps, DEFAULT_THROTTLE, heldConnectionsOf, logRetentionOf, validateProps } from './async-task-api-props.ts';
import { errorCorsOrigin } from './problem-responses.ts';
import { AWAIT_INPUT_FUNCTION } from './task-api/await-input.ts';
import { ExecutionBackstop, RECONCILE_FUNCTION } from './task-api/backstop.ts';
import { TaskCompensation } from './task-api/compensation.ts';
import { reserveConcurrency } from './task-api/concurrency.ts';
import { ApiDomain } from './task-api/custom-domain.ts';
import { EXPIRE_FUNCTION, TaskDeadlines } from './task-api/deadlines.ts';
import { allowServicesToUseKey, grantKeyUse } from './task-api/encryption.ts';
import { ApiFirewall } from './task-api/firewall.ts';
import { liveAlias } from './task-api/function.ts';
import { heldConnectionBudgets, TaskHttpApi } from './task-api/http-api.ts';
import { TaskInsights } from './task-api/insights.ts';
import { LiveUpdates } from './task-api/live.ts';
import { TaskMonitoring } from './task-api/monitoring.ts';
import { TaskEvents, WebhookDelivery } from './task-api/push.ts';
import { ResultsBucket } from './task-api/results-bucket.ts';
import { TaskRollout } from './task-api/rollout.ts';
import { SWEEPER_FUNCTION, TaskSweeper } from './task-api/sweeper.ts';
import { TaskTable } from './task-api/table.ts';
import { type ExpressWorkflow, TaskWorkflow } from './task-api/workflow.ts';

/** Every attribute a progress write names (key, condition and SET), from the domain's own expression. */
const PROGRESS_ATTRIBUTES = [...new Set(Object.values(PROGRESS_WRITE.names))].sort();
/** Task rows only (ids are UUIDv7), never an idempotency claim or any other item kind. */
const TASK_ID_PATTERN = '????????-????-7???-????-????????????';

/** The longest SQS keeps a message. */
const MAX_QUEUE_RETENTION = Duration.days(14);

/**
 * An asynchronous task API: submit, poll, fetch the result, list and cancel tasks run by `worker`.
 * Tasks live in `table`; each runs as one execution of `stateMachine` (named after the task id).
 */
export class AsyncTaskApi extends Construct {
  /** The task table: partition key `id`, GSI `byOwner` (`owner`, `id`), TTL attribute `ttl`. */
  public readonly table: dynamodb.Table;
  /** The workflow: `worker`, then `RecordSuccess`; failures go to `RecordFailure` and `Failed`. */
  public readonly stateMachine: sfn.StateMachine;
  /** With `expressTaskTypes`: the Express state machine those task types run on (the same worker and records). */
  public readonly expressStateMachine?: sfn.StateMachine;
  /** With `expressTaskTypes`: the Express state machine, its task types and its timeout. */
  public readonly express?: ExpressWorkflow;
  /** The state machine's `live` alias: executions start through it, each on the version it points to then. */
  public readonly stateMachineAlias: sfn.CfnStateMachineAlias;
  /** The REST API; its stage is `v1`. */
  public readonly api: apigateway.RestApi;
  /** Every function the construct creates, keyed by handler name (`submit-task`, …, `reconcile-execution`, `deliver-webhook`, …). */
  public readonly functions: Record<string, lambda.Function>;
  /** The `live` alias of each function (what API Gateway, event sources and rules invoke), keyed like `functions`. */
  public readonly liveAliases: Record<string, lambda.Alias>;
  /** The name that keeps this deployment's metrics, alarms and rules apart from another's in the account. */
  public readonly deploymentName: string;
  /** The API's base URL: the custom domain's when `domain` is given, else the stage's execute-api URL. */
  public readonly url: string;
  /** The custom domain, with `domain`. */
  public readonly customDomain?: ApiDomain;
  /** The saved Logs Insights query for one task and the top-callers Contributor Insights rule. */
  public readonly insights: TaskInsights;
  /** CodeDeploy groups of the functions, and the state machine alias's deployment preference, unless `rollout: false`. */
  public readonly rollout?: TaskRollout;
  /** Every API key, keyed by consumer name for its `primary` key and `consumer/keyName` for others (empty with `auth: jwt`). */
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
  /** The live channel (WebSocket API, its functions, the stream fan-out), unless `liveUpdates: false`. */
  public readonly live?: LiveUpdates;
  /** Deadlines (`Cancel-After`): the schedule group, its role and the expire function. */
  public readonly deadlines: TaskDeadlines;
  /** The compensation workflow, with the `compensation` prop. */
  public readonly compensation?: TaskCompensation;
  /** The key capability URLs of awaited input are derived with, when the worker has `awaitInput` states. */
  public readonly inputCapabilityKey?: secretsmanager.Secret;

  private readonly results: ResultsBucket;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: AsyncTaskApiProps) {
    super(scope, id);
    validateProps(props);
    const executionTimeout = props.executionTimeout ?? Duration.hours(1);
    const retention = props.retention ?? Duration.days(7);
    const logRetention = logRetentionOf(props.logRetention);
    // A failed event or delivery is of no use once its task is gone (SQS keeps messages 60 s to 14 days).
    const failureRetention = Duration.seconds(Math.max(60, Math.min(retention.toSeconds(), MAX_QUEUE_RETENTION.toSeconds())));
    const encryptionKey = props.encryptionKey;
    this.encryptionKey = encryptionKey;
    this.deploymentName = props.deploymentName ?? Stack.of(this).stackName;
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this).add(key, value);
    if (encryptionKey) allowServicesToUseKey(this, encryptionKey);

    this.table = new TaskTable(this, 'Table', {
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
      encryptionKey,
      legacyOwnerIndex: props.legacyOwnerIndex,
    }).table;
    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      TASK_RETENTION_SECONDS: String(retention.toSeconds()),
      // The business metrics' `service` dimension and the logs' `service` key: this deployment's own.
      POWERTOOLS_SERVICE_NAME: this.deploymentName,
    };
    if (props.corsAllowOrigins) environment.CORS_ALLOW_ORIGINS = props.corsAllowOrigins.join(',');
    const workflow = new TaskWorkflow(this, 'Workflow', {
      table: this.table,
      worker: props.worker,
      timeout: executionTimeout,
      logRetention: logRetention.workflow,
      logLevel: props.workflowLogLevel,
      encryptionKey,
      keepFailedOpen: props.compensation?.onFailure ?? false,
      environment,
      ...(props.expressTaskTypes && { express: { timeout: props.expressTimeout ?? Duration.minutes(5) } }),
    });
    if (workflow.expressStateMachine) {
      this.expressStateMachine = workflow.expressStateMachine;
      this.express = {
        stateMachine: workflow.expressStateMachine,
        taskTypes: props.expressTaskTypes ?? [],
        timeout: props.expressTimeout ?? Duration.minutes(5),
      };
    }
    this.stateMachine = workflow.stateMachine;
    this.stateMachineAlias = workflow.alias;
    this.deadlines = new TaskDeadlines(this, 'Deadlines', {
      table: this.table,
      stateMachine: this.stateMachine,
      executionsArn: workflow.executionsArn,
      environment,
      logRetention: logRetention.functions,
      encryptionKey,
    });
    if (props.compensation) {
      this.compensation = new TaskCompensation(this, 'Compensation', {
        ...props.compensation,
        table: this.table,
        logRetention: logRetention.workflow,
        logLevel: props.workflowLogLevel,
        encryptionKey,
      });
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
      startExecutionArn: workflow.aliasArn,
      executionsArn: workflow.executionsArn,
      express: this.express,
      environment,
      taskTypes: props.taskTypes,
      executionTimeout,
      idempotencyKeyTtl: props.idempotencyKeyTtl ?? Duration.hours(24),
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      consumers: props.consumers ?? [{ name: 'default' }],
      auth: props.auth ?? { type: 'apiKey' },
      corsAllowOrigins: props.corsAllowOrigins,
      logRetention: logRetention.functions,
      accessLogRetention: logRetention.accessLogs,
      executionLogRetention: logRetention.executionLogs,
      encryptionKey,
      cloudWatchRole: props.cloudWatchRole,
      disableExecuteApiEndpoint: props.domain?.disableExecuteApiEndpoint,
      heldConnections: props.heldConnections,
      deadlines: this.deadlines,
      renderEnvironment,
      liveRoutes: props.liveUpdates !== false,
    });
    this.api = http.api;
    this.apiKeys = http.apiKeys;
    this.usagePlans = http.usagePlans;
    this.authorizer = http.authorizer;
    if (props.domain) this.customDomain = new ApiDomain(this, 'Domain', { ...props.domain, api: this.api });
    // Every absolute link the API pushes uses the domain callers know (the functions answering
    // requests build theirs from the request itself).
    this.url = this.customDomain?.url ?? this.api.url;

    this.results = new ResultsBucket(this, 'Results', {
      retention,
      executionTimeout,
      removalPolicy: props.removalPolicy,
      serverAccessLogsBucket: props.resultsAccessLogsBucket,
      // The console is a browser client of every deployment, on the API's own origin, which is not the bucket's: it
      // follows the 303 to a stored result, so browsers may always read results (the presigned URL is the credential).
      corsAllowOrigins: props.corsAllowOrigins ?? ['*'],
      encryptionKey,
    });
    this.resultsBucket = this.results.bucket;
    this.results.grantResultRead(http.functions['get-task-result']!);
    // The console may follow the result route's 303 to a stored result (its Content-Security-Policy names the bucket).
    const bucket = this.results.bucket;
    http.functions['get-console']!.addEnvironment(
      'RESULT_LINK_ORIGINS',
      `https://${bucket.bucketRegionalDomainName},https://${bucket.bucketDomainName}`,
    );
    // A purge deletes the stored result.
    this.results.grantResultDelete(http.functions['cancel-task']!);

    if (props.waf ?? true) {
      this.webAcl = new ApiFirewall(this, 'Firewall', {
        stage: this.api.deploymentStage,
        callerHeader: props.auth?.type === 'jwt' ? 'authorization' : 'x-api-key',
        // The stage's steady rate over WAF's 5-minute window: a backstop behind the usage plans.
        requestsPerFiveMinutes: Math.max(100, Math.ceil((props.throttle?.rateLimit ?? 50) * 300)),
        metricName: `${this.deploymentName}-WebAcl`,
        corsOrigin: errorCorsOrigin(props.corsAllowOrigins),
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
    const functionLogs = { logRetention: logRetention.functions, encryptionKey };
    const backstop = new ExecutionBackstop(this, 'Backstop', {
      table: this.table,
      stateMachine: this.stateMachine,
      environment: { ...environment, ...compensationEnvironment },
      ...functionLogs,
      failureRetention,
    });
    this.reconcileRule = backstop.rule;
    this.reconcileDeadLetterQueue = backstop.deadLetterQueue;
    this.reconcileFailureQueue = backstop.failureQueue;
    const sweeper = new TaskSweeper(this, 'Sweeper', {
      table: this.table,
      stateMachine: this.stateMachine,
      startExecutionArn: workflow.aliasArn,
      executionsArn: workflow.executionsArn,
      express: this.express,
      environment: { ...environment, ...compensationEnvironment },
      ...functionLogs,
      interval: props.sweepInterval,
      age: props.sweepAge,
    });
    this.sweepSchedule = sweeper.schedule;
    // The sweeper starts an attempt as submit does (its deadline first) and expires one past its deadline.
    this.deadlines.grantScheduling(sweeper.sweepFunction);
    if (this.compensation) {
      for (const fn of [backstop.reconcileFunction, sweeper.sweepFunction]) this.compensation.stateMachine.grantStartExecution(fn);
    }
    // Pushed tasks carry absolute links like the API's: the custom domain's when there is one.
    const push = { table: this.table, environment, ...functionLogs, apiBaseUrl: this.url, failureRetention };
    this.webhooks = new WebhookDelivery(this, 'Webhooks', {
      ...push,
      maxConcurrency: props.webhookConcurrency,
      deliveryEnvironment: renderEnvironment,
    });
    this.taskEvents = new TaskEvents(this, 'Events', {
      ...push,
      eventBus: props.eventBus,
      source: props.eventSource,
      withFollowedWrites: props.liveUpdates !== false,
    });
    if (props.liveUpdates !== false) {
      this.live = new LiveUpdates(this, 'Live', {
        table: this.table,
        environment,
        ...functionLogs,
        apiBaseUrl: this.url,
        perCaller: heldConnectionsOf(props.heldConnections).perCaller,
        throttle: props.throttle ?? DEFAULT_THROTTLE,
        tokenLifetime: props.liveUpdates?.tokenLifetime,
      });
      this.live.grantTokenIssue(http.functions['create-watch-token']!);
      // The console opens the live channel's WebSocket (its Content-Security-Policy names the origin).
      http.functions['get-console']!.addEnvironment('LIVE_URL', this.live.url);
      // The OpenAPI document describes POST /watch-tokens only where it is served.
      http.functions['get-openapi']!.addEnvironment('LIVE_URL', this.live.url);
      // The events reader fans changes out too: the stream's two readers per shard are taken.
      this.live.grantFanOut(this.taskEvents.publishFunction);
    }
    const liveRoutes = this.live ? [this.live.connectFunction, this.live.subscribeFunction, this.live.disconnectFunction] : [];
    this.functions = {
      ...http.functions,
      [RECONCILE_FUNCTION]: backstop.reconcileFunction,
      [SWEEPER_FUNCTION]: sweeper.sweepFunction,
      'forward-terminal': this.webhooks.forwardFunction,
      'deliver-webhook': this.webhooks.deliveryFunction,
      'publish-events': this.taskEvents.publishFunction,
      ...(this.live && {
        'live-connect': this.live.connectFunction,
        'live-subscribe': this.live.subscribeFunction,
        'live-disconnect': this.live.disconnectFunction,
      }),
      [EXPIRE_FUNCTION]: this.deadlines.expireFunction,
      ...(workflow.awaitInputFunction && { [AWAIT_INPUT_FUNCTION]: workflow.awaitInputFunction }),
    };
    this.liveAliases = Object.fromEntries(Object.entries(this.functions).map(([name, fn]) => [name, liveAlias(fn)]));
    if (encryptionKey) {
      for (const fn of Object.values(this.functions)) grantKeyUse(fn, encryptionKey);
      grantKeyUse(this.stateMachine, encryptionKey);
      if (this.compensation) grantKeyUse(this.compensation.stateMachine, encryptionKey);
    }

    const workerFunctions = props.workerFunctions ?? [];
    reserveConcurrency(Object.values(http.functions), props.reservedConcurrency, 'api');
    // A function that holds connections gets its budget for them on top: plain requests keep `api`.
    for (const [handler, budget] of Object.entries(heldConnectionBudgets(props.heldConnections))) {
      reserveConcurrency([http.functions[handler]!], props.reservedConcurrency, 'api', budget);
    }
    reserveConcurrency([backstop.reconcileFunction, sweeper.sweepFunction, this.deadlines.expireFunction], props.reservedConcurrency, 'backstop');
    reserveConcurrency(workerFunctions, props.reservedConcurrency, 'worker');
    reserveConcurrency([this.webhooks.forwardFunction, this.taskEvents.publishFunction], props.reservedConcurrency, 'streamReaders');
    reserveConcurrency(liveRoutes, props.reservedConcurrency, 'live');

    if (props.monitoring !== false) {
      this.monitoring = new TaskMonitoring(this, 'Monitoring', {
        api: this.api,
        functions: Object.values(this.functions),
        streamReaders: [this.webhooks.forwardFunction, this.taskEvents.publishFunction],
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
        webhookQueue: this.webhooks.queue,
        alarmTopic: props.alarmTopic,
        warningTopic: props.monitoring?.warningTopic,
        okTopic: props.monitoring?.okTopic,
        subscriptions: props.monitoring?.subscriptions,
        runbookUrl: props.monitoring?.runbookUrl,
        namePrefix: this.deploymentName,
        serviceName: environment.POWERTOOLS_SERVICE_NAME,
        sweepInterval: props.sweepInterval,
        // An open task older than the longest execution plus a sweep or two is stuck.
        thresholds: { oldestOpenTaskAge: executionTimeout.plus(Duration.minutes(15)), ...props.monitoring?.thresholds },
      });
    }
    this.insights = new TaskInsights(this, 'Insights', {
      logGroups: [
        ...Object.values(this.functions).map((fn) => fn.logGroup),
        workflow.logGroup,
        ...(workflow.expressLogGroup ? [workflow.expressLogGroup] : []),
      ],
      accessLogGroup: http.accessLogGroup,
      namePrefix: this.deploymentName,
    });

    if (props.rollout !== false) {
      const monitoring = this.monitoring;
      this.rollout = new TaskRollout(this, 'Rollout', {
        ...props.rollout,
        aliases: Object.values(this.functions).map((fn) => ({ alias: liveAlias(fn), alarms: monitoring?.alarmsOf(fn) ?? [] })),
        workflowAlias: workflow.alias,
        // A new definition may call new worker code: its errors count too.
        workflowAlarms: monitoring ? [...monitoring.workflowAlarms, ...workerFunctions.flatMap((fn) => monitoring.alarmsOf(fn))] : [],
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
    if (this.encryptionKey) grantKeyUse(grantee, this.encryptionKey);
  }

  /**
   * Lets a worker Lambda store results too large to return (`storeLargeResult` / `resultOf` of
   * `@longrun/worker`): `s3:PutObject` on `results/*` of `resultsBucket` only; a
   * `lambda.Function` also gets `RESULTS_BUCKET_NAME`.
   */
  public grantResultWrite(grantee: iam.IGrantable): void {
    this.results.grantResultWrite(grantee);
    if (this.encryptionKey) grantKeyUse(grantee, this.encryptionKey);
  }
}
