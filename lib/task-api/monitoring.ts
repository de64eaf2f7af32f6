/**
 * TaskMonitoring: alarms and one dashboard over every part of the task API, built with
 * cdk-monitoring-constructs (MonitoringFacade), alarms wired to one SNS topic.
 * parts (api, functions, workflow, table, WAF, queues) + business metrics --> alarms --> SNS topic
 *
 * Generic over functions and dead-letter queues: pass a new one in the lists and it gets its alarms.
 * Every alarm's description says what it means and links its runbook section (docs/operations.md).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import {
  type CustomMetricGroup,
  DefaultDashboardFactory,
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { ROUTES, STAGE_NAME } from '../../lambdas/api/routes.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, PEER_METRICS, TASK_METRICS } from '../../lambdas/observability/metric-names.ts';
import {
  DEFAULT_LATENCY_ALARM_ROUTES,
  DEFAULT_THRESHOLDS,
  type MonitoredRoute,
  RUNBOOK_ANCHORS,
  type TaskAlarmThresholds,
  type Thresholds,
} from './alarm-settings.ts';

/** What {@link TaskMonitoring} receives. */
export interface TaskMonitoringProps {
  /** The REST API (stage `v1`, detailed metrics on). */
  readonly api: apigateway.RestApi;
  /** Routes shown per route on the dashboard. @default ROUTES (lambdas/api/routes.ts) */
  readonly routes?: readonly MonitoredRoute[];
  /** Routes whose p99 latency is alarmed. @default DEFAULT_LATENCY_ALARM_ROUTES */
  readonly latencyAlarmRoutes?: readonly MonitoredRoute[];
  /** Every Lambda function of the API and the backstop; each gets an errors alarm and a throttles alarm. */
  readonly functions: readonly lambda.IFunction[];
  /** The worker's Lambda functions; each gets a throttles alarm and an errors alarm at `workerFunctionErrors`. @default - none */
  readonly workerFunctions?: readonly lambda.IFunction[];
  /** The task workflow. */
  readonly stateMachine: sfn.IStateMachine;
  /** The task table (on-demand). */
  readonly table: dynamodb.ITable;
  /** The web ACL on the stage, if any. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** Every dead-letter queue; each gets a "not empty" alarm. */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /** Work queues, shown on the dashboard (depth, age). @default - none */
  readonly queues?: readonly sqs.IQueue[];
  /** The webhook delivery queue: alarms on the age of its oldest message and on messages in flight. @default - none */
  readonly webhookQueue?: sqs.IQueue;
  /** Where alarms go. @default - a topic created here (encrypted, TLS only) */
  readonly alarmTopic?: sns.ITopic;
  /** The runbook the alarm descriptions link to (anchors are appended). @default 'docs/operations.md' */
  readonly runbookUrl?: string;
  /** Prefix of alarm names and the dashboard name; unique per account and region. @default - the stack name */
  readonly namePrefix?: string;
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: TaskAlarmThresholds;
}

/** Alarms and one dashboard for the task API; alarm actions go to `alarmTopic`. */
export class TaskMonitoring extends Construct {
  /** The topic every alarm notifies (given or created). */
  public readonly alarmTopic: sns.ITopic;
  /** The cdk-monitoring-constructs facade, for more `monitor*` calls. */
  public readonly facade: MonitoringFacade;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly runbookUrl: string;

