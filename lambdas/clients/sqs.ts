/** One SQS client per container, reused across invocations. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { CLIENT_OPTIONS } from '#clients/timeouts';

export const sqs = new SQSClient(CLIENT_OPTIONS);
