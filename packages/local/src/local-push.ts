/**
 * The push side of the local stack, from the template: the SQS queues (in process, behind an SQS
 * endpoint), the local event bus, and every event source mapping: table stream -> function
 * (StreamPoller, with the mapping's filters) and queue -> function (SqsPoller). The functions are
 * the same handler modules as on AWS; they reach the queue and the bus through
 * `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findEventSourceMappings, findQueues } from './event-sources.ts';
import type { LocalLambda } from './functions/local-lambda.ts';
import { LocalEventBus } from './local-event-bus.ts';
import { LocalQueues, SqsPoller } from './local-queue.ts';
import { StreamPoller, streamsClient } from './stream-poller.ts';
import type { CfnTemplate, LocalValues } from './template.ts';

export interface LocalPushStart {
  template: CfnTemplate;
  values: LocalValues;
  functions: Map<string, LocalLambda>;
  dynamodb: DynamoDBClient;
  dynamodbEndpoint: string;
  tableName: string;
  tableLogicalId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export class LocalPush {
  readonly queues = new LocalQueues();
  readonly bus: LocalEventBus;
  private readonly stoppers: Array<() => Promise<void> | void> = [];

  constructor(private readonly log: (line: string) => void) {
    this.bus = new LocalEventBus(log);
  }

  /** The endpoints first: the queues' URLs (template `Ref`s) must name the local SQS endpoint. */
  async listen(): Promise<this> {
    await Promise.all([this.queues.start(), this.bus.start()]);
    return this;
  }

  /** `Ref` values for the template's queues, to pass to `localValues`. */
  queueRefs(template: CfnTemplate, account: string): Record<string, string> {
    return Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
        .map(([id, r]) => [id, `${this.queues.endpoint}/${account}/${typeof r.Properties?.QueueName === 'string' ? r.Properties.QueueName : id}`]),
    );
  }

  /** Registers the queues and starts one poller per event source mapping (after the handlers' environment is set). */
  async start(options: LocalPushStart): Promise<void> {
    const { template, values, log } = { ...options, log: this.log };
    const region = values.region;
    this.queues.register(findQueues(template, values));
    const mappings = findEventSourceMappings(template, values);
    const invoker = (functionLogicalId: string, source: string) => {
      const fn = options.functions.get(functionLogicalId);
      if (!fn) throw new Error(`event source mapping target ${functionLogicalId} is not a local function`);
      return (event: unknown) => fn.invoke(event, { logStream: `local/${source}`, whenThrottled: 'wait' });
    };

    const streamMappings = mappings.filter((m) => m.sourceLogicalId === options.tableLogicalId);
    if (streamMappings.length > 0) {
      const { Table } = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
      const streamArn = Table?.LatestStreamArn;
      if (!streamArn || !Table?.StreamSpecification?.StreamEnabled) {
        log(`warning: table ${options.tableName} has no stream (a --persist directory from before streams?): webhooks and task events are off`);
      } else {
        const client = streamsClient(options.dynamodbEndpoint, region, options.credentials);
        this.stoppers.push(() => client.destroy());
        for (const mapping of streamMappings) {
          const poller = new StreamPoller({ client, streamArn, mapping, invoke: invoker(mapping.functionLogicalId, 'stream'), log, region }).start();
          this.stoppers.push(() => poller.stop());
        }
      }
    }
    for (const mapping of mappings.filter((m) => template.Resources[m.sourceLogicalId]?.Type === 'AWS::SQS::Queue')) {
      const queue = this.queues.get(mapping.sourceLogicalId)!;
      const poller = new SqsPoller({
        queue,
        deadLetter: this.queues.deadLetterOf(queue),
        batchSize: mapping.batchSize,
        ...(mapping.maximumConcurrency !== undefined && { concurrency: mapping.maximumConcurrency }),
        invoke: invoker(mapping.functionLogicalId, 'sqs'),
        log,
        region,
      }).start();
      this.stoppers.push(() => poller.stop());
    }
  }

  async stop(): Promise<void> {
    for (const stop of this.stoppers.splice(0).reverse()) await stop();
    await this.queues.close();
    await this.bus.close();
  }
}
