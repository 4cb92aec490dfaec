/** Adapter: a manifests folder on disk as a `ManifestSource`. */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { error, InputError, type Diagnostic } from '../core/diagnostics.js';
import { checkInputFolder, decodeUtf8, describeFsError, displayPath } from '../io/files.js';
import type { DocumentFileResult, ManifestFile, ManifestSource } from './load-manifests.js';

const FOLDER_HINT = 'Pass --manifests DIR with the folder that holds your *.yaml manifests (default: ./manifests).';

/**
 * Every `*.yaml`/`*.yml` below `dir`, recursively, in a stable order. Hidden folders and node_modules are
 * skipped (editors and tools keep their own files there). Paths are shown relative to the working directory.
 * The folder is checked now; its files are read when first asked for (a plan reads live IAM meanwhile).
 * `documentFile`s must lie inside the folder: a manifest cannot make the tool read files elsewhere.
 */
export function readManifestFolder(dir: string): ManifestSource {
  checkInputFolder(dir, { what: 'manifests folder', flag: '--manifests', hint: FOLDER_HINT });
  const root = realpathSync(dir);
  let files: ManifestFile[] | undefined;
  return {
    location: dir,
    get files() {
      files ??= readYamlFiles(dir);
      return files;
    },
    readDocumentFile(fromFile, relativePath): DocumentFileResult {
      if (isAbsolute(relativePath)) return { refused: 'an absolute path; write it relative to the manifest, inside the manifests folder' };
      const full = resolve(dirname(fromFile), relativePath);
      let real: string;
      try {
        real = realpathSync(full);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true } : { refused: describeFsError(e) };
      }
      if (real !== root && !real.startsWith(root + sep)) return { refused: `outside the manifests folder ${dir}; keep policy documents inside it` };
      try {
        if (statSync(real).isDirectory()) return { refused: 'a folder, not a file' };
        return { file: { path: displayPath(full), text: decodeUtf8(readFileSync(real), () => `documentFile "${relativePath}"`) } };
      } catch (e) {
        if (e instanceof InputError) return { refused: e.diagnostics[0]!.summary.replace(/^documentFile "[^"]*" /, '') };
        return { refused: describeFsError(e) };
      }
    },
    readFolder(fromFile, relativePath) {
      if (isAbsolute(relativePath)) return { refused: 'an absolute path; write it relative to the Account manifest, inside the config repository' };
      const full = resolve(dirname(fromFile), relativePath);
      let real: string;
      try {
        real = realpathSync(full);
      } catch (e) {
        return { refused: describeFsError(e) };
      }
      // A shared folder lies in the same repository: a manifest cannot make the tool read YAML elsewhere on the machine.
      const top = repositoryTop(root);
      if (real !== top && !real.startsWith(top + sep)) return { refused: `outside the config repository (${displayPath(top)}); keep shared manifests in it` };
      try {
        if (!statSync(real).isDirectory()) return { refused: 'a file, not a folder' };
        const shared = readManifestFolder(displayPath(full));
        void shared.files; // read now, so that an unreadable file is refused here
        return shared;
      } catch (e) {
        if (e instanceof InputError) return { refused: e.diagnostics[0]!.summary };
        return { refused: describeFsError(e) };
      }
    },
  };
}

/** The nearest folder at or above `dir` that holds `.git` (the config repository); `dir`'s parent when there is none. */
function repositoryTop(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return dirname(dir);
  }
}

function readYamlFiles(dir: string): ManifestFile[] {
  const files: ManifestFile[] = [];
  const problems: Diagnostic[] = [];
  const walk = (folder: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (e) {
      problems.push(error(`cannot read folder "${displayPath(folder)}": ${describeFsError(e)}`, 'Every folder below the manifests folder must be readable; fix its permissions or move it out.'));
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) {
        try {
          files.push({ path: displayPath(full), text: decodeUtf8(readFileSync(full), () => `manifest "${displayPath(full)}"`) });
        } catch (e) {
          if (e instanceof InputError) problems.push(...e.diagnostics.map((d) => ({ ...d, at: { file: displayPath(full), line: 1, col: 1 } })));
          else problems.push(error(`cannot read manifest "${displayPath(full)}": ${describeFsError(e)}`, 'Fix the file\'s permissions, or move it out of the manifests folder.'));
        }
      }
    }
  };
  walk(dir);
  if (problems.length > 0) throw new InputError(problems);
  return files;
}
