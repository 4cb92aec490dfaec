/**
 * Adapter: the files and folders a user names on the command line. Every way a path can be wrong (missing, a
 * folder where a file is expected or the reverse, unreadable, unwritable, in an encoding we do not read) becomes an
 * `InputError` that names the path, the flag it came from, and what to do; never a stack trace.
 */
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative as relativePath, resolve, sep } from 'node:path';
import { error, InputError } from '../core/diagnostics.js';

/** What a path is for, in messages: `snapshot "x.json" (--state)`. */
export interface PathRole {
  /** `snapshot`, `requests file`, `manifests folder`, ... */
  readonly what: string;
  /** The flag that named it, when one did. */
  readonly flag?: string;
  /** What to pass instead, said when the path is wrong. */
  readonly hint: string;
}

function named(path: string, role: PathRole): string {
  return `${role.what} "${path}"${role.flag ? ` (${role.flag})` : ''}`;
}

/** Why a file system call failed, in words a user can act on. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: check its permissions (and those of the folders above it)';
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOTDIR':
    case 'EEXIST': // from mkdir: a file stands where a folder of the path should be
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return (e as Error).message;
  }
}

function statOrFail(path: string, role: PathRole): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError([error(`${named(path, role)} does not exist`, role.hint)]);
    throw new InputError([error(`cannot read ${named(path, role)}: ${describeFsError(e)}`, role.hint)]);
  }
}

/** The text of a UTF-8 file (a byte-order mark is dropped); UTF-16 is refused with the way to fix it. */
export function readInputFile(path: string, role: PathRole): string {
  const stats = statOrFail(path, role);
  if (stats.isDirectory()) throw new InputError([error(`${named(path, role)} is a folder, not a file`, role.hint)]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError([error(`cannot read ${named(path, role)}: ${describeFsError(e)}`, role.hint)]);
  }
  return decodeUtf8(bytes, () => named(path, role));
}

/**
 * UTF-8 text, without a byte-order mark. Windows PowerShell's `>` writes UTF-16; parsing that as UTF-8 would fail
 * at some odd place, so it is recognised (by its mark, or by the zero bytes of ASCII text in UTF-16) and refused.
 */
export function decodeUtf8(bytes: Buffer, name: () => string): string {
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    (bytes.length >= 4 && ((bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0) || (bytes[0] === 0 && bytes[2] === 0 && bytes[1] !== 0)));
  if (utf16) {
    throw new InputError([
      error(`${name()} is UTF-16: re-save it as UTF-8`, 'PowerShell writes UTF-16 with ">"; use "| Out-File -Encoding utf8 FILE", or re-save the file as UTF-8 in your editor.'),
    ]);
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Checks that `path` is an existing, readable folder. */
export function checkInputFolder(path: string, role: PathRole): void {
  const stats = statOrFail(path, role);
  if (!stats.isDirectory()) throw new InputError([error(`${named(path, role)} is a file, not a folder`, role.hint)]);
  try {
    readdirSync(path);
  } catch (e) {
    throw new InputError([error(`cannot read ${named(path, role)}: ${describeFsError(e)}`, role.hint)]);
  }
}

/** Writes a file, creating its folder; a folder in the way, or a write that fails, is an input error. */
export function writeOutputFile(path: string, text: string, role: PathRole): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new InputError([error(`${named(path, role)} is a folder, not a file`, role.hint)]);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    throw new InputError([error(`cannot write ${named(path, role)}: ${describeFsError(e)}`, role.hint)]);
  }
}

/** Makes sure `path` can hold output files: it is a folder, or does not exist yet (it is created). */
export function prepareOutputFolder(path: string, role: PathRole): void {
  if (existsSync(path) && !statSync(path).isDirectory()) {
    throw new InputError([error(`${named(path, role)} is a file, not a folder`, role.hint)]);
  }
  try {
    mkdirSync(path, { recursive: true });
    readdirSync(path);
  } catch (e) {
    throw new InputError([error(`cannot write to ${named(path, role)}: ${describeFsError(e)}`, role.hint)]);
  }
}

