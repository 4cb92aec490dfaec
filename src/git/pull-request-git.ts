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
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { error, InputError } from '../core/diagnostics.js';
import { manifestsFromFiles } from '../manifest/files-source.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import type { PullRequestContext } from '../plan/plan.js';

export type ChangedFile = PullRequestContext['files'][number];

export interface PullRequestGit {
  readonly context: PullRequestContext;
  /** The manifests folder at the merge base; absent when the base has no such folder (the pull request adds it). */
  readonly baseManifests?: ManifestSource;
  /** With `head`: the manifests folder at that commit (what to plan); without, the caller reads the working tree. */
  readonly headManifests?: ManifestSource;
  /** A path as the plan shows it (relative to the working directory) as a path in the repository. */
  repoPath(displayPath: string): string;
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
  const baseFiles = await treeFiles(git, mergeBase, folderInRepo);
  const headFiles = refs.head === undefined ? undefined : await treeFiles(git, head, folderInRepo);
  if (headFiles?.size === 0) throw new InputError([error(`--head ${refs.head} (${head.slice(0, 7)}) has no ${folderInRepo} folder`, 'Check --manifests and --head: the folder must exist at the head commit.')]);
  const context: PullRequestContext = {
    base,
    head,
    ...(refs.head === undefined ? { workingTree: true } : {}),
    mergeBase,
    files,
    ...(baseFiles.size === 0 ? { note: `The base (${mergeBase.slice(0, 7)}) has no ${folderInRepo} folder: every change comes from this pull request.` } : {}),
  };
  return {
    context,
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
