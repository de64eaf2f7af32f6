/**
 * TaskMonitoring: alarms and one dashboard over every part of the task API, built with
 * cdk-monitoring-constructs (MonitoringFacade).
 * parts (api, functions, workflow, table, WAF, queues) + business metrics --> alarms --> critical / warning topic
 *   --> e-mail, Slack (AWS Chatbot), whatever the team subscribes
 *
 * Generic over functions and dead-letter queues: pass a new one in the lists and it gets its alarms.
 * Every alarm's description says what it means and links its runbook section (docs/operations.md).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import {
  type AlarmWithAnnotation,
  type CustomMetricGroup,
  DefaultDashboardFactory,
  MetricStatistic,
  MonitoringFacade,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { ROUTES, STAGE_NAME } from '../../lambdas/api/routes.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, PEER_METRICS, TASK_METRICS } from '../../lambdas/observability/metric-names.ts';
import {
  type AlarmSubscriptions,
  DEFAULT_LATENCY_ALARM_ROUTES,
  DEFAULT_THRESHOLDS,
  type MonitoredRoute,
  RUNBOOK_ANCHORS,
  type TaskAlarmThresholds,
  type Thresholds,
} from './alarm-settings.ts';
import { createAlarmTopic, SeverityRouting, subscribe } from './alarm-topics.ts';

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
  /** Functions of `functions` that read a stream (webhooks, task events); each also gets an iterator age alarm. @default - none */
  readonly streamReaders?: readonly lambda.IFunction[];
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
  /** Where critical alarms go (someone acts now). @default - a topic created here (encrypted, TLS only) */
  readonly alarmTopic?: sns.ITopic;
  /** Where warning alarms go (someone looks today). @default - `alarmTopic` when given, else a second topic created here */
  readonly warningTopic?: sns.ITopic;
  /** Where an alarm's return to OK goes; `false`: nowhere. @default - the topic the alarm went to */
  readonly okTopic?: sns.ITopic | false;
  /** E-mail addresses and a Slack channel subscribed to the topics. @default - none */
  readonly subscriptions?: AlarmSubscriptions;
  /** The runbook the alarm descriptions link to (anchors are appended); an absolute URL, read in a page or a mail. @default 'docs/operations.md' */
  readonly runbookUrl?: string;
  /** Prefix of alarm names and the dashboard name; unique per account and region. @default - the stack name */
  readonly namePrefix?: string;
  /** The `service` dimension of the business metrics (the functions' `POWERTOOLS_SERVICE_NAME`). @default 'longrun' */
  readonly serviceName?: string;
  /** How often the sweeper publishes the open-task metrics: the period of their alarm, which treats no data as breaching. @default Duration.minutes(5) */
  readonly sweepInterval?: Duration;
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: TaskAlarmThresholds;
}

/** Alarms and one dashboard for the task API; critical alarms go to `alarmTopic`, warnings to `warningTopic`. */
export class TaskMonitoring extends Construct {
  /** The topic critical alarms notify (given or created). */
  public readonly alarmTopic: sns.ITopic;
  /** The topic warning alarms notify (given, `alarmTopic` when only that was given, or created). */
  public readonly warningTopic: sns.ITopic;
  /** The cdk-monitoring-constructs facade, for more `monitor*` calls. */
  public readonly facade: MonitoringFacade;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The workflow's alarms (executions failed, timed out, throttled): what a rollout of the state machine watches. */
  public readonly workflowAlarms: cloudwatch.IAlarm[] = [];

  private readonly runbookUrl: string;
  private readonly serviceName: string;
  private readonly alarmsByFunction = new Map<lambda.IFunction, AlarmWithAnnotation[]>();

