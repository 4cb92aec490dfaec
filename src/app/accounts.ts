/**
 * Many accounts: a config repo with one manifests folder per account (`accounts/prod/`, `accounts/dev/`, ...), each
 * with its Account manifest. This finds the folders, checks that no two of them claim the same paths of one account
 * (they would undo each other's changes and prune each other's entities), and selects those a change touches, as a
 * list for a GitHub Actions matrix: each account then plans, applies and checks drift in a job of its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { error, InputError, warning, type Diagnostic } from '../core/diagnostics.js';
import { changedSince } from '../git/pull-request-git.js';
import { accountsInFile } from '../manifest/account-manifest.js';

export interface AccountFolder {
  /** The folder, as given under the root (forward slashes): what `--manifests` and the Action's `manifests` take. */
  readonly folder: string;
  /** The folder's last segment: a short name for job titles and environments. */
  readonly name: string;
  readonly account: string;
  readonly managedPaths: readonly string[];
  /** The shared baseline folder the account takes (src/manifest/baseline.ts), as a path like `folder`'s. */
  readonly baseline?: string;
  /** With a role template: the role a job for this account assumes. */
  readonly role?: string;
}

export interface AccountSelection {
  readonly accounts: readonly AccountFolder[];
  /** How many account folders there are in all (the selection may hold fewer). */
  readonly total: number;
  /** With `changedSince`: the merge base the changes were read from, and files outside every account folder. */
  readonly changedSince?: { readonly mergeBase: string; readonly outside: readonly string[] };
  readonly diagnostics: readonly Diagnostic[];
}

export interface AccountOptions {
  /** Only the folders with files changed since this commit's merge base with HEAD. */
  readonly changedSince?: string;
  /** `arn:aws:iam::{account}:role/automation/iam-gitops-plan`: `{account}` and `{name}` are filled in per folder. */
  readonly roleTemplate?: string;
  /** Fetch a missing base from this remote (shallow clones). */
  readonly fetchFrom?: string;
}

const SKIPPED = new Set(['node_modules', '.git']);
/** How deep under the root account folders are looked for. */
const MAX_DEPTH = 4;

export async function selectAccounts(root: string, options: AccountOptions = {}): Promise<AccountSelection> {
  if (options.roleTemplate !== undefined && !/^arn:aws[a-z-]*:iam::(\{account\}|\d{12}):role\/.+/.test(options.roleTemplate)) {
    throw new InputError([error(`--role-template "${options.roleTemplate}" is not a role ARN template`, 'Give a role ARN with {account} where the account id goes, e.g. arn:aws:iam::{account}:role/automation/iam-gitops-plan ({name} is the folder\'s name).')]);
  }
  const folders = findAccountFolders(root);
  const diagnostics: Diagnostic[] = [];
  let accounts = folders;
  let changed: AccountSelection['changedSince'];
  if (options.changedSince !== undefined) {
    const since = await changedSince({ folder: root, base: options.changedSince, ...(options.fetchFrom ? { fetchFrom: options.fetchFrom } : {}) });
    const folderInRepo = new Map(accounts.map((a) => [a, since.repoPath(a.folder)]));
    const under = (file: string, folder: string): boolean => folder === '.' || folder === '' || file === folder || file.startsWith(`${folder}/`);
    const paths = since.files.flatMap((f) => (f.from ? [f.path, f.from] : [f.path]));
    // An account takes its shared baseline as its own: a change there is a change of every account that takes it.
    const baselineInRepo = new Map(accounts.filter((a) => a.baseline !== undefined).map((a) => [a, since.repoPath(a.baseline!)]));
    accounts = accounts.filter((a) => paths.some((p) => under(p, folderInRepo.get(a)!) || (baselineInRepo.has(a) && under(p, baselineInRepo.get(a)!))));
    const outside = paths.filter((p) => ![...folderInRepo.values(), ...baselineInRepo.values()].some((folder) => under(p, folder)));
    changed = { mergeBase: since.mergeBase, outside };
    if (outside.length) diagnostics.push(warning(`${outside.length === 1 ? '1 changed file is' : `${outside.length} changed files are`} under ${root} but in no account folder: ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', ...' : ''}`, 'Only account folders are planned; a file shared between accounts is not read by any of them.'));
  }
  const withRoles = options.roleTemplate === undefined ? accounts : accounts.map((a) => ({ ...a, role: options.roleTemplate!.replaceAll('{account}', a.account).replaceAll('{name}', a.name) }));
  return { accounts: withRoles, total: folders.length, ...(changed ? { changedSince: changed } : {}), diagnostics };
}

