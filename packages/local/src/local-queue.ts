/**
 * SQS in process, for the local stack: the queues the template declares (visibility timeout,
 * redrive to a dead-letter queue), an endpoint speaking SQS's JSON protocol for the handlers' SDK
 * clients (`AWS_ENDPOINT_URL_SQS`), and the event source mapping that feeds a function batches
 * and honours `batchItemFailures` and ChangeMessageVisibility, as Lambda's SQS poller does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueDefinition } from './event-sources.ts';

interface Message {
  id: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  /** The current receipt handle (a new one per receive, as in SQS). */
  receipt?: string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

class QueueError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalQueue {
  readonly messages: Message[] = [];
  constructor(readonly definition: QueueDefinition) {}

  send(body: string, delaySeconds = 0): Message {
    const now = Date.now();
    const message: Message = { id: randomUUID(), body, sentAt: now, visibleAt: now + delaySeconds * 1000, receiveCount: 0 };
    this.messages.push(message);
    return message;
  }

  /** Up to `max` visible messages, hidden for the visibility timeout; over-received ones go to `deadLetter` instead. */
  receive(max: number, deadLetter?: LocalQueue): Message[] {
    const now = Date.now();
    const out: Message[] = [];
    for (const message of [...this.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      const redrive = this.definition.redrive;
      if (redrive && deadLetter && message.receiveCount >= redrive.maxReceiveCount) {
        this.remove(message);
        deadLetter.send(message.body);
        continue;
      }
      message.receiveCount++;
      message.receipt = randomUUID();
      message.visibleAt = now + this.definition.visibilityTimeoutSeconds * 1000;
      out.push(message);
    }
    return out;
  }

  private byReceipt(receipt: string): Message {
    const message = this.messages.find((m) => m.receipt === receipt);
    if (!message) throw new QueueError('ReceiptHandleIsInvalid', 'The receipt handle is not valid (the message was deleted or received again).');
    return message;
  }

  changeVisibility(receipt: string, seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200)
      throw new QueueError('InvalidParameterValue', 'VisibilityTimeout must be 0..43200');
    this.byReceipt(receipt).visibleAt = Date.now() + seconds * 1000;
  }

  delete(receipt: string): void {
    this.remove(this.byReceipt(receipt));
  }