  constructor(scope: Construct, id: string, props: TaskMonitoringProps) {
    super(scope, id);
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    const prefix = props.namePrefix ?? Stack.of(this).stackName;
    this.runbookUrl = props.runbookUrl ?? 'docs/operations.md';
    this.alarmTopic = props.alarmTopic ?? this.createTopic(prefix);

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: prefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: prefix,
        actionsEnabled: true,
        // Recovery is news too: the on-call learns when an alarm clears.
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.alarmTopic, onOkTopic: this.alarmTopic }),
        datapointsToAlarm: 1,
      },
      dashboardFactory: dashboards,
    });
    this.dashboard = dashboards.dashboard!;

    this.monitorRequestPath(props, t);
    this.monitorTaskLifecycle(t);
    this.monitorWorkflow(props, t);
    this.monitorFunctions(props, t);
    this.monitorQueues(props, t);
  }

  /** Text of an alarm description: what it means, then where the runbook section is. */
  private describe(meaning: string, anchor: string): string {
    return `${meaning} Runbook: ${this.runbookUrl}#${anchor}`;
  }

  /**
   * An encrypted, TLS-only topic. CloudWatch cannot publish to a topic under the AWS managed key
   * (alias/aws/sns): its key policy cannot be changed to let CloudWatch use it, and alarms would
   * fail silently. So the topic gets its own key that lets CloudWatch (this account only) in.
   */
  private createTopic(prefix: string): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${prefix}: encrypts the alarm topic`,
      enableKeyRotation: true,
      // It encrypts notifications in flight only, nothing stored: it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return new sns.Topic(this, 'AlarmTopic', { displayName: `${prefix} alarms`, masterKey: key, enforceSSL: true });
  }

  private monitorRequestPath(props: TaskMonitoringProps, t: Thresholds): void {
    const api = props.api;
    const latencyRoutes = props.latencyAlarmRoutes ?? DEFAULT_LATENCY_ALARM_ROUTES;
    this.facade.addLargeHeader('Request path');
    this.facade.monitorApiGateway({
      api,
      apiStage: STAGE_NAME,
      alarmFriendlyName: 'Api',
      humanReadableName: 'API (all routes)',
      add5XXFaultRateAlarm: {
        Critical: {
          maxErrorRate: t.api5xxRate,
          minSampleCountToEvaluateDatapoint: t.minRequests,
          datapointsToAlarm: 2,
          evaluationPeriods: 3,
          alarmDescriptionOverride: this.describe(
            `More than ${t.api5xxRate * 100}% of API requests answered 5xx in 2 of the last three 5-minute periods (at least ${t.minRequests} requests each). A 5xx is a bug or a dependency outage (503).`,
            RUNBOOK_ANCHORS.api5xx,
          ),
        },
      },
    });
    for (const route of props.routes ?? ROUTES) {
      const alarmed = latencyRoutes.some((r) => r.method === route.method && r.path === route.path);
      this.facade.monitorApiGateway({
        api,
        apiStage: STAGE_NAME,
        apiMethod: route.method,
        apiResource: route.path,
        alarmFriendlyName: `Api-${route.method}-${routeName(route.path)}`,
        humanReadableName: `${route.method} ${route.path}`,
        ...(alarmed && {
          addLatencyP99Alarm: {
            Warning: {
              maxLatency: t.apiLatencyP99,
              datapointsToAlarm: 3,
              evaluationPeriods: 3,
              // A percentile of a handful of requests is a single cold start: not evaluated.
              evaluateLowSampleCountPercentile: false,
              alarmDescriptionOverride: this.describe(
                `p99 latency of ${route.method} ${route.path} stayed above ${t.apiLatencyP99.toHumanString()} for 15 minutes.`,
                RUNBOOK_ANCHORS.apiLatency,
              ),
            },
          },
        }),
      });
    }
    if (props.webAcl) {
      this.facade.monitorWebApplicationFirewallAclV2({
        // The WAF's CloudWatch dimension `WebACL` is the web ACL's metric name (its visibility
        // config), which the library reads from `name`; the ACL itself may have a generated name.
        acl: { scope: props.webAcl.scope, name: metricNameOf(props.webAcl) } as wafv2.CfnWebACL,
        region: Stack.of(this).region,
        alarmFriendlyName: 'WebAcl',
        humanReadableName: 'WAF web ACL',
        addBlockedRequestsCountAlarm: {
          Warning: {
            maxErrorCount: t.wafBlockedRequests,
            datapointsToAlarm: 2,
            evaluationPeriods: 3,
            alarmDescriptionOverride: this.describe(
              `The WAF blocked more than ${t.wafBlockedRequests} requests in 2 of the last three 5-minute periods: an attack, a client over the rate rule, or a rule blocking legitimate requests.`,
              RUNBOOK_ANCHORS.wafBlocked,
            ),
          },
        },
      });
    }
  }

  private monitorTaskLifecycle(t: Thresholds): void {
    const metric = (metricName: string, statistic = MetricStatistic.SUM, label = metricName) =>
      this.facade.createMetricFactory().createMetric(metricName, statistic, label, { service: METRICS_SERVICE }, undefined, METRICS_NAMESPACE);
    const lifecycle = [
      TASK_METRICS.submitted,
      TASK_METRICS.started,
      TASK_METRICS.succeeded,
      TASK_METRICS.failed,
      TASK_METRICS.cancelled,
      TASK_METRICS.startFailed,
      TASK_METRICS.startDeferred,
      TASK_METRICS.reconciledByBackstop,
    ];
    const groups: CustomMetricGroup[] = [
      { title: 'Tasks submitted and started', metrics: [TASK_METRICS.submitted, TASK_METRICS.started].map((m) => metric(m)) },
      {
        title: 'Task outcomes',
        metrics: lifecycle.filter((m) => m !== TASK_METRICS.submitted && m !== TASK_METRICS.started).map((m) => metric(m)),
      },
      // Which task type: one line per type, found by a search over the `service` + `type` dimension set.
      ...[TASK_METRICS.submitted, TASK_METRICS.failed].map((name) => ({
        title: `${name} by task type`,
        metrics: [
          {
            searchQuery: `MetricName="${name}"`,
            namespace: METRICS_NAMESPACE,
            // `type` without a value: in the search schema, matching any type (DimensionsMap types it as a string).
            dimensionsMap: { service: METRICS_SERVICE, type: undefined as unknown as string },
            statistic: MetricStatistic.SUM,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudWatch search label expression, not a JS template
            label: "${PROP('Dim.type')}",
          },
        ],
      })),
      {
        title: 'Open tasks',
        metrics: [metric(PEER_METRICS.openTasks, MetricStatistic.MAX, 'Open tasks (sweeper)')],
      },
      {
        title: 'Oldest open task (seconds)',
        metrics: [
          {
            metric: metric(PEER_METRICS.oldestOpenTaskAge, MetricStatistic.MAX, 'Oldest open task age'),
            alarmFriendlyName: 'OldestOpenTask',
            addAlarm: {
              Critical: {
                threshold: t.oldestOpenTaskAge.toSeconds(),
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                datapointsToAlarm: 2,
                evaluationPeriods: 3,
                alarmDescriptionOverride: this.describe(
                  `A task has been pending or running for more than ${t.oldestOpenTaskAge.toHumanString()} (longer than its execution may last): the sweeper is not closing it.`,
                  RUNBOOK_ANCHORS.oldestOpenTask,
                ),
              },
            },
          },
        ],
      },
      {
        title: 'Webhook deliveries',
        metrics: [
          metric(PEER_METRICS.webhookDelivered),
          {
            metric: metric(PEER_METRICS.webhookDeliveryFailed).with({ period: Duration.hours(1) }),
            alarmFriendlyName: 'WebhookDeliveryFailed',
            addAlarm: {
              Warning: {
                threshold: t.webhookDeliveriesFailed,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                period: Duration.hours(1),
                alarmDescriptionOverride: this.describe(
                  `More than ${t.webhookDeliveriesFailed} webhook deliveries were given up (every retry failed) in one hour.`,
                  RUNBOOK_ANCHORS.webhookFailed,
                ),
              },
            },
          },
        ],
      },
    ];
    this.facade.addLargeHeader('Task lifecycle');
    this.facade.monitorCustom({
      alarmFriendlyName: 'Tasks',
      humanReadableName: 'Task lifecycle (business metrics, all task types)',
      metricGroups: groups,
    });
  }

  private monitorWorkflow(props: TaskMonitoringProps, t: Thresholds): void {
    this.facade.addLargeHeader('Workflow and table');
    this.facade.monitorStepFunction({
      stateMachine: props.stateMachine,
      alarmFriendlyName: 'Workflow',
      humanReadableName: 'Task workflow (Step Functions)',
      addFailedExecutionCountAlarm: {
        Warning: {
          maxErrorCount: t.executionsFailed,
          datapointsToAlarm: 2,
          evaluationPeriods: 3,
          alarmDescriptionOverride: this.describe(
            `More than ${t.executionsFailed} executions failed in 2 of the last three 5-minute periods. Single failed tasks are normal; a wave means the worker or a dependency is broken.`,
            RUNBOOK_ANCHORS.executionsFailed,
          ),
        },
      },
      addTimedOutExecutionCountAlarm: {
        Warning: {
          maxErrorCount: t.executionsTimedOut,
          alarmDescriptionOverride: this.describe(
            'An execution reached the state machine timeout: a worker hung, or the timeout is too short for the work.',
            RUNBOOK_ANCHORS.executionsTimedOut,
          ),
        },
      },
      addThrottledExecutionCountAlarm: {
        Warning: {
          maxErrorCount: t.executionsThrottled,
          alarmDescriptionOverride: this.describe(
            `Step Functions throttled more than ${t.executionsThrottled} state transitions in 5 minutes: tasks slow down and may time out.`,
            RUNBOOK_ANCHORS.executionsThrottled,
          ),
        },
      },
    });
    const throttled = (what: string) =>
      this.describe(
        `DynamoDB throttled more than ${t.tableThrottledEvents} ${what} events on the task table in 2 of the last three 5-minute periods; callers get 503 with Retry-After.`,
        RUNBOOK_ANCHORS.tableThrottled,
      );
    this.facade.monitorDynamoTable({
      table: props.table,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      alarmFriendlyName: 'TaskTable',
      humanReadableName: 'Task table (DynamoDB)',
      addReadThrottledEventsCountAlarm: {
        Warning: {
          maxThrottledEventsThreshold: t.tableThrottledEvents,
          datapointsToAlarm: 2,
          evaluationPeriods: 3,
          alarmDescriptionOverride: throttled('read'),
        },
      },
      addWriteThrottledEventsCountAlarm: {
        Warning: {
          maxThrottledEventsThreshold: t.tableThrottledEvents,
          datapointsToAlarm: 2,
          evaluationPeriods: 3,
          alarmDescriptionOverride: throttled('write'),
        },
      },
    });
  }

  private monitorFunctions(props: TaskMonitoringProps, t: Thresholds): void {
    this.facade.addLargeHeader('Functions');
    const functions = [
      ...props.functions.map((fn) => ({ fn, errors: t.functionErrors, datapoints: 1 })),
      ...(props.workerFunctions ?? []).map((fn) => ({ fn, errors: t.workerFunctionErrors, datapoints: 2 })),
    ];
    for (const { fn, errors, datapoints } of functions) {
      const name = fn.node.id;
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: name,
        humanReadableName: name,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: errors,
            datapointsToAlarm: datapoints,
            evaluationPeriods: datapoints === 1 ? 1 : 3,
            alarmDescriptionOverride: this.describe(
              `Function ${name} failed (crash, timeout or unhandled error) more than ${errors} times in ${datapoints === 1 ? '5 minutes' : '2 of the last three 5-minute periods'}.`,
              RUNBOOK_ANCHORS.functionErrors,
            ),
          },
        },
        addThrottlesCountAlarm: {
          Warning: {
            maxErrorCount: t.functionThrottles,
            alarmDescriptionOverride: this.describe(
              `Function ${name} was throttled more than ${t.functionThrottles} times in 5 minutes: its reserved concurrency or the account's limit is reached.`,
              RUNBOOK_ANCHORS.functionThrottles,
            ),
          },
        },
      });
    }
  }

  private monitorQueues(props: TaskMonitoringProps, t: Thresholds): void {
    this.facade.addLargeHeader('Queues');
    if (props.webhookQueue) this.monitorWebhookQueue(props.webhookQueue, t);
    for (const queue of props.queues ?? []) {
      const name = queueName(queue);
      this.facade.monitorSqsQueue({ queue, alarmFriendlyName: name, humanReadableName: name });
    }
    for (const queue of props.deadLetterQueues) {
      const name = queueName(queue);
      this.facade.monitorSqsQueue({
        queue,
        alarmFriendlyName: name,
        humanReadableName: `${name} (dead letters)`,
        addQueueMaxSizeAlarm: {
          Critical: {
            maxMessageCount: 0,
            alarmDescriptionOverride: this.describe(
              `Dead-letter queue ${name} holds messages: work that failed every retry and waits for a redrive.`,
              RUNBOOK_ANCHORS.deadLetterQueue,
            ),
          },
        },
      });
    }
  }

  /**
   * The webhook queue must never stall: its oldest message stays young (a waiting retry is re-sent
   * every 15 minutes at most) and almost nothing is in flight (retries wait as delayed messages).
   */
  private monitorWebhookQueue(queue: sqs.IQueue, t: Thresholds): void {
    const name = queueName(queue);
    this.facade.monitorSqsQueue({
      queue,
      alarmFriendlyName: name,
      humanReadableName: `${name} (webhook deliveries)`,
      addQueueMaxMessageAgeAlarm: {
        Warning: {
          maxAgeInSeconds: t.webhookQueueAge.toSeconds(),
          datapointsToAlarm: 2,
          evaluationPeriods: 3,
          alarmDescriptionOverride: this.describe(
            `A webhook delivery has waited more than ${t.webhookQueueAge.toHumanString()} in its queue: deliveries are not being picked up.`,
            RUNBOOK_ANCHORS.webhookQueue,
          ),
        },
      },
    });
    this.facade.monitorCustom({
      alarmFriendlyName: `${name}-InFlight`,
      humanReadableName: `${name}: messages in flight`,
      metricGroups: [
        {
          title: 'Messages in flight',
          metrics: [
            {
              metric: queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
              alarmFriendlyName: `${name}-InFlight`,
              addAlarm: {
                Warning: {
                  threshold: t.webhookMessagesInFlight,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  datapointsToAlarm: 2,
                  evaluationPeriods: 3,
                  alarmDescriptionOverride: this.describe(
                    `More than ${t.webhookMessagesInFlight} webhook messages are in flight: deliveries are slow or stuck (a standard queue stops handing out messages near 120,000).`,
                    RUNBOOK_ANCHORS.webhookQueue,
                  ),
                },
              },
            },
          ],
        },
      ],
    });
  }
}

/** A queue's name in alarms: its part and its id (two parts may each have a `StreamFailureQueue`). */
function queueName(queue: sqs.IQueue): string {
  const part = queue.node.scope?.node.id;
  return part ? `${part}-${queue.node.id}` : queue.node.id;
}

/** `/tasks/{id}/result` -> `tasks-id-result`: a route in an alarm name. */
function routeName(path: string): string {
  return (
    path
      .replace(/[{}]/g, '')
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9]+/g, '-') || 'root'
  );
}

function metricNameOf(acl: wafv2.CfnWebACL): string {
  const visibility = acl.visibilityConfig as wafv2.CfnWebACL.VisibilityConfigProperty;
  return visibility.metricName;
}
