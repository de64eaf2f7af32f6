/** Reading DynamoDB stream records of the task table. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { TaskRecord } from '#domain/task';

/** The task as the write left it, or undefined for a record without a new image (a removal). */
export function newTask(record: DynamoDBRecord): TaskRecord | undefined {
  const image = record.dynamodb?.NewImage;
  return image ? (unmarshall(image as Record<string, AttributeValue>) as TaskRecord) : undefined;
}

/** The task as it was before the write, or undefined for a record without an old image (an insert). */
export function oldTask(record: DynamoDBRecord): TaskRecord | undefined {
  const image = record.dynamodb?.OldImage;
  return image ? (unmarshall(image as Record<string, AttributeValue>) as TaskRecord) : undefined;
}