/** Folders under `root` (or `root` itself) that hold an Account manifest; not looked into further. */
export function findAccountFolders(root: string): AccountFolder[] {
  let rootStat;
  try {
    rootStat = statSync(root);
  } catch {
    throw new InputError([error(`--root "${root}" does not exist`, 'Give the folder that holds one manifests folder per account (e.g. accounts), or a single account\'s manifests folder.')]);
  }
  if (!rootStat.isDirectory()) throw new InputError([error(`--root "${root}" is a file, not a folder`, 'Give the folder that holds the account folders.')]);
  const folders: AccountFolder[] = [];
  const errors: Diagnostic[] = [];
  const visit = (dir: string, depth: number): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    const accountsHere: AccountManifestIn[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const found = accountManifests(join(dir, entry.name));
      accountsHere.push(...found.accounts);
      errors.push(...found.errors);
    }
    if (accountsHere.length > 1) {
      errors.push(error(`${dir} holds ${accountsHere.length} Account manifests (${accountsHere.map((a) => a.file).join(', ')})`, 'A manifests folder describes one account: move each account to a folder of its own.'));
      return;
    }
    if (accountsHere.length === 1) {
      const [only] = accountsHere;
      const folder = posix.normalize(join(root, relative(root, dir)).split(sep).join('/'));
      // An Account with errors (reported) still makes its folder an account folder: not looked into further.
      const baseline = only!.account?.baseline ? posix.normalize(posix.join(folder, only!.account.baseline)) : undefined;
      if (only!.account) folders.push({ folder, name: resolve(dir).split(sep).filter(Boolean).pop() ?? folder, account: only!.account.id, managedPaths: only!.account.managedPaths, ...(baseline ? { baseline } : {}) });
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED.has(entry.name)) visit(join(dir, entry.name), depth + 1);
  };
  visit(root, 0);
  errors.push(...overlaps(folders));
  if (errors.length) throw new InputError(errors);
  if (folders.length === 0) throw new InputError([error(`no account folder under ${root}`, `An account folder holds a manifest with kind: Account (looked ${MAX_DEPTH} folders deep). Give --root the folder that holds them, or create one with iam-gitops import.`)]);
  return folders;
}

/** An Account manifest found in a file: its settings, or none when it has errors. */
interface AccountManifestIn {
  readonly file: string;
  readonly account?: { readonly id: string; readonly managedPaths: readonly string[]; readonly baseline?: string };
}

/**
 * The Account manifests of a file, read by the manifest stage (its parser and limits, the Account schema and
 * checks), and their errors, located. Other documents are not judged, and a file that is not valid YAML is skipped:
 * validate says what is wrong with them.
 */
function accountManifests(file: string): { accounts: AccountManifestIn[]; errors: Diagnostic[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { accounts: [], errors: [] };
  }
  const found = accountsInFile({ path: file, text });
  return {
    accounts: found.declared.map((account) => ({ file, ...(account ? { account: { id: account.id, managedPaths: account.managedPaths, ...(account.baseline ? { baseline: account.baseline.folder } : {}) } } : {}) })),
    errors: found.declared.length ? found.diagnostics.filter((d) => d.severity === 'error') : [],
  };
}

/** Two folders of one account whose managed paths overlap (one is a prefix of the other): each would undo the other. */
function overlaps(folders: readonly AccountFolder[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i < folders.length; i++) {
    for (let j = i + 1; j < folders.length; j++) {
      const [a, b] = [folders[i]!, folders[j]!];
      if (a.account !== b.account) continue;
      const shared = a.managedPaths.flatMap((p) => b.managedPaths.filter((q) => p.startsWith(q) || q.startsWith(p)).map((q) => (p.length >= q.length ? p : q)));
      if (shared.length) {
        out.push(error(`${a.folder} and ${b.folder} both manage account ${a.account} under ${[...new Set(shared)].join(', ')}`, 'Each would change and prune what the other declares. Split the account by path (managedPaths: ["/team-a/"] in one, ["/team-b/"] in the other) or merge the folders.'));
      }
    }
  }
  return out;
}
