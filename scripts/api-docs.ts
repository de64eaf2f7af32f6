/**
 * The API reference of the published packages, generated from their TSDoc with TypeDoc (as
 * Markdown, into docs/reference/<package>/). A public export without a doc comment, a broken
 * `{@link}` or a referenced type that is not exported fails the run.
 *
 *   npx tsx scripts/api-docs.ts           regenerate docs/reference/
 *   npx tsx scripts/api-docs.ts --check   exit 1 if a doc comment is missing or the committed reference is out of date
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel, OptionDefaults, type TypeDocOptions } from 'typedoc';
import { SCHEMA_CONTAINERS } from './client-types.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const REFERENCE_DIR = join(REPO_ROOT, 'docs', 'reference');

/** Each documented package: its entry points and the tsconfig that compiles them. */
const PACKAGES: Record<string, { entryPoints: string[]; tsconfig: string; intentionallyNotExported?: string[] }> = {
  cdk: { entryPoints: ['lib/index.ts'], tsconfig: 'tsconfig.build.json' },
  worker: { entryPoints: ['packages/worker/src/index.ts', 'packages/worker/src/protocol.ts'], tsconfig: 'packages/worker/tsconfig.json' },
  // The client's types come from the generated OpenAPI types; `TasksSchemas`, … are their containers.
  client: {
    entryPoints: ['packages/client/src/index.ts'],
    tsconfig: 'packages/client/tsconfig.json',
    intentionallyNotExported: [...SCHEMA_CONTAINERS],
  },
};

async function generate(name: string, out: string): Promise<boolean> {
  const { entryPoints, tsconfig, intentionallyNotExported = [] } = PACKAGES[name]!;
  const options: Partial<TypeDocOptions> & Record<string, unknown> = {
    entryPoints: entryPoints.map((e) => join(REPO_ROOT, e)),
    tsconfig: join(REPO_ROOT, tsconfig),
    out,
    plugin: ['typedoc-plugin-markdown'],
    readme: 'none',
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    intentionallyNotExported,
    // openapi-typescript writes the schemas' descriptions as @description.
    blockTags: [...OptionDefaults.blockTags, '@description'],
    validation: { notExported: true, invalidLink: true, notDocumented: true },
    treatValidationWarningsAsErrors: true,
    logLevel: LogLevel.Warn,
  };
  const app = await Application.bootstrapWithPlugins(options);
  const project = await app.convert();
  if (!project) return false;
  app.validate(project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) return false;
  await app.generateOutputs(project);
  return true;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'longrun-api-docs-')) : REFERENCE_DIR;
let ok = true;
try {
  if (!check) rmSync(REFERENCE_DIR, { recursive: true, force: true });
  for (const name of Object.keys(PACKAGES)) {
    if (!(await generate(name, join(out, name)))) {
      console.error(`api-docs: @longrun/${name}: fix the warnings above (every export needs a doc comment)`);
      ok = false;
    }
  }
  if (ok && check) {
    const generated = files(out);
    const committed = files(REFERENCE_DIR);
    const stale = [...new Set([...generated, ...committed])].filter(
      (f) => !generated.includes(f) || !committed.includes(f) || !readFileSync(join(out, f)).equals(readFileSync(join(REFERENCE_DIR, f))),
    );
    if (stale.length > 0) {
      console.error(
        `api-docs: docs/reference/ is out of date (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}): run npx tsx scripts/api-docs.ts`,
      );
      ok = false;
    }
  }
} finally {
  if (check) rmSync(out, { recursive: true, force: true });
}
if (ok)
  console.log(
    check ? 'api-docs: every export is documented; docs/reference/ is up to date' : `api-docs: wrote ${relative(REPO_ROOT, REFERENCE_DIR)}/`,
  );
process.exit(ok ? 0 : 1);
