/**
 * The entity index: every User, Group, Role, Policy and Boundary declared, by name, so that references between
 * manifests resolve whatever order the files come in. Duplicate names are reported here.
 */
import { nameKey, type EntityKind } from '../core/arn.js';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { formatAt, type Declared, type EntityManifest } from './declared.js';
import type { BoundaryManifest, GroupManifest, ManifestKind, PolicyManifest, RoleManifest, UserManifest } from './schema.js';

const KIND_OF_MANIFEST: Record<Exclude<ManifestKind, 'Account' | 'OpenIDConnectProvider' | 'SAMLProvider'>, EntityKind> = {
  User: 'user',
  Group: 'group',
  Role: 'role',
  Policy: 'policy',
  Boundary: 'policy',
};

/** The entities declared, by kind and name (IAM's names are case-insensitive: keys are `nameKey`s). */
export interface EntityIndex {
  readonly users: Map<string, Declared<UserManifest>>;
  readonly groups: Map<string, Declared<GroupManifest>>;
  readonly roles: Map<string, Declared<RoleManifest>>;
  /** Policy and Boundary manifests share IAM's one namespace of managed policy names. */
  readonly policies: Map<string, Declared<PolicyManifest | BoundaryManifest>>;
  /** Second declarations of a name: reported, left out of the state, and still checked on their own. */
  readonly duplicates: Declared<EntityManifest>[];
}

/** Indexes the entities; a second declaration of a name (in any case) is reported and left out. */
export function indexEntities(entities: Declared<EntityManifest>[], diagnostics: Diagnostic[]): EntityIndex {
  const index: EntityIndex = { users: new Map(), groups: new Map(), roles: new Map(), policies: new Map(), duplicates: [] };
  for (const entity of entities) {
    const kind = KIND_OF_MANIFEST[entity.manifest.kind];
    const map = mapOf(index, kind) as Map<string, Declared<EntityManifest>>;
    const key = nameKey(entity.manifest.name);
    const first = map.get(key);
    if (first) {
      const clash = first.manifest.name === entity.manifest.name ? '' : ` ("${first.manifest.name}"; IAM names are case-insensitive)`;
      diagnostics.push(error(`duplicate ${entity.manifest.kind} name "${entity.manifest.name}"`, `Already declared at ${formatAt(first.doc.locate(['name']))}${clash}. Keep one declaration.`, entity.doc.locate(['name'])));
      index.duplicates.push(entity);
      continue;
    }
    map.set(key, entity);
  }
  return index;
}

export function mapOf(index: EntityIndex, kind: EntityKind): Map<string, Declared<EntityManifest>> {
  switch (kind) {
    case 'user':
      return index.users;
    case 'group':
      return index.groups;
    case 'role':
      return index.roles;
    case 'policy':
      return index.policies;
  }
}
