/** One DynamoDB document client per container, reused across invocations. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_OPTIONS } from '#clients/timeouts';

export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(CLIENT_OPTIONS), {
  marshallOptions: { removeUndefinedValues: true },
});
