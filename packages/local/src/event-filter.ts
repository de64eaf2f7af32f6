/**
 * Lambda event-filtering patterns (the EventBridge pattern language), as an event source mapping
 * applies them before invoking a function. The subset this project's mappings use plus the common
 * operators; anything else throws, so a filter is never silently treated as "matches all".
 */
type Pattern = { [key: string]: unknown };

function matchOperator(op: Record<string, unknown>, value: unknown): boolean {
  const [name, arg] = Object.entries(op)[0] ?? [];
  switch (name) {
    case 'exists':
      return (value !== undefined) === arg;
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'anything-but': {
      if (value === undefined) return false;
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value);
    }
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    default:
      throw new Error(`event filter operator ${JSON.stringify(op)} is not supported locally`);
  }
}

function matchLeaf(options: unknown[], value: unknown): boolean {
  return options.some((option) => {
    if (option !== null && typeof option === 'object') return matchOperator(option as Record<string, unknown>, value);
    return Array.isArray(value) ? value.includes(option) : value === option;
  });
}

/** Whether `event` matches `pattern`: every key of the pattern must match (AND), any value of a list (OR). */
function matchesPattern(pattern: Pattern, event: unknown): boolean {
  const object = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : undefined;
  return Object.entries(pattern).every(([key, expected]) => {
    const value = object?.[key];
    if (Array.isArray(expected)) return matchLeaf(expected, value);
    // An array of objects in the event matches when any of its elements does (as EventBridge does).
    if (expected !== null && typeof expected === 'object' && Array.isArray(value))
      return value.some((item) => matchesPattern(expected as Pattern, item));
    if (expected !== null && typeof expected === 'object') return matchesPattern(expected as Pattern, value);
    throw new Error(`event filter pattern ${JSON.stringify(pattern)}: values must be lists or objects`);
  });
}

/** An event source mapping's `FilterCriteria.Filters`: a record passes if any pattern matches; no filters pass all. */
export function passesFilters(filters: Pattern[], event: unknown): boolean {
  return filters.length === 0 || filters.some((pattern) => matchesPattern(pattern, event));
}
