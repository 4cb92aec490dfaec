/**
 * Adapter: a pull request as git sees it (real git, through simple-git). Given the base and head of a pull
 * request and the manifests folder, it finds the merge base, lists the manifest files the pull request changes
 * (renames included), and reads the manifests folder as it was at the merge base, so that a plan can tell the
 * changes this pull request causes from drift that was already there.
 *
 * The head is either a commit (`--head REF`) or, by default, the working tree (what `plan` reads): then
 * uncommitted and untracked manifest files count as changed, which is what someone trying a change locally expects.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, parse, posix, relative, resolve, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { error, InputError } from '../core/diagnostics.js';
import { decodeUtf8 } from '../io/files.js';
import { accountsInFile } from '../manifest/account-manifest.js';
import { manifestsFromFiles } from '../manifest/files-source.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import type { PullRequestContext, SnapshotChange } from '../plan/plan.js';

export type ChangedFile = PullRequestContext['files'][number];

export interface PullRequestGit {
  readonly context: PullRequestContext;
  /** The manifests folder at the merge base; absent when the base has no such folder (the pull request adds it). */
  readonly baseManifests?: ManifestSource;
  /** With `head`: the manifests folder at that commit (what to plan); without, the caller reads the working tree. */
  readonly headManifests?: ManifestSource;
  /** A path as the plan shows it (relative to the working directory) as a path in the repository. */
  repoPath(displayPath: string): string;
  /**
   * With `snapshot` naming a file in the repository: the base's copy, which the plan must read live IAM from (a pull
   * request cannot say what live IAM is), and what the pull request does to the file. Absent for a file outside the
   * repository (the workflow's own, not the pull request's: read from disk).
   */
  readonly snapshot?: BaseSnapshot;
}

export interface BaseSnapshot {
  /** The file in the repository (forward slashes). */
  readonly path: string;
  /** The base commit it was read at. */
  readonly base: string;
  /** Its text at the base. */
  readonly text: string;
  /** `base7:path`, as messages and the plan name it. */
  readonly source: string;
  readonly change?: SnapshotChange;
}

export interface PullRequestRefs {
  /** The folder `plan --manifests` reads (relative to the working directory, or absolute). */
  readonly manifests: string;
  /** The pull request's base: a branch, tag or commit (`origin/main`, a SHA). */
  readonly base: string;
  /** The pull request's head commit; default: the working tree. */
  readonly head?: string;
  /** When a commit is missing from a shallow clone, fetch it from this remote (default: none, fail with a hint). */
  readonly fetchFrom?: string;
  /** The snapshot file live IAM is read from (`--state`, the Action's `state`), when it is one. */
  readonly snapshot?: string;
}

const HISTORY_HINT = 'Fetch enough history for both commits: with actions/checkout set `fetch-depth: 0`, or run `git fetch origin BASE` first.';

