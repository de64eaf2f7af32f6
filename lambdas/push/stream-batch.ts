/**
 * What both stream readers do with a batch of DynamoDB stream records: send one entry per record
 * in chunks of the target's batch size, and report the earliest record whose entry failed, so that
 * Lambda retries the batch from there (stream batches are ordered; a repeated entry is harmless).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '#observability/logger';

/** Sends one chunk; resolves with the positions (within the chunk) of the entries that failed. */
export type ChunkSender<E> = (chunk: E[]) => Promise<number[]>;

export async function forwardRecords<E>(
  event: DynamoDBStreamEvent,
  /** The entries of one record: one, several (an array), or none. */
  toEntry: (record: DynamoDBRecord) => E | readonly E[] | undefined,
  chunkSize: number,
  send: ChunkSender<E>,
  what: string,
): Promise<DynamoDBBatchResponse> {
  const entries = event.Records.flatMap((record, index) => {
    const entry = toEntry(record);
    if (entry === undefined) return [];
    return (Array.isArray(entry) ? (entry as readonly E[]) : [entry as E]).map((one) => ({ index, entry: one }));
  });
  const failed: number[] = [];
  for (let i = 0; i < entries.length; i += chunkSize) {
    const chunk = entries.slice(i, i + chunkSize);
    try {
      for (const position of await send(chunk.map((c) => c.entry))) failed.push(chunk[position]!.index);
    } catch (error) {
      logger.error(`${what} failed`, { error: error as Error });
      failed.push(...chunk.map((c) => c.index));
    }
  }
  if (failed.length === 0) return { batchItemFailures: [] };
  return { batchItemFailures: [{ itemIdentifier: event.Records[Math.min(...failed)]!.dynamodb?.SequenceNumber ?? '' }] };
}
