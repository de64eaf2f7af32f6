/**
 * Push: the outcome comes to the caller instead of being polled for.
 *   WebhookDelivery: table stream --(filter: terminal transition with a callbackUrl; writes of running
 *                    tasks subscribed to earlier events)--> forward-terminal --> SQS --> deliver-webhook
 *                    --(POST, signed)--> callbackUrl; retries as delayed messages on the Standard
 *                    Webhooks schedule, then the dead-letter queue.
 *   TaskEvents:      table stream --(filter: new tasks, writes of open tasks, retries)--> publish-events
 *                    --> EventBridge bus (and, with `liveUpdates`, the live channel's fan-out in the
 *                    same reader, lib/task-api/live.ts).
 * Both read the table's stream through their own event source mapping (a stream serves at most
 * two readers per shard without throttling: these are the two).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FilterPattern, publisherFilters, webhookFilters } from '../../lambdas/domain/stream-filters.ts';
import { liveAlias, longrunFunction } from './function.ts';
import { allow, encryptedQueue } from './grants.ts';

/** The events reader waits on PutEvents and the live channel's posts, not the CPU: the time a follower adds costs half of 256 MB's. */
export const EVENTS_READER_MEMORY_MB = 128;

/** What both push parts receive. */
export interface PushPartProps {
  /** The task table; its stream (NEW_AND_OLD_IMAGES) must be enabled. */
  readonly table: dynamodb.ITable;
  /** Environment every function of the API gets (`TABLE_NAME`, `TASK_RETENTION_SECONDS`, …). */
  readonly environment: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The API's base URL, for the absolute links in pushed tasks (`API_BASE_URL`). @default - links relative to `/v1` */
  readonly apiBaseUrl?: string;
  /** How long the failure queues keep a message (never longer than the tasks they name are kept). @default Duration.days(14) */
  readonly failureRetention?: Duration;
  /** Encrypts the queues and the log groups. @default - SQS managed keys, CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
}

/** Webhook deliveries running at once, by default (the delivery event source's maximum concurrency). */
const DEFAULT_WEBHOOK_CONCURRENCY = 10;

/** What {@link WebhookDelivery} receives. */
export interface WebhookDeliveryProps extends PushPartProps {
  /** Deliveries running at once, at most (2–1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Extra environment of the delivery function alone (the capability key that signs `awaitingInput.url`). @default - none */
  readonly deliveryEnvironment?: Record<string, string>;
}

function streamArnOf(table: dynamodb.ITable, who: string): string {
  if (!table.tableStreamArn) throw new Error(`${who}: the task table's stream must be enabled (NEW_AND_OLD_IMAGES)`);
  return table.tableStreamArn;
}

/**
 * An event source mapping that invokes the function's `live` alias, so that a rollout moves event
 * processing too. It stays a child of the function (the logical id it had before aliases): changing
 * its target updates it in place, where a new mapping would start again from the stream's trim
 * horizon and deliver up to a day of records a second time.
 */
function liveMapping(fn: lambda.Function, id: string, props: lambda.EventSourceMappingOptions): lambda.EventSourceMapping {
  return new lambda.EventSourceMapping(fn, id, { ...props, target: liveAlias(fn) });
}

/**
 * A filtered stream mapping with exact grants (instead of `grantStreamRead`, which adds
 * `dynamodb:ListStreams` on `*`): failed batches are retried, bisected, then recorded in `onFailure`.
 */
function filteredStreamMapping(
  fn: lambda.Function,
  id: string,
  streamArn: string,
  filters: FilterPattern[],
  onFailure: sqs.IQueue,
): lambda.EventSourceMapping {
  allow(fn, ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], [streamArn]);
  allow(fn, ['sqs:SendMessage'], [onFailure.queueArn]);
  return liveMapping(fn, id, {
    eventSourceArn: streamArn,
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow: Duration.millis(0),
    bisectBatchOnError: true,
    retryAttempts: 10,
    maxRecordAge: Duration.hours(24),
    reportBatchItemFailures: true,
    onFailure: { bind: () => ({ destination: onFailure.queueArn }) },
    filters: filters.map((pattern) => ({ pattern: JSON.stringify(pattern) })),
  });
}

