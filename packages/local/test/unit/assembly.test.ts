/**
 * The cloud assembly: the app runs with CDK_OUTDIR and CDK_CONTEXT_JSON as the CDK CLI runs it
 * (context from cdk.json, cdk.context.json and the caller, asset metadata on), and the stack with
 * a Longrun API is picked from it. The "app" here is a tiny script that writes an assembly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assemblyStacks, pickStack, synthesize } from '../../src/assembly.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'longrun-assembly-test-'));
  dirs.push(dir);
  return dir;
}

const apiStack = { Resources: { Api: { Type: 'AWS::ApiGateway::RestApi' }, Machine: { Type: 'AWS::StepFunctions::StateMachine' } } };
const otherStack = { Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } };

/** Writes an assembly by hand: `stacks` by artifact id, at `dir`. */
function writeAssembly(dir: string, stacks: Record<string, unknown>): void {
  const artifacts: Record<string, unknown> = {};
  for (const [id, template] of Object.entries(stacks)) {
    writeFileSync(join(dir, `${id}.template.json`), JSON.stringify(template));
    artifacts[id] = { type: 'aws:cloudformation:stack', properties: { templateFile: `${id}.template.json`, stackName: `${id}-name` } };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
}

/** An app that records the context it was given and writes a one-stack assembly. */
const RECORDING_APP = `node -e "
const fs = require('fs'), path = require('path'), out = process.env.CDK_OUTDIR;
fs.writeFileSync(path.join(out, 'context.json'), process.env.CDK_CONTEXT_JSON);
fs.writeFileSync(path.join(out, 'Api.template.json'), JSON.stringify(${JSON.stringify(apiStack).replace(/"/g, '\\"')}));
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ artifacts: { Api: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Api.template.json' } } } }));
"`;

describe('synthesize', () => {
  it("runs cdk.json's app with its context, cdk.context.json's and the caller's, asset metadata on", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'cdk.json'), JSON.stringify({ app: RECORDING_APP, context: { fromCdkJson: 'yes', overridden: 'cdk.json' } }));
    writeFileSync(join(cwd, 'cdk.context.json'), JSON.stringify({ fromContextFile: 'yes' }));
    const assembly = await synthesize({ cwd, context: { overridden: 'caller' } });
    try {
      const context = JSON.parse(readFileSync(join(assembly.dir, 'context.json'), 'utf8'));
      expect(context).toMatchObject({
        fromCdkJson: 'yes',
        fromContextFile: 'yes',
        overridden: 'caller',
        'aws:cdk:enable-asset-metadata': true,
      });
      expect(pickStack(assemblyStacks(assembly.dir)).artifactId).toBe('Api');
    } finally {
      assembly.cleanup();
    }
  });

  it("writes into the app's own cdk.out/, so an asset finds the packages the app installed (as a NodejsFunction's @aws-sdk/* on Lambda), and stays CommonJS in an ESM app", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'cdk.json'), JSON.stringify({ app: RECORDING_APP }));
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'an-esm-app', type: 'module' }));
    mkdirSync(join(cwd, 'node_modules', 'runtime-provided'), { recursive: true });
    writeFileSync(join(cwd, 'node_modules', 'runtime-provided', 'index.js'), 'module.exports = 42;');
    const assembly = await synthesize({ cwd });
    try {
      expect(assembly.dir.startsWith(join(cwd, 'cdk.out', 'longrun-local-'))).toBe(true);
      const asset = join(assembly.dir, 'asset.0123', 'index.js');
      mkdirSync(dirname(asset));
      writeFileSync(asset, "console.log(require('runtime-provided') + 1);");
      // Run by Node as Lambda would load it: CommonJS (the app's "type": "module" does not reach it), resolving the app's packages.
      const run = spawnSync(process.execPath, [asset], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('43');
    } finally {
      assembly.cleanup();
    }
    expect(existsSync(assembly.dir)).toBe(false);
  });

  it('fails with the exit code and the output of an app that fails', async () => {
    await expect(synthesize({ cwd: tempDir(), app: 'node -e "console.error(\'boom: no worker\'); process.exit(3)"' })).rejects.toThrow(
      /exit 3[\s\S]*boom: no worker/,
    );
  });

  it('says what to do when there is no app at all', async () => {
    await expect(synthesize({ cwd: tempDir() })).rejects.toThrow('pass --app "<command>" or run where a cdk.json names one');
  });
});

describe('pickStack', () => {
  it('picks the one stack with a REST API and a state machine, or the one named', () => {
    const dir = tempDir();
    writeAssembly(dir, { Api: apiStack, Other: otherStack });
    const stacks = assemblyStacks(dir);
    expect(pickStack(stacks).stackName).toBe('Api-name');
    expect(pickStack(stacks, 'Other-name').artifactId).toBe('Other');
    expect(() => pickStack(stacks, 'Nope')).toThrow('no stack Nope in the app; it has Api-name, Other-name');
  });

  it('refuses to guess between two Longrun stacks, and finds the stacks of nested assemblies (stages)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'assembly-Prod'));
    writeAssembly(join(dir, 'assembly-Prod'), { Prod: apiStack });
    writeFileSync(join(dir, 'Dev.template.json'), JSON.stringify(apiStack));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          Dev: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Dev.template.json' } },
          Prod: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Prod' } },
        },
      }),
    );
    const stacks = assemblyStacks(dir);
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['Dev', 'Prod-name']);
    expect(() => pickStack(stacks)).toThrow('the app has 2 stacks with a Longrun API (Dev, Prod-name); name one with --stack');
    expect(pickStack(stacks, 'Prod-name').dir).toBe(join(dir, 'assembly-Prod'));
  });
});