export async function readPullRequest(refs: PullRequestRefs): Promise<PullRequestGit> {
  const folder = resolve(refs.manifests);
  let top: string;
  try {
    top = realpathSync((await simpleGit({ baseDir: folder }).revparse(['--show-toplevel'])).trim());
  } catch (e) {
    throw new InputError([error(`the manifests folder "${refs.manifests}" is not inside a git repository: ${gitMessage(e)}`, 'Comparing with a base branch needs the config repo checked out with git; drop --base to plan without it.')]);
  }
  const folderInRepo = toPosix(relative(top, realpathSync(folder))) || '.';
  // Paths in the repository are relative to its top, as GitHub shows them.
  const git = simpleGit({ baseDir: top, maxConcurrentProcesses: 4 });
  const base = await resolveCommit(git, refs.base, '--base', refs.fetchFrom);
  const head = refs.head === undefined ? await resolveCommit(git, 'HEAD', 'HEAD') : await resolveCommit(git, refs.head, '--head', refs.fetchFrom);
  const mergeBase = await findMergeBase(git, base, head, refs);

  const files = await changedFiles(git, mergeBase, refs.head === undefined ? undefined : head, folderInRepo);
  const baseFiles = await withBaseline(git, mergeBase, await treeFiles(git, mergeBase, folderInRepo));
  const headFiles = refs.head === undefined ? undefined : await withBaseline(git, head, await treeFiles(git, head, folderInRepo));
  if (headFiles?.size === 0) throw new InputError([error(`--head ${refs.head} (${head.slice(0, 7)}) has no ${folderInRepo} folder`, 'Check --manifests and --head: the folder must exist at the head commit.')]);
  const snapshot = refs.snapshot === undefined ? undefined : await snapshotAtBase(git, top, refs.snapshot, base, mergeBase, refs.head === undefined ? undefined : head);
  const context: PullRequestContext = {
    base,
    head,
    ...(refs.head === undefined ? { workingTree: true } : {}),
    mergeBase,
    files,
    ...(baseFiles.size === 0 ? { note: `The base (${mergeBase.slice(0, 7)}) has no ${folderInRepo} folder: every change comes from this pull request.` } : {}),
    ...(snapshot ? { snapshot: { path: snapshot.path, base: snapshot.base, ...(snapshot.change ? { change: snapshot.change } : {}) } } : {}),
  };
  return {
    context,
    ...(snapshot ? { snapshot } : {}),
    ...(baseFiles.size > 0 ? { baseManifests: manifestsFromFiles(`${mergeBase.slice(0, 7)}:${folderInRepo}`, folderInRepo, baseFiles) } : {}),
    ...(headFiles ? { headManifests: manifestsFromFiles(`${head.slice(0, 7)}:${folderInRepo}`, folderInRepo, headFiles) } : {}),
    repoPath(displayPath) {
      // Manifests read from git already have repository paths.
      if (headFiles) return displayPath;
      const absolute = resolve(displayPath);
      let real = absolute;
      try {
        real = realpathSync(absolute);
      } catch {
        // A deleted file: its folder may still resolve.
        try {
          real = resolve(realpathSync(resolve(absolute, '..')), posix.basename(toPosix(absolute)));
        } catch {
          /* keep the path as given */
        }
      }
      return toPosix(relative(top, real));
    },
  };
}

/** The files under a folder that changed since a base: what `accounts --changed-since` selects account folders by. */
export interface ChangedSince {
  readonly mergeBase: string;
  readonly head: string;
  /** Paths relative to the repository's top, with forward slashes. */
  readonly files: readonly ChangedFile[];
  /** A path on disk (relative to the working directory, or absolute) as a path in the repository. */
  repoPath(path: string): string;
}

export async function changedSince(refs: Omit<PullRequestRefs, 'manifests'> & { readonly folder: string }): Promise<ChangedSince> {
  const folder = resolve(refs.folder);
  let top: string;
  try {
    top = realpathSync((await simpleGit({ baseDir: folder }).revparse(['--show-toplevel'])).trim());
  } catch (e) {
    throw new InputError([error(`the folder "${refs.folder}" is not inside a git repository: ${gitMessage(e)}`, 'Selecting what changed needs the config repo checked out with git (fetch-depth: 0); drop --changed-since to list every account.')]);
  }
  const git = simpleGit({ baseDir: top, maxConcurrentProcesses: 4 });
  const base = await resolveCommit(git, refs.base, '--changed-since', refs.fetchFrom);
  const head = refs.head === undefined ? await resolveCommit(git, 'HEAD', 'HEAD') : await resolveCommit(git, refs.head, '--head', refs.fetchFrom);
  const mergeBase = await findMergeBase(git, base, head, { ...refs, manifests: refs.folder });
  const files = await changedFiles(git, mergeBase, refs.head === undefined ? undefined : head, toPosix(relative(top, realpathSync(folder))) || '.');
  return { mergeBase, head, files, repoPath: (path) => toPosix(relative(top, realpathSync(resolve(path)))) };
}

/**
 * The snapshot a pull request is planned against, as the base has it. The file is found in the repository by its
 * path as written (symbolic links inside the repository are the pull request's and are not followed: a fork may
 * turn `snapshots/live.json`, or its folder, into a link to a file of its own), then read from the base commit's
 * tree, never from the working tree. What the pull request does to it is said, not trusted.
 */
