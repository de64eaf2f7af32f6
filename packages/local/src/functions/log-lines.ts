/**
 * A function's output as a person reads it: the JSON lines of Powertools' logger become
 * `[function] LEVEL message key=value`, an EMF metrics record becomes one short `[metrics]` line,
 * anything else is kept as printed. `quiet` keeps only warnings, errors and plain lines.
 */

const LEVELS = new Set(['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL']);
/** Keys every Powertools line carries: shown as the prefix, or not at all. */
const ROUTINE_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
]);

function compact(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function metricsLine(record: Record<string, any>): string {
  const definitions = (record._aws?.CloudWatchMetrics ?? []) as Array<{ Dimensions?: string[][]; Metrics?: Array<{ Name: string }> }>;
  const names = definitions.flatMap((d) => (d.Metrics ?? []).map((m) => m.Name));
  const dimensions = [...new Set(definitions.flatMap((d) => (d.Dimensions ?? []).flat()))].filter((d) => d !== 'service');
  const values = names.map((name) => `${name}=${compact(record[name])}`).join(' ');
  const labels = dimensions.map((d) => `${d}=${compact(record[d])}`).join(' ');
  return `[metrics] ${values}${labels ? ` (${labels})` : ''}`;
}

/** The line to show for one line `functionName` printed, or undefined to show nothing. */
export function formatFunctionLine(functionName: string, line: string, quiet: boolean): string | undefined {
  if (!line.trim()) return undefined;
  if (line.startsWith('{')) {
    let record: Record<string, any> | undefined;
    try {
      record = JSON.parse(line) as Record<string, any>;
    } catch {
      record = undefined;
    }
    if (record?._aws?.CloudWatchMetrics) return quiet ? undefined : metricsLine(record);
    const level = typeof record?.level === 'string' ? record.level.toUpperCase() : undefined;
    if (record && level && LEVELS.has(level) && 'message' in record) {
      if (quiet && (level === 'DEBUG' || level === 'INFO')) return undefined;
      const extras = Object.entries(record)
        .filter(([key]) => !ROUTINE_KEYS.has(key))
        .map(([key, value]) => `${key}=${compact(value)}`)
        .join(' ');
      return `[${functionName}] ${level} ${record.message}${extras ? ` ${extras}` : ''}`;
    }
  }
  return `[${functionName}] ${line}`;
}