/** Webhooks: the events of tasks with a `callbackUrl` (the outcome, and those of `callbackEvents`), delivered at least once, signed. */
export class WebhookDelivery extends Construct {
  /** Delivery messages (`{ taskId, version, attempts }`), one per terminal transition; retries wait here as delayed messages. */
  public readonly queue: sqs.Queue;
  /** Deliveries that used up the retry schedule, and malformed messages. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Stream batches the forwarder could not queue after its retries (the mapping's on-failure destination). */
  public readonly streamFailureQueue: sqs.Queue;
  /** Stream -> queue. */
  public readonly forwardFunction: lambda.Function;
  /** Queue -> POST. */
  public readonly deliveryFunction: lambda.Function;
  /** The filtered mapping from the table's stream to `forwardFunction`. */
  public readonly streamMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const streamArn = streamArnOf(props.table, 'WebhookDelivery');
    this.deadLetterQueue = encryptedQueue(this, 'DeadLetterQueue', props.encryptionKey, {
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    this.streamFailureQueue = encryptedQueue(this, 'StreamFailureQueue', props.encryptionKey, {
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    const deliveryTimeout = Duration.seconds(30);
    this.queue = encryptedQueue(this, 'Queue', props.encryptionKey, {
      // Six times the function's timeout (Lambda's advice for SQS sources).
      visibilityTimeout: Duration.seconds(deliveryTimeout.toSeconds() * 6),
      // Each message lives at most 15 minutes before it is re-sent; days leave room for an outage of the function.
      retentionPeriod: Duration.days(4),
      // A backstop for crashes only: the function itself moves a message here once its schedule is used up.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 20 },
    });

    this.forwardFunction = longrunFunction(this, 'ForwardFunction', {
      name: 'forward-terminal',
      environment: { ...props.environment, WEBHOOK_QUEUE_URL: this.queue.queueUrl },
      description: 'Webhooks: queues a delivery for each event of a task with a callbackUrl',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    allow(this.forwardFunction, ['sqs:SendMessage'], [this.queue.queueArn]);
    this.streamMapping = filteredStreamMapping(this.forwardFunction, 'TerminalTransitions', streamArn, webhookFilters(), this.streamFailureQueue);

    this.deliveryFunction = longrunFunction(this, 'DeliveryFunction', {
      name: 'deliver-webhook',
      environment: {
        ...props.environment,
        ...props.deliveryEnvironment,
        ...(props.apiBaseUrl && { API_BASE_URL: props.apiBaseUrl }),
        WEBHOOK_QUEUE_URL: this.queue.queueUrl,
        WEBHOOK_DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
      },
      description: 'Webhooks: POSTs a signed event to the callbackUrl, records the attempt, schedules the retry',
      timeout: deliveryTimeout,
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    // The task (read, record the attempt) and the owner's secret (read, create on first use).
    allow(this.deliveryFunction, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [props.table.tableArn]);
    // A retry is a delayed re-send (SendMessage), never a visibility change: nothing waits in flight.
    allow(this.deliveryFunction, ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage'], [this.queue.queueArn]);
    allow(this.deliveryFunction, ['sqs:SendMessage'], [this.deadLetterQueue.queueArn]);
    liveMapping(this.deliveryFunction, 'Deliveries', {
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      maxBatchingWindow: Duration.millis(0),
      reportBatchItemFailures: true,
      // Receivers that accept and never answer hold deliveries for their 10 s: a ceiling keeps them
      // from pulling the function towards the account's unreserved concurrency.
      maxConcurrency: props.maxConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
    });

    for (const queue of [this.deadLetterQueue, this.streamFailureQueue]) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue (webhook deliveries or stream batches that failed); an alarm watches it.',
      });
    }
  }
}

export interface TaskEventsProps extends PushPartProps {
  /** Publish to this bus. @default - a new event bus */
  readonly eventBus?: events.IEventBus;
  /** The events' `source`. @default 'longrun' */
  readonly source?: string;
  /**
   * Also pass the writes to followed tasks (progress) to the publisher, which feeds the live channel
   * as well (`LiveUpdates.grantFanOut`): the bus still gets status changes only. @default false
   */
  readonly withFollowedWrites?: boolean;
}

/** Events for servers: every status change, progress (at most one per 5-second window) and wait for input on an EventBridge bus, `detail-type` `task.<event>`. */
export class TaskEvents extends Construct {
  /** The bus the events go to (created unless given). */
  public readonly eventBus: events.IEventBus;
  /** The events' `source`. */
  public readonly source: string;
  /** Stream -> PutEvents. */
  public readonly publishFunction: lambda.Function;
  /** Stream batches that could not be published after retries. */
  public readonly streamFailureQueue: sqs.Queue;
  /** The filtered mapping from the table's stream to `publishFunction`. */
  public readonly streamMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: TaskEventsProps) {
    super(scope, id);
    if (props.source !== undefined && !/^[A-Za-z0-9._-]{1,256}$/.test(props.source)) {
      throw new Error(`TaskEvents: source must be 1-256 letters, digits, '.', '_' or '-', got '${props.source}'`);
    }
    if (props.source?.startsWith('aws.')) throw new Error(`TaskEvents: source may not start with 'aws.' (reserved by AWS)`);
    this.source = props.source ?? 'longrun';
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'Bus', { description: 'Longrun task events: detail-type task.<status>' });
    this.streamFailureQueue = encryptedQueue(this, 'StreamFailureQueue', props.encryptionKey, {
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    this.publishFunction = longrunFunction(this, 'PublishFunction', {
      name: 'publish-events',
      memorySize: EVENTS_READER_MEMORY_MB,
      environment: {
        ...props.environment,
        ...(props.apiBaseUrl && { API_BASE_URL: props.apiBaseUrl }),
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        EVENT_SOURCE: this.source,
      },
      description: props.withFollowedWrites
        ? 'Events for servers: publishes every task status change to EventBridge; posts task changes to live followers'
        : 'Events for servers: publishes every task status change to EventBridge',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    allow(this.publishFunction, ['events:PutEvents'], [this.eventBus.eventBusArn]);
    this.streamMapping = filteredStreamMapping(
      this.publishFunction,
      'StatusChanges',
      streamArnOf(props.table, 'TaskEvents'),
      publisherFilters(),
      this.streamFailureQueue,
    );
    Validations.of(this.streamFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the event stream mapping; an alarm watches it.',
    });
  }
}
