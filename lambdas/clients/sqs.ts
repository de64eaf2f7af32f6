/** One SQS client per container, reused across invocations. */
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = new SQSClient({});