  constructor(scope: Construct, id: string, props: TaskMonitoringProps) {
    super(scope, id);
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    const prefix = props.namePrefix ?? Stack.of(this).stackName;
    this.runbookUrl = props.runbookUrl ?? 'docs/operations.md';
    this.serviceName = props.serviceName ?? METRICS_SERVICE;
    // The ids of the first topic and its key predate the warning topic: they stay, so do its subscribers.
    this.alarmTopic = props.alarmTopic ?? createAlarmTopic(this, 'AlarmTopic', `${prefix} critical alarms`);
    this.warningTopic = props.warningTopic ?? props.alarmTopic ?? createAlarmTopic(this, 'WarningTopic', `${prefix} warning alarms`);
    if (props.subscriptions) subscribe(this, { critical: this.alarmTopic, warning: this.warningTopic }, props.subscriptions, prefix);

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
        // By severity; recovery is news too: whoever was told of an alarm learns when it clears.
        action: new SeverityRouting({ critical: this.alarmTopic, warning: this.warningTopic, ok: props.okTopic }),
        datapointsToAlarm: 1,
      },
      dashboardFactory: dashboards,
    });
    this.dashboard = dashboards.dashboard!;

    this.monitorRequestPath(props, t);
    this.monitorTaskLifecycle(t, props.sweepInterval ?? Duration.minutes(5));
    this.monitorWorkflow(props, t);
    this.monitorFunctions(props, t);
    this.monitorQueues(props, t);
  }

  /**
   * The critical alarms of one function of `functions` or `workerFunctions` (errors; iterator age for
   * a stream reader): what a rollout of it watches. Throttles are left out: load throttles, not a version.
   */
  public alarmsOf(fn: lambda.IFunction): cloudwatch.IAlarm[] {
    return (this.alarmsByFunction.get(fn) ?? []).filter((a) => a.disambiguator === 'Critical').map((a) => a.alarm);
  }

  /** The alarms `monitor` creates. */
  private alarmsCreatedBy(monitor: () => void): AlarmWithAnnotation[] {
    const before = this.facade.createdAlarms().length;
    monitor();
    return this.facade.createdAlarms().slice(before);
  }

  /** Text of an alarm description: what it means, then where the runbook section is. */
  private describe(meaning: string, anchor: string): string {
    return `${meaning} Runbook: ${this.runbookUrl}#${anchor}`;
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

  private monitorTaskLifecycle(t: Thresholds, sweepInterval: Duration): void {
    const sweepPeriod = Duration.seconds(Math.max(300, sweepInterval.toSeconds()));
    const metric = (metricName: string, statistic = MetricStatistic.SUM, label = metricName) =>
      this.facade.createMetricFactory().createMetric(metricName, statistic, label, { service: this.serviceName }, undefined, METRICS_NAMESPACE);
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
            dimensionsMap: { service: this.serviceName, type: undefined as unknown as string },
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
            // One datapoint per sweep: the period is the sweep interval (at least 5 minutes).
            metric: metric(PEER_METRICS.oldestOpenTaskAge, MetricStatistic.MAX, 'Oldest open task age').with({ period: sweepPeriod }),
            alarmFriendlyName: 'OldestOpenTask',
            addAlarm: {
              Critical: {
                threshold: t.oldestOpenTaskAge.toSeconds(),
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                period: sweepPeriod,
                datapointsToAlarm: 2,
                evaluationPeriods: 3,
                // Every sweep publishes the age (0 with no open task): no data means no sweeper.
                treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                alarmDescriptionOverride: this.describe(
                  `A task has been pending or running for more than ${t.oldestOpenTaskAge.toHumanString()} (longer than its execution may last), or the sweeper reported nothing in 2 of the last 3 periods (it is not running): either way open tasks are not being closed.`,
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
    const workflowAlarms = this.alarmsCreatedBy(() =>
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
      }),
    );
    this.workflowAlarms.push(...workflowAlarms.map((a) => a.alarm));
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
    const streamReaders = new Set(props.streamReaders ?? []);
    const iteratorAge = t.streamIteratorAge;
    for (const { fn, errors, datapoints } of functions) {
      const name = fn.node.id;
      const alarms = this.alarmsCreatedBy(() =>
        this.facade.monitorLambdaFunction({
          lambdaFunction: fn,
          alarmFriendlyName: name,
          humanReadableName: name,
          isIterator: streamReaders.has(fn),
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
          ...(streamReaders.has(fn) && {
            addMaxIteratorAgeAlarm: {
              Critical: {
                maxAgeInMillis: iteratorAge.toMilliseconds(),
                datapointsToAlarm: 2,
                evaluationPeriods: 3,
                alarmDescriptionOverride: this.describe(
                  `Function ${name} is more than ${iteratorAge.toHumanString()} behind the task table's stream in 2 of the last three 5-minute periods: pushes are late, and records older than 24 hours go to its failure queue instead.`,
                  RUNBOOK_ANCHORS.streamIteratorAge,
                ),
              },
            },
          }),
        }),
      );
      this.alarmsByFunction.set(fn, alarms);
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