async function snapshotAtBase(git: SimpleGit, top: string, given: string, base: string, mergeBase: string, head: string | undefined): Promise<BaseSnapshot | undefined> {
  const path = pathInRepository(given, top);
  if (path === undefined) {
    // Outside the repository as written, yet inside it once links are followed: a link outside the repository into
    // a file the pull request may have changed.
    let real: string | undefined;
    try {
      real = realpathSync(given);
    } catch {
      /* missing: the reader says so */
    }
    if (real !== undefined && !relative(top, real).startsWith('..') && !isAbsolute(relative(top, real))) {
      throw new InputError([error(`the snapshot "${given}" leads into the repository through a symbolic link outside it`, 'Name it by its path in the repository (its base copy is read), or keep a snapshot you exported yourself outside the repository.')]);
    }
    return undefined;
  }
  const hint = 'A pull request cannot say what live IAM is: the plan reads the snapshot from the base branch. Commit it there first (iam-gitops snapshot --aws --out FILE), plan with AWS credentials, or keep a snapshot you exported yourself outside the repository (--state /tmp/live.json).';
  // Literal: a path with * or ? names that file, not the files it would match.
  const entry = (await git.raw(['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', base, '--', path])).split('\0').find(Boolean);
  const [mode, type, sha] = entry ? entry.slice(0, entry.indexOf('\t')).split(/\s+/) : [];
  if (!entry || type !== 'blob' || !sha) {
    throw new InputError([error(`the snapshot ${path} is not a file at the base (${base.slice(0, 7)})${entry ? ` (it is a ${type === 'tree' ? 'folder' : type})` : ': the pull request adds it, or it is not committed'}`, hint)]);
  }
  if (mode === '120000') throw new InputError([error(`the snapshot ${path} is a symbolic link at the base (${base.slice(0, 7)})`, 'Commit the snapshot itself there, not a link to it: the plan reads it from the base commit.')]);
  const text = decodeUtf8(await git.showBuffer([sha]), () => `the snapshot ${path} at ${base.slice(0, 7)}`);
  const change = await snapshotChange(git, mergeBase, head, path);
  return { path, base, text, source: `${base.slice(0, 7)}:${path}`, ...(change ? { change } : {}) };
}

/** What the pull request (merge base to head, or to the working tree) does to one file. */
async function snapshotChange(git: SimpleGit, mergeBase: string, head: string | undefined, path: string): Promise<SnapshotChange | undefined> {
  let out: string;
  try {
    out = await git.raw(['--literal-pathspecs', '-c', 'core.quotepath=off', 'diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', mergeBase, ...(head ? [head] : []), '--', path]);
  } catch {
    // git refuses a path "beyond a symbolic link": a folder of the path was replaced by a link.
    return 'replaced';
  }
  const status = out.split('\0')[0] ?? '';
  if (status === '') return undefined;
  return status === 'D' ? 'deleted' : status === 'T' ? 'replaced' : 'modified';
}

/**
 * A path as written (relative to the working directory, or absolute) as a path in the repository, following no
 * link inside it: the first of its leading folders that is the repository's top (symbolic links outside the
 * repository, such as /tmp on macOS, followed) and the rest as written. Undefined outside the repository.
 */
function pathInRepository(given: string, top: string): string | undefined {
  const absolute = resolve(given);
  const root = parse(absolute).root;
  const parts = absolute.slice(root.length).split(sep).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    let real: string;
    try {
      real = realpathSync(root + parts.slice(0, i).join(sep));
    } catch {
      return undefined;
    }
    if (real === top) return parts.slice(i).join('/') || undefined;
  }
  return undefined;
}

