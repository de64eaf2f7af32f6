/**
 * `npm run redrive -- --queue <url> --function <name or ARN> [--max N] [--dry-run]`
 *
 * Replays the messages of a reconcile dead-letter queue into the reconcile function, once the
 * cause is fixed. Both queues hold the status-change event: the EventBridge target's DLQ as the
 * message body, the function's on-failure destination inside an invocation record
 * (`requestPayload`). Each event is invoked synchronously; a message is deleted only after the
 * function succeeded, so a failing replay stays in the queue. Replays are safe: reconcile writes
 * are conditional, a duplicate changes nothing. (The sweeper repairs the same tasks on its own;
 * this empties the queue and closes the alarm.) Uses the usual AWS credentials and region.
 */

import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** The status-change event a dead-lettered message carries. */
export function eventOfMessage(body: string): unknown {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  return parsed.requestPayload ?? parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      queue: { type: 'string' },
      function: { type: 'string' },
      max: { type: 'string', default: '1000' },
      'dry-run': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.queue || !values.function) {
    console.error('usage: npm run redrive -- --queue <queue URL> --function <reconcile function name or ARN> [--max N] [--dry-run]');
    return 2;
  }
  const sqs = new SQSClient({});
  const lambda = new LambdaClient({});
  const max = Number(values.max);
  let replayed = 0;
  let failed = 0;
  while (replayed + failed < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: values.queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const event = eventOfMessage(message.Body ?? '{}');
      if (values['dry-run']) {
        console.log(JSON.stringify(event));
        replayed++;
        continue;
      }
      const out = await lambda.send(new InvokeCommand({ FunctionName: values.function, Payload: Buffer.from(JSON.stringify(event)) }));
      if (out.FunctionError) {
        failed++;
        console.error(`replay failed (${out.FunctionError}); message ${message.MessageId} stays in the queue`);
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: values.queue, ReceiptHandle: message.ReceiptHandle }));
      replayed++;
    }
    if (values['dry-run']) break;
  }
  console.log(`${values['dry-run'] ? 'would replay' : 'replayed'} ${replayed}, failed ${failed}`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
