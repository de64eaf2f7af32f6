/**
 * EventBridge's PutEvents, for the local stack: the event publisher's SDK client reaches this
 * endpoint (`AWS_ENDPOINT_URL_EVENTBRIDGE`) instead of a bus. Each event is kept (the last 10,000),
 * offered to in-process subscribers and logged as one `[bus]` line; `GET /events` on the endpoint
 * lists them (`?detail-type=task.failed`, `?since=<index>`) for tests and curious developers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BusEvent {
  /** Position in this run's sequence of events (0, 1, …), for `?since=`. */
  index: number;
  id: string;
  eventBusName: string;
  source: string;
  detailType: string;
  time: string;
  detail: unknown;
}

const KEEP = 10_000;

export class LocalEventBus {
  readonly events: BusEvent[] = [];
  private readonly subscribers = new Set<(event: BusEvent) => void>();
  private count = 0;
  private server?: Server;
  endpoint = '';

  constructor(private readonly log: (line: string) => void) {}

  subscribe(listener: (event: BusEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  put(entries: Array<Record<string, unknown>>): { FailedEntryCount: number; Entries: Array<{ EventId: string }> } {
    const out = entries.map((entry) => {
      let detail: unknown;
      try {
        detail = JSON.parse(String(entry.Detail ?? '{}'));
      } catch {
        detail = null;
      }
      const event: BusEvent = {
        index: this.count++,
        id: randomUUID(),
        eventBusName: String(entry.EventBusName ?? 'default'),
        source: String(entry.Source),
        detailType: String(entry.DetailType),
        time: typeof entry.Time === 'number' ? new Date(entry.Time * 1000).toISOString() : new Date().toISOString(),
        detail,
      };
      this.events.push(event);
      if (this.events.length > KEEP) this.events.shift();
      const id = (detail as { id?: unknown } | null)?.id;
      this.log(`[bus] ${event.source} ${event.detailType} ${typeof id === 'string' ? id : ''}`);
      for (const listener of this.subscribers) listener(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: 0, Entries: out };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://local');
      if (req.method === 'GET' && url.pathname === '/events') {
        const type = url.searchParams.get('detail-type');
        const since = Number(url.searchParams.get('since') ?? 0);
        const events = this.events.filter((e) => e.index >= since && (!type || e.detailType === type));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ events }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        let status = 200;
        let payload: unknown;
        try {
          if (target !== 'AWSEvents.PutEvents') throw new Error(`${target} is not supported by the local event bus`);
          const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Entries?: Array<Record<string, unknown>> };
          payload = this.put(input.Entries ?? []);
        } catch (err) {
          status = 400;
          payload = { __type: 'ValidationException', message: (err as Error).message };
        }
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