  private remove(message: Message): void {
    const i = this.messages.indexOf(message);
    if (i >= 0) this.messages.splice(i, 1);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The queues, and the SQS JSON endpoint in front of them. */
export class LocalQueues {
  readonly byName = new Map<string, LocalQueue>();
  private readonly byLogicalId = new Map<string, LocalQueue>();
  private server?: Server;
  endpoint = '';

  /** Adds the template's queues (the endpoint may already be listening: their URLs name it). */
  register(definitions: QueueDefinition[]): void {
    for (const d of definitions) {
      const queue = new LocalQueue(d);
      this.byName.set(d.name, queue);
      this.byLogicalId.set(d.logicalId, queue);
    }
  }

  get(logicalId: string): LocalQueue | undefined {
    return this.byLogicalId.get(logicalId);
  }

  deadLetterOf(queue: LocalQueue): LocalQueue | undefined {
    return queue.definition.redrive ? this.byLogicalId.get(queue.definition.redrive.deadLetterLogicalId) : undefined;
  }

  private queueOf(url: unknown): LocalQueue {
    const name = typeof url === 'string' ? url.split('/').pop() : undefined;
    const queue = name ? this.byName.get(name) : undefined;
    if (!queue) throw new QueueError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  /** One SQS JSON-protocol action. */
  handle(action: string, input: Record<string, any>): unknown {
    switch (action) {
      case 'SendMessage': {
        const m = this.queueOf(input.QueueUrl).send(String(input.MessageBody), Number(input.DelaySeconds ?? 0));
        return { MessageId: m.id, MD5OfMessageBody: md5(m.body) };
      }
      case 'SendMessageBatch': {
        const queue = this.queueOf(input.QueueUrl);
        const entries = (input.Entries ?? []) as Array<{ Id: string; MessageBody: string; DelaySeconds?: number }>;
        return {
          Successful: entries.map((e) => {
            const m = queue.send(String(e.MessageBody), Number(e.DelaySeconds ?? 0));
            return { Id: e.Id, MessageId: m.id, MD5OfMessageBody: md5(m.body) };
          }),
          Failed: [],
        };
      }
      case 'ChangeMessageVisibility':
        this.queueOf(input.QueueUrl).changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout));
        return {};
      case 'DeleteMessage':
        this.queueOf(input.QueueUrl).delete(String(input.ReceiptHandle));
        return {};
      case 'ReceiveMessage': {
        const queue = this.queueOf(input.QueueUrl);
        const messages = queue.receive(Number(input.MaxNumberOfMessages ?? 1), this.deadLetterOf(queue));
        return {
          Messages: messages.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            MD5OfBody: md5(m.body),
            Body: m.body,
            Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
          })),
        };
      }
      case 'GetQueueAttributes': {
        const queue = this.queueOf(input.QueueUrl);
        const now = Date.now();
        const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
          },
        };
      }
      case 'ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        return { QueueUrls: [...this.byName.values()].filter((q) => q.definition.name.startsWith(prefix)).map((q) => q.definition.url) };
      }
      case 'GetQueueUrl': {
        const queue = this.byName.get(String(input.QueueName));
        if (!queue) throw new QueueError('QueueDoesNotExist', 'The specified queue does not exist.');
        return { QueueUrl: queue.definition.url };
      }
      default:
        throw new QueueError('UnsupportedOperation', `${action} is not supported by the local queue`);
    }
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      let status = 200;
      let payload: unknown;
      try {
        payload = this.handle(action, JSON.parse((await readBody(req)) || '{}'));
      } catch (err) {
        status = 400;
        const code = err instanceof QueueError ? err.code : 'InvalidParameterValue';
        payload = { __type: `com.amazonaws.sqs#${code}`, message: (err as Error).message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(payload));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface SqsPollerOptions {
  queue: LocalQueue;
  deadLetter?: LocalQueue;
  batchSize: number;
  /** Batches in flight at once: the mapping's maximum concurrency, else a few (Lambda scales SQS pollers out). */
  concurrency?: number;
  invoke: (event: unknown) => Promise<unknown>;
  log: (line: string) => void;
  region: string;
  intervalMs?: number;
}

/** Lambda's SQS event source mapping: receive, invoke, delete what did not fail. */
export class SqsPoller {
  private stopped = false;
  private inFlight = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: SqsPollerOptions) {}

  start(): this {
    this.tick();
    return this;
  }

  private tick(): void {
    if (this.stopped) return;
    const { queue, deadLetter, batchSize } = this.options;
    while (this.inFlight < (this.options.concurrency ?? 4)) {
      const batch = queue.receive(batchSize, deadLetter);
      if (batch.length === 0) break;
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (!this.stopped) setImmediate(() => this.tick());
      });
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), this.options.intervalMs ?? 200);
  }

  private async run(batch: Message[]): Promise<void> {
    const { queue } = this.options;
    const receipts = new Map(batch.map((m) => [m.id, m.receipt!]));
    const event = {
      Records: batch.map((m) => ({
        messageId: m.id,
        receiptHandle: m.receipt,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: md5(m.body),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.definition.arn,
        awsRegion: this.options.region,
      })),
    };
    let failed: Set<string>;
    try {
      const result = (await this.options.invoke(event)) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      this.options.log(
        `[sqs] ${queue.definition.name}: the function failed; the batch comes back after the visibility timeout: ${(err as Error)?.message ?? err}`,
      );
      return;
    }
    for (const [id, receipt] of receipts) {
      if (failed.has(id)) continue;
      try {
        queue.delete(receipt);
      } catch {
        // received again meanwhile (visibility ran out): SQS would refuse the old handle too
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