async function resolveCommit(git: SimpleGit, ref: string, flag: string, fetchFrom?: string): Promise<string> {
  if (ref.startsWith('-')) throw new InputError([error(`${flag} "${ref}" is not a git reference`, 'Give a branch, tag or commit SHA.')]);
  const lookup = async (): Promise<string | undefined> => {
    try {
      return (await git.revparse(['--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let sha = await lookup();
  if (!sha && fetchFrom) {
    try {
      await git.fetch(['--no-tags', '--depth=1', fetchFrom, ref]);
      sha = await lookup();
      if (!sha) sha = (await git.revparse(['--verify', '--quiet', 'FETCH_HEAD^{commit}'])).trim() || undefined;
    } catch {
      /* reported below */
    }
  }
  if (!sha) throw new InputError([error(`${flag} "${ref}" is not a commit in this repository`, `${HISTORY_HINT} Check the name: a branch of the remote is usually origin/NAME.`)]);
  return sha;
}

async function findMergeBase(git: SimpleGit, base: string, head: string, refs: PullRequestRefs): Promise<string> {
  const attempt = async (): Promise<string | undefined> => {
    try {
      return (await git.raw(['merge-base', base, head])).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let found = await attempt();
  if (!found && refs.fetchFrom && (await git.revparse(['--is-shallow-repository'])).trim() === 'true') {
    // A shallow clone (actions/checkout's default): deepen until the two histories meet, then give up.
    for (const depth of [50, 500]) {
      try {
        await git.fetch(['--no-tags', `--deepen=${depth}`, refs.fetchFrom]);
      } catch {
        break;
      }
      found = await attempt();
      if (found) break;
    }
  }
  if (!found) throw new InputError([error(`no merge base between ${refs.base} (${base.slice(0, 7)}) and ${refs.head ?? 'HEAD'} (${head.slice(0, 7)})`, `The two commits share no history here. ${HISTORY_HINT}`)]);
  return found;
}

/** `git diff --name-status -z -M`: NUL-separated, so any file name survives; renames name both paths. */
async function changedFiles(git: SimpleGit, mergeBase: string, head: string | undefined, folder: string): Promise<ChangedFile[]> {
  const out = await git.raw(['-c', 'core.quotepath=off', 'diff', '--name-status', '-z', '-M', '--no-ext-diff', mergeBase, ...(head ? [head] : []), '--', folder]);
  const fields = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length - 1; ) {
    const status = fields[i++]!;
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[i++]!;
      const to = fields[i++]!;
      files.push(status.startsWith('R') ? { path: to, status: 'renamed', from } : { path: to, status: 'added' });
    } else {
      const path = fields[i++]!;
      files.push({ path, status: status === 'A' ? 'added' : status === 'D' ? 'deleted' : 'modified' });
    }
  }
  if (!head) {
    // The working tree: files git does not track yet are added by this change too.
    const untracked = await git.raw(['-c', 'core.quotepath=off', 'ls-files', '-z', '--others', '--exclude-standard', '--', folder]);
    for (const path of untracked.split('\0').filter(Boolean)) files.push({ path, status: 'added' });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Every file under `folder` at `commit`, read in batches: `ls-tree -l` gives sizes, one `git show` reads many blobs. */
/**
 * The folder's files and, where its Account manifest names a shared baseline folder, that folder's too (at the same
 * commit): the manifest stage reads it from the same files (src/manifest/baseline.ts).
 */
async function withBaseline(git: SimpleGit, commit: string, files: Map<string, string>): Promise<Map<string, string>> {
  const folders = new Set<string>();
  for (const [path, text] of files) {
    if (!/\.ya?ml$/i.test(path) || !/^kind:\s*Account\b/m.test(text)) continue;
    for (const account of accountsInFile({ path, text }).declared) {
      if (!account?.baseline) continue;
      const folder = posix.normalize(posix.join(posix.dirname(path), account.baseline.folder)).replace(/\/$/, '');
      if (folder !== '..' && !folder.startsWith('../')) folders.add(folder);
    }
  }
  for (const folder of folders) for (const [path, text] of await treeFiles(git, commit, folder)) files.set(path, text);
  return files;
}

async function treeFiles(git: SimpleGit, commit: string, folder: string): Promise<Map<string, string>> {
  const listing = await git.raw(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', folder === '.' ? '.' : folder]);
  const blobs = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [, type, sha, size] = line.slice(0, tab).split(/\s+/);
      return { type, sha: sha!, size: Number(size), path: line.slice(tab + 1) };
    })
    .filter((b) => b.type === 'blob');
  const files = new Map<string, string>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < blobs.length; i += 200) {
    const batch = blobs.slice(i, i + 200);
    const bytes = await git.showBuffer(['--no-textconv', ...batch.map((b) => b.sha)]);
    let offset = 0;
    for (const blob of batch) {
      files.set(blob.path, decoder.decode(bytes.subarray(offset, offset + blob.size)).replace(/^\uFEFF/, ''));
      offset += blob.size;
    }
    if (offset !== bytes.length) throw new Error(`git show returned ${bytes.length} bytes for blobs totalling ${offset}`);
  }
  return files;
}

function toPosix(path: string): string {
  return isAbsolute(path) ? path : path.split(sep).join('/');
}

function gitMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim().split('\n')[0] ?? '';
}
