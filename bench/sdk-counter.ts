/**
 * Counts the AWS SDK calls the handlers really make: one middleware, added to the `initialize`
 * step of the shared `#clients/dynamodb` and `#clients/sfn` clients (the same module instances the
 * local stack's in-process handlers use). Calls made inside `counter.attribute(label, fn)` are
 * also listed under that label (AsyncLocalStorage), so background work (workflow steps, the
 * backstop) never leaks into a request's count.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallRecord {
  client: string;
  command: string;
  /** The call failed with this error name (e.g. a failed condition). */
  error?: string;
  /** Duration of the call, ms (including retries). */
  ms?: number;
}

export interface Tally {
  /** `Client.Command[!Error]` -> count. */
  [key: string]: number;
}

export class SdkCounter {
  private readonly als = new AsyncLocalStorage<CallRecord[]>();
  /** Every call since the last `reset()`, attributed or not. */
  totals: Tally = {};

  /** Installs the middleware; `clients` come from `#clients/*` after the local stack set the env. */
  install(clients: Record<string, { middlewareStack: { add: (mw: any, opts: any) => void } }>): void {
    for (const [clientName, client] of Object.entries(clients)) {
      client.middlewareStack.add(
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
          const record: CallRecord = { client: clientName, command: (context.commandName ?? 'unknown').replace(/Command$/, '') };
          this.als.getStore()?.push(record);
          const t0 = performance.now();
          try {
            return await next(args);
          } catch (error) {
            record.error = (error as Error).name;
            throw error;
          } finally {
            record.ms = performance.now() - t0;
            const key = `${record.client}.${record.command}${record.error ? `!${record.error}` : ''}`;
            this.totals[key] = (this.totals[key] ?? 0) + 1;
          }
        },
        { step: 'initialize', name: 'longrunBenchCallCounter', priority: 'high' },
      );
    }
  }

  /** Runs `fn`, returning its value and the SDK calls made on its behalf. */
  async attribute<T>(fn: () => Promise<T>): Promise<{ value: T; calls: CallRecord[] }> {
    const calls: CallRecord[] = [];
    const value = await this.als.run(calls, fn);
    return { value, calls };
  }

  reset(): Tally {
    const t = this.totals;
    this.totals = {};
    return t;
  }
}

/** Sums a tally by a predicate on its keys. */
export function sumTally(t: Tally, match: (client: string, command: string, error?: string) => boolean): number {
  let n = 0;
  for (const [key, count] of Object.entries(t)) {
    const [head, error] = key.split('!') as [string, string | undefined];
    const [client, command] = head.split('.') as [string, string];
    if (match(client, command, error)) n += count;
  }
  return n;
}
