/**
 * Law: every user mistake is a located message and exit 1; "internal error" means a real bug. Each path flag is
 * given a folder, a file, a missing path and an unreadable one. Unreadable files are chmod 000: their owner cannot
 * read them unless it may override file permissions, as root may (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). So as
 * root (CI, a container) the CLI runs in a child without those two capabilities (`setpriv`, util-linux): still
 * root, so it reads the project wherever it is checked out (a 0700 home too), refused only what mode 000 refuses.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli, type CliRun } from './helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-bad-input-'));

/** The capabilities that let a process read and write files whatever their mode. */
const OVERRIDES = ['dac_override', 'dac_read_search'];

/** Whether this process may override file permissions: root, with CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH (bits 1, 2). */
function overridesPermissions(): boolean {
  if (process.getuid?.() !== 0) return false;
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return effective === undefined || (BigInt(`0x${effective}`) & 0b110n) !== 0n;
}

/** `setpriv` on the PATH, or undefined. */
function setpriv(): string | undefined {
  return (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'setpriv')).find((path) => existsSync(path));
}

/** The built CLI, run as a process the file system refuses chmod-000 files. */
async function runCliUnprivileged(args: readonly string[]): Promise<CliRun> {
  const cli = [join(PROJECT_ROOT, 'bin/iam-gitops.js'), ...args];
  let command = process.execPath;
  let commandArgs = cli;
  if (overridesPermissions()) {
    const drop = setpriv();
    if (!drop) throw new Error('Running as root, these tests need setpriv (util-linux) to drop the capabilities that let root read chmod-000 files.');
    const without = OVERRIDES.map((c) => `-${c}`).join(',');
    command = drop;
    commandArgs = [`--inh-caps=${without}`, `--bounding-set=${without}`, '--', process.execPath, ...cli];
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(command, commandArgs, { cwd: tmp, env: { PATH: process.env['PATH'] ?? '', HOME: tmp } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function expectInputError(run: CliRun, ...mentions: (string | RegExp)[]): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).not.toContain('internal error');
  expect(run.stderr).not.toMatch(/\n\s+at /);
  for (const m of mentions) expect(run.stderr).toMatch(m);
}

const snapshot = join(PROJECT_ROOT, 'example/live-snapshot.json');
const manifests = join(PROJECT_ROOT, 'manifests');
const folder = join(tmp, 'a-folder');
const file = join(tmp, 'a-file.txt');
const missing = join(tmp, 'missing');
const unreadableFile = join(tmp, 'unreadable.json');
const unreadableFolder = join(tmp, 'unreadable-folder');

beforeAll(() => {
  mkdirSync(folder);
  writeFileSync(file, 'text');
  writeFileSync(unreadableFile, '{}');
  chmodSync(unreadableFile, 0o000);
  mkdirSync(unreadableFolder);
  chmodSync(unreadableFolder, 0o000);
});

describe('path flags: a folder, a file, a missing path, an unreadable one', () => {
  it('--state (plan, audit, simulate, import)', async () => {
    for (const command of [['plan', '--manifests', manifests], ['audit'], ['simulate', '--principal', 'arn:aws:iam::123456789012:user/alice', '--action', 'sts:GetCallerIdentity'], ['import', '--out', join(tmp, 'out-state')]]) {
      expectInputError(await runCli([...command, '--state', folder]), `snapshot "${folder}" (--state) is a folder, not a file`);
      expectInputError(await runCli([...command, '--state', missing]), `snapshot "${missing}" (--state) does not exist`);
      expectInputError(await runCli([...command, '--state', file]), /snapshot is not valid JSON/);
    }
    expectInputError(await runCliUnprivileged(['plan', '--manifests', manifests, '--state', unreadableFile]), `cannot read snapshot "${unreadableFile}" (--state): permission denied`);
  });

  it('--manifests (validate, plan, audit, simulate)', async () => {
    for (const command of [['validate'], ['plan', '--state', snapshot], ['audit', '--state', snapshot]]) {
      expectInputError(await runCli([...command, '--manifests', file]), `manifests folder "${file}" (--manifests) is a file, not a folder`);
      expectInputError(await runCli([...command, '--manifests', missing]), `manifests folder "${missing}" (--manifests) does not exist`);
    }
    expectInputError(await runCliUnprivileged(['validate', '--manifests', unreadableFolder]), `cannot read manifests folder "${unreadableFolder}" (--manifests): permission denied`);
    const withBadFile = join(tmp, 'manifests-unreadable-file');
    cpSync(manifests, withBadFile, { recursive: true });
    chmodSync(join(withBadFile, 'users/alice.yaml'), 0o000);
    expectInputError(await runCliUnprivileged(['validate', '--manifests', withBadFile]), /cannot read manifest ".*users\/alice\.yaml": permission denied/);
    const withBadFolder = join(tmp, 'manifests-unreadable-folder');
    cpSync(manifests, withBadFolder, { recursive: true });
    chmodSync(join(withBadFolder, 'roles'), 0o000);
    expectInputError(await runCliUnprivileged(['validate', '--manifests', withBadFolder]), /cannot read folder ".*roles": permission denied/);
  });

  it('--requests (simulate)', async () => {
    const base = ['simulate', '--state', snapshot];
    expectInputError(await runCli([...base, '--requests', folder]), `requests file "${folder}" (--requests) is a folder, not a file`);
    expectInputError(await runCli([...base, '--requests', missing]), `requests file "${missing}" (--requests) does not exist`);
    expectInputError(await runCli([...base, '--requests', file]), /line 1/);
    expectInputError(await runCliUnprivileged([...base, '--requests', unreadableFile]), `cannot read requests file "${unreadableFile}" (--requests): permission denied`);
  });

  it('--out of plan and schema (a file to write)', async () => {
    for (const command of [['plan', '--manifests', manifests, '--state', snapshot], ['schema']]) {
      expectInputError(await runCli([...command, '--out', folder]), `output file "${folder}" (--out) is a folder, not a file`);
      expectInputError(await runCli([...command, '--out', join(file, 'plan.txt')]), `cannot write output file "${join(file, 'plan.txt')}" (--out): a part of the path is a file, not a folder`);
      expectInputError(await runCliUnprivileged([...command, '--out', join(unreadableFolder, 'plan.txt')]), /cannot write output file .* permission denied/);
    }
    const fresh = join(tmp, 'new-folder/plan.txt');
    expect((await runCli(['plan', '--manifests', manifests, '--state', snapshot, '--out', fresh])).code).toBe(0);
  });

  it('--out of import (a folder to fill)', async () => {
    const base = ['import', '--state', snapshot];
    expectInputError(await runCli([...base, '--out', file]), `output folder "${file}" (--out) is a file, not a folder`);
    expectInputError(await runCliUnprivileged([...base, '--out', join(unreadableFolder, 'x')]), /cannot write to output folder .* permission denied/);
    expect((await runCli([...base, '--out', join(tmp, 'import-here')])).code).toBe(0);
  });
});

describe('snapshots', () => {
  const exampleText = (): string => JSON.stringify({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [{ RoleName: 'r', Path: '/', Arn: 'arn:aws:iam::123456789012:role/r', AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] } }], Policies: [] });

  it('refuses a partial export (IsTruncated) and says how to export the whole account', async () => {
    const partial = join(tmp, 'partial.json');
    writeFileSync(partial, JSON.stringify({ ...JSON.parse(exampleText()), IsTruncated: true, Marker: 'abc' }));
    expectInputError(await runCli(['plan', '--manifests', manifests, '--state', partial]), 'partial export ("IsTruncated": true)', 'get-account-authorization-details');
  });

  it('accepts a UTF-8 byte-order mark and refuses UTF-16 with the way to fix it', async () => {
    const bom = join(tmp, 'bom.json');
    writeFileSync(bom, `\uFEFF${exampleText()}`);
    const imported = await runCli(['import', '--state', bom, '--out', join(tmp, 'from-bom')]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const [name, bytes] of [
      ['utf16le-bom.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exampleText(), 'utf16le')])],
      ['utf16le.json', Buffer.from(exampleText(), 'utf16le')],
      ['utf16be-bom.json', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(exampleText(), 'utf16le').swap16()])],
    ] as const) {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      expectInputError(await runCli(['plan', '--manifests', manifests, '--state', path]), 'is UTF-16: re-save it as UTF-8');
    }
  });
});

