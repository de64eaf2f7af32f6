/**
 * The example's business logic, free of AWS: a monthly sales report built day by day from
 * deterministic sample data (a real worker would query its own store here).
 */

/** The `monthly-report` task type's input, as its JSON Schema in lib/reports-stack.ts allows it. */
export interface ReportInput {
  /** `YYYY-MM`. */
  month: string;
  /** @default 'eu' */
  region?: 'eu' | 'us' | 'apac';
}

export interface DaySales {
  day: string;
  orders: number;
  revenue: number;
}

export interface Report {
  month: string;
  region: string;
  days: number;
  orders: number;
  /** In cents, so the sum stays exact. */
  revenueCents: number;
  busiestDay: string;
}

/** Days of `YYYY-MM`, as `YYYY-MM-DD`. */
export function daysOf(month: string): string[] {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const count = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** FNV-1a: a stable pseudo-random number per (region, day), so every run gives the same report. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function salesOf(region: string, day: string): DaySales {
  const h = hash(`${region}/${day}`);
  const orders = 50 + (h % 200);
  return { day, orders, revenue: orders * (1_000 + ((h >>> 8) % 9_000)) };
}

/** Adds one day to a running report (a fold, so the worker can report progress between days). */
export function addDay(report: Report, sales: DaySales, busiest: DaySales | undefined): Report {
  return {
    ...report,
    days: report.days + 1,
    orders: report.orders + sales.orders,
    revenueCents: report.revenueCents + sales.revenue,
    busiestDay: !busiest || sales.orders > busiest.orders ? sales.day : report.busiestDay,
  };
}

/** The whole report at once (what the worker computes in steps; the tests compare the two). */
export function buildReport(input: ReportInput): Report {
  const region = input.region ?? 'eu';
  let report: Report = { month: input.month, region, days: 0, orders: 0, revenueCents: 0, busiestDay: '' };
  let busiest: DaySales | undefined;
  for (const day of daysOf(input.month)) {
    const sales = salesOf(region, day);
    report = addDay(report, sales, busiest);
    if (!busiest || sales.orders > busiest.orders) busiest = sales;
  }
  return report;
}
