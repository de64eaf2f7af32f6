/**
 * EventBridge Scheduler's one-time schedules, for the local stack: the functions' SDK client
 * reaches this endpoint (`AWS_ENDPOINT_URL_SCHEDULER`; REST-JSON: `POST|GET|DELETE
 * /schedules/{Name}`). An `at(…)` schedule invokes its target, a local function found by ARN, with
 * its `Input` when due (at once if due already), retrying a failed invocation a few times, and is
 * deleted after (`ActionAfterCompletion: DELETE`) or kept as completed. With a persist directory,
 * schedules survive a restart (`schedules.json`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LocalLambda } from './functions/local-lambda.ts';

interface Schedule {
  name: string;
  group: string;
  /** Epoch ms. */
  at: number;
  targetArn: string;
  input: string;
  deleteAfter: boolean;
  state: 'ENABLED' | 'COMPLETED';
}

export interface LocalSchedulerOptions {
  /** Finds the function a target ARN designates. */
  resolveFunction: (arn: string) => LocalLambda | undefined;
  account: string;
  region: string;
  /** Keep schedules here across restarts. */
  persistDir?: string;
  log: (line: string) => void;
}

class SchedulerError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** `at(2026-01-31T12:00:00)` (UTC) as epoch ms. */
function parseAt(expression: unknown): number {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(String(expression ?? ''));
  const at = match ? Date.parse(`${match[1]}Z`) : Number.NaN;
  if (Number.isNaN(at))
    throw new SchedulerError('ValidationException', `Only one-time at(yyyy-mm-ddThh:mm:ss) schedules run locally, not ${String(expression)}`, 400);
  return at;
}

/** Attempts of a failed invocation, and the pause between them. */
const ATTEMPTS = 3;
const RETRY_MS = 1_000;

export class LocalScheduler {
  private readonly schedules = new Map<string, Schedule>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private server?: Server;
  private stopped = false;
  endpoint = '';

  constructor(private readonly options: LocalSchedulerOptions) {}

  private get file(): string | undefined {
    return this.options.persistDir ? join(this.options.persistDir, 'schedules.json') : undefined;
  }

  async start(): Promise<this> {
    if (this.file && existsSync(this.file)) {
      for (const schedule of JSON.parse(readFileSync(this.file, 'utf8')) as Schedule[]) this.add(schedule);
    }
    const server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Names of the schedules not yet fired (tests). */
  pending(): string[] {
    return [...this.schedules.values()].filter((s) => s.state === 'ENABLED').map((s) => `${s.group}/${s.name}`);
  }

  private key(group: string, name: string): string {
    return `${group}/${name}`;
  }

  private arnOf(schedule: Pick<Schedule, 'group' | 'name'>): string {
    return `arn:aws:scheduler:${this.options.region}:${this.options.account}:schedule/${schedule.group}/${schedule.name}`;
  }

  private persist(): void {
    if (!this.file) return;
    mkdirSync(this.options.persistDir!, { recursive: true });
    writeFileSync(this.file, JSON.stringify([...this.schedules.values()]));
  }

  private add(schedule: Schedule): void {
    const key = this.key(schedule.group, schedule.name);
    this.schedules.set(key, schedule);
    if (schedule.state !== 'ENABLED') return;
    // setTimeout holds at most 2^31 - 1 ms: a later schedule is re-armed when that passes.
    const delay = Math.min(Math.max(0, schedule.at - Date.now()), 2_147_483_647);
    this.timers.set(
      key,
      setTimeout(() => (Date.now() >= schedule.at ? void this.fire(key) : this.add(schedule)), delay),
    );
  }

  private async fire(key: string): Promise<void> {
    this.timers.delete(key);
    const schedule = this.schedules.get(key);
    if (!schedule || this.stopped) return;
    const fn = this.options.resolveFunction(schedule.targetArn);
    let payload: unknown;
    try {
      payload = JSON.parse(schedule.input);
    } catch {
      payload = schedule.input;
    }
    for (let attempt = 1; attempt <= ATTEMPTS && fn && !this.stopped; attempt++) {
      try {
        await fn.invoke(payload, { logStream: 'local/scheduler' });
        break;
      } catch (err) {
        this.options.log(`[scheduler] ${schedule.name}: attempt ${attempt} failed: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    if (!fn) this.options.log(`[scheduler] ${schedule.name}: no local function for ${schedule.targetArn}`);
    if (schedule.deleteAfter) this.schedules.delete(key);
    else schedule.state = 'COMPLETED';
    this.persist();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body ?? {});
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://local');
      const match = /^\/schedules\/([0-9A-Za-z_.-]{1,64})$/.exec(url.pathname);
      if (!match) throw new SchedulerError('UnknownOperationException', `No route ${req.method} ${url.pathname}`, 404);
      const name = match[1]!;
      const text = Buffer.concat(chunks).toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Record<string, any>;
      const group = String(body.GroupName ?? url.searchParams.get('groupName') ?? 'default');
      const key = this.key(group, name);
      switch (req.method) {
        case 'POST': {
          if (this.schedules.has(key)) throw new SchedulerError('ConflictException', `Schedule ${name} already exists.`, 409);
          const target = body.Target as Record<string, unknown> | undefined;
          if (!target || typeof target.Arn !== 'string') throw new SchedulerError('ValidationException', 'Target.Arn is required', 400);
          const schedule: Schedule = {
            name,
            group,
            at: parseAt(body.ScheduleExpression),
            targetArn: target.Arn,
            input: typeof target.Input === 'string' ? target.Input : '{}',
            deleteAfter: body.ActionAfterCompletion === 'DELETE',
            state: 'ENABLED',
          };
          this.add(schedule);
          this.persist();
          send(200, { ScheduleArn: this.arnOf(schedule) });
          return;
        }
        case 'GET': {
          const schedule = this.schedules.get(key);
          if (!schedule) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
          send(200, {
            Arn: this.arnOf(schedule),
            Name: name,
            GroupName: group,
            State: schedule.state === 'ENABLED' ? 'ENABLED' : 'DISABLED',
            ScheduleExpression: `at(${new Date(schedule.at).toISOString().slice(0, 19)})`,
            Target: { Arn: schedule.targetArn, Input: schedule.input },
          });
          return;
        }
        case 'DELETE': {
          if (!this.schedules.delete(key)) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
          clearTimeout(this.timers.get(key));
          this.timers.delete(key);
          this.persist();
          send(200, {});
          return;
        }
        default:
          throw new SchedulerError('UnknownOperationException', `No route ${req.method} ${url.pathname}`, 404);
      }
    } catch (err) {
      const error = err instanceof SchedulerError ? err : new SchedulerError('ValidationException', (err as Error).message, 400);
      send(error.statusCode, { Message: error.message, __type: error.type }, { 'x-amzn-errortype': error.type });
    }
  }
}