describe('manifests', () => {
  const folderWith = (name: string, files: Record<string, string>): string => {
    const dir = join(tmp, name);
    for (const [path, text] of Object.entries({ 'account.yaml': 'kind: Account\nid: "123456789012"\n', ...files })) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  it('refuses a YAML alias bomb at its place', async () => {
    const bomb = ['kind: Group', 'name: g', 'a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const dir = folderWith('alias-bomb', { 'bomb.yaml': bomb });
    expectInputError(await runCli(['validate', '--manifests', dir]), /bomb\.yaml:7:8: error: invalid YAML: .*alias/i);
  });

  it('reads documentFile as strict JSON, located in that file', async () => {
    const policy = (file: string) => `kind: Policy\nname: p\ndocumentFile: ${file}\n`;
    const trailing = folderWith('json-trailing-comma', { 'p.yaml': policy('doc.json'), 'doc.json': '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n' });
    expectInputError(await runCli(['validate', '--manifests', trailing]), /doc\.json:4:1: error: invalid JSON: trailing comma before "}"/);
    const yamlInJson = folderWith('yaml-in-json', { 'p.yaml': policy('doc.json'), 'doc.json': 'Version: "2012-10-17"\nStatement: []\n' });
    expectInputError(await runCli(['validate', '--manifests', yamlInJson]), /doc\.json:1:1: error: invalid JSON: expected a value, found "V"/);
  });

  it('refuses a documentFile outside the manifests folder, absolute, or a folder', async () => {
    writeFileSync(join(tmp, 'outside.json'), '{"Version": "2012-10-17", "Statement": []}');
    const up = folderWith('doc-outside', { 'p.yaml': 'kind: Policy\nname: p\ndocumentFile: ../outside.json\n' });
    expectInputError(await runCli(['validate', '--manifests', up]), /p\.yaml:3:15: error: documentFile "..\/outside.json" cannot be used: outside the manifests folder/);
    const absolute = folderWith('doc-absolute', { 'p.yaml': `kind: Policy\nname: p\ndocumentFile: ${join(tmp, 'outside.json')}\n` });
    expectInputError(await runCli(['validate', '--manifests', absolute]), /cannot be used: an absolute path/);
    const dirAsFile = folderWith('doc-folder', { 'p.yaml': 'kind: Policy\nname: p\ndocumentFile: docs\n', 'docs/x.json': '{}' });
    expectInputError(await runCli(['validate', '--manifests', dirAsFile]), /documentFile "docs" cannot be used: a folder, not a file/);
  });
});