/**
 * Writes files (relative path -> text) into `root`, and nowhere else, whatever the paths hold. Everything is
 * checked before anything is written, so a refusal leaves the folder as it was:
 * - each path is relative, without ".." or empty segments, and resolves inside `root`;
 * - no two paths differ only by case (they would be one file on macOS and Windows);
 * - no folder on the way is a symbolic link out of `root`, and no file written is a symbolic link (with --force,
 *   an existing link would carry the write elsewhere); files are then opened without following links.
 */
export function writeFilesInside(root: string, files: ReadonlyMap<string, string>, role: PathRole): string[] {
  const realRoot = realpathSync(root);
  const problems: ReturnType<typeof error>[] = [];
  const byCase = new Map<string, string>();
  const targets: { relative: string; target: string; text: string }[] = [];
  for (const [relative, text] of files) {
    const segments = relative.split(/[\\/]/);
    const target = resolve(realRoot, relative);
    const inside = relativePath(realRoot, target);
    if (isAbsolute(relative) || segments.some((s) => s === '' || s === '.' || s === '..') || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      problems.push(error(`refusing to write ${JSON.stringify(relative)}: it would land outside ${named(root, role)}`, 'Every file is written inside the output folder; this name holds a path of its own. Nothing was written.'));
      continue;
    }
    const key = relative.normalize('NFC').toLowerCase();
    const clash = byCase.get(key);
    if (clash !== undefined) {
      problems.push(error(`refusing to write both ${JSON.stringify(clash)} and ${JSON.stringify(relative)}: they differ only by case`, 'On a case-insensitive file system (macOS, Windows) one would overwrite the other. Rename one of the entities. Nothing was written.'));
      continue;
    }
    byCase.set(key, relative);
    const problem = linkProblem(realRoot, target);
    if (problem) {
      problems.push(error(`refusing to write ${JSON.stringify(relative)} in ${named(root, role)}: ${problem}`, 'The output folder must not hold symbolic links where files are written. Remove the link, or choose a new folder. Nothing was written.'));
      continue;
    }
    targets.push({ relative, target, text });
  }
  if (problems.length > 0) throw new InputError(problems);
  const written: string[] = [];
  for (const { relative, target, text } of targets) {
    try {
      mkdirSync(dirname(target), { recursive: true });
      // The folder just made (or found) must still be inside the root: a link made meanwhile is refused too.
      const folder = realpathSync(dirname(target));
      if (folder !== realRoot && !folder.startsWith(realRoot + sep)) throw Object.assign(new Error('a folder on its way is a link out of the output folder'), { code: 'ELINK' });
      writeNoFollow(target, text);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ELOOP' ? 'it is a symbolic link' : code === 'ELINK' ? (e as Error).message : describeFsError(e);
      throw new InputError([error(`cannot write ${JSON.stringify(relative)} in ${named(root, role)}: ${why}`, role.hint)]);
    }
    written.push(join(root, relative));
  }
  return written;
}

/** Why writing `target` could leave `realRoot` through a symbolic link, or undefined. */
function linkProblem(realRoot: string, target: string): string | undefined {
  try {
    const stat = lstatSync(target);
    if (stat.isSymbolicLink()) return 'it is a symbolic link';
    if (stat.isDirectory()) return 'it is a folder, not a file';
  } catch {
    // Not there yet: it will be created.
  }
  // The nearest folder on the way that exists must resolve inside the root.
  let folder = dirname(target);
  while (folder !== realRoot && !existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return undefined;
  }
  return real === realRoot || real.startsWith(realRoot + sep) ? undefined : `the folder ${JSON.stringify(relativePath(realRoot, folder))} is a link out of it`;
}

/** Creates or replaces a file without following a symbolic link at its place (where the platform can say so). */
function writeNoFollow(path: string, text: string): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0);
  const fd = openSync(path, flags, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** A path as messages show it: relative to the working directory when it is below it, absolute otherwise. */
export function displayPath(path: string): string {
  const rel = relativePath(process.cwd(), resolve(path));
  return rel.startsWith('..') ? resolve(path) : rel;
}
