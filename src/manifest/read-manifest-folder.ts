/** Adapter: a manifests folder on disk as a `ManifestSource`. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { error, InputError } from '../core/diagnostics.js';
import type { ManifestFile, ManifestSource } from './load-manifests.js';

/**
 * Every `*.yaml`/`*.yml` below `dir`, recursively, in a stable order. Hidden folders and node_modules are
 * skipped (editors and tools keep their own files there). Paths are shown relative to the working directory.
 */
export function readManifestFolder(dir: string): ManifestSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError([error(`manifests folder "${dir}" does not exist`, 'Pass --manifests DIR with the folder that holds your *.yaml manifests (default: ./manifests).')]);
  }
  const files: ManifestFile[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) files.push({ path: displayPath(full), text: readFileSync(full, 'utf8') });
    }
  };
  walk(dir);
  return {
    files,
    readDocumentFile(fromFile, relativePath) {
      const full = resolve(dirname(fromFile), relativePath);
      if (!existsSync(full) || !statSync(full).isFile()) return undefined;
      return { path: displayPath(full), text: readFileSync(full, 'utf8') };
    },
  };
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith('..') ? resolve(path) : rel;
}
