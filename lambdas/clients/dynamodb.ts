/** One DynamoDB document client per container, reused across invocations. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAX_ATTEMPTS, REQUEST_HANDLER } from '#clients/timeouts';

export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: MAX_ATTEMPTS, requestHandler: REQUEST_HANDLER }), {
  marshallOptions: { removeUndefinedValues: true },
});
