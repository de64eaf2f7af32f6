/** The demo `report` task's content: deterministic, so a client can check what it downloaded. Pure. */

export interface ReportInput {
  sizeKb: number;
  /** Return the report inline even when large: shows the `result-too-large` failure. */
  inline?: boolean;
  label?: string;
}

export interface Report {
  label?: string;
  sizeKb: number;
  lines: string[];
}

const LINE_CHARS = 64;

/** A deterministic report of about `sizeKb` KiB of JSON, so a client can check what it downloaded. */
export function reportOf(input: ReportInput): Report {
  const lines: string[] = [];
  const count = Math.max(1, Math.ceil((input.sizeKb * 1024) / (LINE_CHARS + 3)));
  let x = 2_463_534_242;
  for (let i = 0; i < count; i++) {
    let line = `${String(i + 1).padStart(8, '0')} `;
    // xorshift32: cheap, repeatable filler.
    while (line.length < LINE_CHARS) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      line += (x >>> 0).toString(16).padStart(8, '0');
    }
    lines.push(line.slice(0, LINE_CHARS));
  }
  return { ...(input.label !== undefined && { label: input.label }), sizeKb: input.sizeKb, lines };
}
