/**
 * A `ManifestSource` over files already in memory (a test's, or a git tree's at some commit): paths are POSIX,
 * `documentFile`s resolve among the same files and never outside `root`.
 */
import { posix } from 'node:path';
import type { DocumentFileResult, ManifestFile, ManifestSource } from './load-manifests.js';

/** `files` maps a path (`root/users/alice.yaml`) to its text; manifests are the YAML files under `root`. */
export function manifestsFromFiles(location: string, root: string, files: ReadonlyMap<string, string>): ManifestSource {
  const base = posix.normalize(root).replace(/\/$/, '');
  const inside = (path: string): boolean => base === '.' || path === base || path.startsWith(`${base}/`);
  const yaml: ManifestFile[] = [...files]
    .filter(([path]) => inside(path) && /\.ya?ml$/i.test(path) && !path.split('/').some((part) => part.startsWith('.') || part === 'node_modules'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, text]) => ({ path, text }));
  return {
    location,
    files: yaml,
    readDocumentFile(fromFile, relativePath): DocumentFileResult {
      if (posix.isAbsolute(relativePath)) return { refused: 'an absolute path; write it relative to the manifest, inside the manifests folder' };
      const path = posix.normalize(posix.join(posix.dirname(fromFile), relativePath));
      if (!inside(path) || path.startsWith('../')) return { refused: `outside the manifests folder ${root}; keep policy documents inside it` };
      const text = files.get(path);
      if (text !== undefined) return { file: { path, text } };
      if ([...files.keys()].some((p) => p.startsWith(`${path}/`))) return { refused: 'a folder, not a file' };
      return { missing: true };
    },
    readFolder(fromFile, relativePath) {
      if (posix.isAbsolute(relativePath)) return { refused: 'an absolute path; write it relative to the Account manifest, inside the config repository' };
      const folder = posix.normalize(posix.join(posix.dirname(fromFile), relativePath)).replace(/\/$/, '');
      if (folder === '..' || folder.startsWith('../')) return { refused: 'outside the config repository; keep shared manifests in it' };
      if (![...files.keys()].some((p) => p.startsWith(`${folder}/`))) return { refused: `no such folder (${folder})` };
      // `REF:folder` locations (files at a git commit) keep their REF.
      const ref = location.includes(':') ? location.slice(0, location.indexOf(':') + 1) : '';
      return manifestsFromFiles(`${ref}${folder}`, folder, files);
    },
  };
}
