/**
 * Lambda's DynamoDB Streams event source mapping, for the local stack: reads DynamoDB Local's
 * stream of the task table shard by shard (parents before children), keeps the records that pass
 * the mapping's filter criteria from the template, and invokes the function with batches in the
 * shape Lambda uses. A reported `batchItemFailures` sequence number (or a thrown error) retries
 * from that record, up to the mapping's retry limit, then the batch is skipped (logged), as it
 * would go to the on-failure destination.
 */
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { passesFilters } from './event-filter.ts';
import type { EventSourceMappingDefinition } from './event-sources.ts';

export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  mapping: EventSourceMappingDefinition;
  invoke: (event: unknown) => Promise<unknown>;
  log: (line: string) => void;
  region: string;
  /** Idle wait between polls of a shard (250 ms: latency against the JVM's load on a small machine). */
  intervalMs?: number;
}

/** A stream record as a Lambda event source mapping hands it to the function. */
function lambdaRecord(record: _Record, streamArn: string, region: string): Record<string, unknown> {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(d.ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }),
      Keys: d.Keys,
      ...(d.NewImage && { NewImage: d.NewImage }),
      ...(d.OldImage && { OldImage: d.OldImage }),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StreamPoller {
  private stopped = false;
  private readonly done = new Set<string>();
  private readonly started = new Set<string>();
  private loop?: Promise<void>;

  constructor(private readonly options: StreamPollerOptions) {}

  start(): this {
    this.loop = this.discover();
    return this;
  }

  /** Finds shards (DynamoDB Local rolls them over) and starts each once its parent is finished. */
  private async discover(): Promise<void> {
    const shardLoops: Promise<void>[] = [];
    while (!this.stopped) {
      try {
        const shards: Shard[] = [];
        let exclusiveStart: string | undefined;
        do {
          const { StreamDescription } = await this.options.client.send(
            new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: exclusiveStart }),
          );
          shards.push(...(StreamDescription?.Shards ?? []));
          exclusiveStart = StreamDescription?.LastEvaluatedShardId;
        } while (exclusiveStart);
        const known = new Set(shards.map((s) => s.ShardId!));
        for (const shard of shards) {
          const id = shard.ShardId!;
          const parentPending = shard.ParentShardId && known.has(shard.ParentShardId) && !this.done.has(shard.ParentShardId);
          if (this.started.has(id) || parentPending) continue;
          this.started.add(id);
          shardLoops.push(this.readShard(id));
        }
      } catch (err) {
        if (!this.stopped) this.options.log(`[stream] ${this.options.mapping.logicalId}: DescribeStream failed: ${(err as Error).message}`);
      }
      // A shard is read until it closes; its children only need finding by then.
      await sleep(2000);
    }
    await Promise.all(shardLoops);
  }

  private async readShard(shardId: string): Promise<void> {
    const { client, streamArn } = this.options;
    let iterator: string | undefined;
    let lastSequence: string | undefined;
    let lastError: string | undefined;
    // From the start of the shard; after an expired iterator, from the last record read.
    const freshIterator = async () =>
      (
        await client.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ...(lastSequence ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastSequence } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        )
      ).ShardIterator;
    try {
      iterator = await freshIterator();
    } catch (err) {
      this.options.log(`[stream] ${this.options.mapping.logicalId}: shard ${shardId}: ${(err as Error).message}`);
      this.started.delete(shardId);
      return;
    }
    while (iterator && !this.stopped) {
      let records: _Record[] = [];
      try {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.mapping.batchSize }));
        records = page.Records ?? [];
        iterator = page.NextShardIterator;
        lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? lastSequence;
        lastError = undefined;
      } catch (err) {
        if (this.stopped) return;
        // Once per kind of failure, not every 500 ms (e.g. DynamoDB Local stopping first on SIGTERM).
        const message = (err as Error).message;
        if (message !== lastError) this.options.log(`[stream] ${this.options.mapping.logicalId}: GetRecords failed: ${message}`);
        lastError = message;
        await sleep(500);
        if ((err as Error).name === 'ExpiredIteratorException') iterator = await freshIterator().catch(() => iterator);
        continue;
      }
      const batch = records.map((r) => lambdaRecord(r, streamArn, this.options.region)).filter((r) => passesFilters(this.options.mapping.filters, r));
      if (batch.length > 0) await this.deliver(batch);
      if (records.length === 0) await sleep(this.options.intervalMs ?? 250);
    }
    this.done.add(shardId);
  }

  /** Invokes until the batch is through; retries from the reported failure, then gives up on it. */
  private async deliver(batch: Record<string, unknown>[]): Promise<void> {
    const { mapping } = this.options;
    const maxRetries = mapping.maximumRetryAttempts ?? 10;
    let pending = batch;
    for (let attempt = 0; pending.length > 0 && !this.stopped; attempt++) {
      let failedAt = -1;
      try {
        const result = (await this.options.invoke({ Records: pending })) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;
        const failures = mapping.reportBatchItemFailures ? (result?.batchItemFailures ?? []) : [];
        const sequences = new Set(failures.map((f) => f.itemIdentifier));
        failedAt = pending.findIndex((r) => sequences.has(String((r.dynamodb as { SequenceNumber?: string }).SequenceNumber)));
        if (failures.length > 0 && failedAt < 0) failedAt = 0; // an unknown identifier fails the whole batch (as Lambda does)
      } catch (err) {
        this.options.log(`[stream] ${mapping.logicalId}: the function failed: ${(err as Error)?.message ?? err}`);
        failedAt = 0;
      }
      if (failedAt < 0) return;
      pending = pending.slice(failedAt);
      if (attempt >= maxRetries) {
        this.options.log(
          `[stream] ${mapping.logicalId}: ${pending.length} record(s) skipped after ${maxRetries} retries (on-failure destination on AWS)`,
        );
        return;
      }
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => {});
  }
}

export function streamsClient(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ endpoint, region, credentials });
}
