/** What the `longrun` command line prints: tasks, listings, histories (stdout) and progress (stderr). */
import type { HistoryEntry, Task } from './types.ts';

/** Where the CLI writes: stdout for results, stderr for progress and messages. */
export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** stdout: one JSON document with --json, readable lines otherwise. */
export class Output {
  constructor(
    private readonly io: CliStreams,
    private readonly asJson: boolean,
  ) {}

  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, this.asJson ? undefined : 2)}\n`);
  }

  task(task: Task): void {
    if (this.asJson) {
      this.json(task);
      return;
    }
    const lines = [
      `id:        ${task.id}`,
      `type:      ${task.type}`,
      `status:    ${task.status}`,
      `progress:  ${formatPercent(task.progress.percent)}${task.progress.step ? ` (${task.progress.step})` : ''}`,
      `created:   ${task.createdAt}`,
      ...(task.startedAt ? [`started:   ${task.startedAt}`] : []),
      ...(task.completedAt ? [`completed: ${task.completedAt}`] : []),
      ...(task.attempt > 1 ? [`attempt:   ${task.attempt}`] : []),
      ...(task.deadline ? [`deadline:  ${task.deadline}`] : []),
      ...(task.progress.estimatedCompletionAt ? [`eta:       ${task.progress.estimatedCompletionAt}`] : []),
      ...(task.metadata
        ? [
            `metadata:  ${Object.entries(task.metadata)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
          ]
        : []),
      ...(task.awaitingInput
        ? [
            `awaiting:  ${task.awaitingInput.name}${task.awaitingInput.prompt ? ` (${task.awaitingInput.prompt})` : ''}`,
            `           longrun input ${task.id} '<json>'${task.awaitingInput.url ? `  or POST it to ${task.awaitingInput.url}` : ''}`,
          ]
        : []),
      ...(task.error ? [`error:     ${task.error.title}${task.error.detail ? `: ${task.error.detail}` : ''}`] : []),
      ...(task.compensation ? [`compensation: ${task.compensation.status}`] : []),
    ];
    this.io.stdout.write(`${lines.join('\n')}\n`);
  }

  history(items: HistoryEntry[]): void {
    if (this.asJson) {
      this.json({ items });
      return;
    }
    for (const e of items)
      this.io.stdout.write(`${e.at}  #${e.attempt}  ${e.event.padEnd(15)} ${e.status.padEnd(10)}${e.detail ? ` ${e.detail}` : ''}\n`);
  }

  /** One change of a followed task: a JSON line with --json, else `status percent step`. */
  change(task: Task): void {
    if (this.asJson) this.io.stdout.write(`${JSON.stringify(task)}\n`);
    else this.io.stdout.write(`${task.status} ${formatPercent(task.progress.percent)}${task.progress.step ? ` ${task.progress.step}` : ''}\n`);
  }

  list(items: Task[], nextCursor: string | null): void {
    if (this.asJson) {
      this.json({ items, nextCursor });
      return;
    }
    for (const t of items) {
      this.io.stdout.write(`${t.id}  ${t.type.padEnd(8)} ${t.status.padEnd(10)} ${formatPercent(t.progress.percent).padStart(4)}  ${t.createdAt}\n`);
    }
    if (items.length === 0) this.io.stdout.write('no tasks\n');
    if (nextCursor) this.io.stdout.write(`more: longrun list --cursor ${nextCursor}\n`);
  }
}

function formatPercent(percent: number): string {
  return `${Math.floor(percent)}%`;
}

/** Progress on stderr: a live bar on a TTY, one line per change otherwise. */
export class ProgressView {
  private drawn = false;

  constructor(private readonly io: CliStreams) {}

  update(task: Task): void {
    const step = task.progress.step ? ` ${task.progress.step}` : '';
    if (!this.io.stderr.isTTY) {
      this.io.stderr.write(`${task.status} ${formatPercent(task.progress.percent)}${step}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round((Math.min(100, Math.max(0, task.progress.percent)) / 100) * width);
    const line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${formatPercent(task.progress.percent).padStart(4)} ${task.status}${step}`;
    const columns = this.io.stderr.columns ?? 80;
    this.io.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`);
    this.drawn = true;
  }

  finish(task?: Task): void {
    if (task && this.io.stderr.isTTY) this.update(task);
    if (this.drawn) this.io.stderr.write('\n');
    this.drawn = false;
  }
}
