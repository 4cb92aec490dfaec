/**
 * Sets of actions in words: an entry says what it grants, for `notActions` what remains, never "every action except
 * (6,939 actions in 313 services …)". Law, over random action sets and the AWS managed policies that produce
 * `notActions` entries: every claim the words make (every X action, every action but A, n of m actions, n List, the
 * services named) holds of the set. The words are parsed back and checked against the catalog.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { principalDelta, type AccessEntry } from '../src/analyze/access-delta.js';
import { DeltaContext } from '../src/analyze/delta-context.js';
import { entryActions } from '../src/analyze/entry-actions.js';
import type { AccessLevel, ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { actionsInWords } from '../src/render/action-words.js';
import { deltaHeadline, entryLines } from '../src/render/access.js';
import { chance, pick, seededRandom, type Random } from './helpers/random-account.js';

let catalog: ActionCatalog;
let levelOf: Map<string, AccessLevel>;
let ofService: Map<string, string[]>;
beforeAll(async () => {
  catalog = await loadActionCatalog();
  levelOf = new Map();
  ofService = new Map();
  for (const service of catalog.services) {
    ofService.set(service, []);
    for (const a of catalog.actionsOf(service) ?? []) {
      levelOf.set(`${service}:${a.name.toLowerCase()}`, a.accessLevel);
      ofService.get(service)!.push(`${service}:${a.name.toLowerCase()}`);
    }
  }
});

const count = (n: string): number => Number(n.replace(/,/g, ''));
const levels = new Map<string, string[]>();
const ofLevel = (level: string): string[] => {
  if (!levels.has(level)) levels.set(level, [...levelOf].filter(([, l]) => l === level).map(([a]) => a));
  return levels.get(level)!;
};

/** Problems with what `words` claims of `set` (lower-case `service:name`): empty when every claim holds. */
function falseClaims(words: string, set: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const claim = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const byService = new Map<string, string[]>();
  const byLevel = new Map<string, string[]>();
  for (const a of set) {
    const service = a.slice(0, a.indexOf(':'));
    if (!byService.has(service)) byService.set(service, []);
    byService.get(service)!.push(a);
    const level = levelOf.get(a) ?? 'Unknown';
    if (!byLevel.has(level)) byLevel.set(level, []);
    byLevel.get(level)!.push(a);
  }
  const inService = (service: string): string[] => byService.get(service) ?? [];
  const inLevel = (level: string): string[] => byLevel.get(level) ?? [];
  const checkService = (part: string): void => {
    const m = /^([\w-]+)(?: \(([^)]*)\))?: (.*)$/.exec(part);
    if (!m) return claim(false, `unreadable service part "${part}"`);
    const [, service, levels, what] = m as unknown as [string, string, string | undefined, string];
    const have = [...inService(service)];
    const all = ofService.get(service) ?? [];
    if (levels) claim([...new Set(have.map((a) => levelOf.get(a)!))].sort().join(', ') === levels, `${service}: levels ${levels}`);
    let n: RegExpExecArray | null;
    if ((n = /^all (\d+) actions$/.exec(what))) claim(have.length === all.length && all.length === count(n[1]!), `${service}: all`);
    else if ((n = /^every action but (.*)$/.exec(what))) claim(JSON.stringify(all.filter((a) => !set.has(a)).sort()) === JSON.stringify(n[1]!.split(', ').map((x) => `${service}:${x.toLowerCase()}`).sort()), `${service}: every action but ${n[1]}`);
    else if ((n = /^([\d,]+) of ([\d,]+) actions(?:, all but (.*))?$/.exec(what))) {
      claim(have.length === count(n[1]!) && all.length === count(n[2]!), `${service}: ${n[1]} of ${n[2]}`);
      for (const gap of n[3]?.split(', ') ?? []) {
        const g = /^(\d+) (.*)$/.exec(gap)!;
        claim(all.filter((a) => !set.has(a) && levelOf.get(a) === g[2]).length === count(g[1]!), `${service}: missing ${gap}`);
      }
    } else claim(JSON.stringify(have.sort()) === JSON.stringify(what.split(', ').map((x) => `${service}:${x.toLowerCase()}`).sort()), `${service}: exactly ${what}`);
  };
  const checkLevel = (part: string): void => {
    let n: RegExpExecArray | null;
    if ((n = /^every (.+?) action but (.*)$/.exec(part))) claim(JSON.stringify(ofLevel(n[1]!).filter((a) => !set.has(a)).sort()) === JSON.stringify(n[2]!.split(', ').map((x) => x.toLowerCase()).sort()), part);
    else if ((n = /^every (.+) action$/.exec(part))) claim(ofLevel(n[1]!).every((a) => set.has(a)), part);
    else if ((n = /^([\d,]+) (.+)$/.exec(part))) claim(inLevel(n[2]!).length === count(n[1]!), part);
    else if ((n = /^([A-Z][a-z]+(?: management)?): (.*)$/.exec(part))) claim(JSON.stringify([...inLevel(n[1]!)].sort()) === JSON.stringify(n[2]!.split(', ').map((x) => x.toLowerCase()).sort()), part);
    else claim(false, `unreadable level part "${part}"`);
  };
  claim(!/every action except \(/.test(words), 'lists what it leaves out');
  let m: RegExpExecArray | null;
  if (words === 'every action of every service') claim(set.size === levelOf.size, words);
  else if (words === 'read-only access to every service (every List and Read action)') claim(set.size === ofLevel('List').length + ofLevel('Read').length && [...set].every((a) => ['List', 'Read'].includes(levelOf.get(a)!)), words);
  else if ((m = /^every action of every service except ([^,]+(?:, [^,]+)*?), where only: (.*)$/.exec(words))) {
    const except = m[1]!.split(', ');
    for (const service of catalog.services) if (!except.includes(service)) claim(inService(service).length === ofService.get(service)!.length, `every action of ${service}`);
    for (const part of m[2]!.split('; ')) {
      if (part.startsWith('nothing of ')) for (const s of part.slice('nothing of '.length).split(', ')) claim(inService(s).length === 0, part);
      else checkService(part);
    }
  } else if ((m = /^(read-only access: )?([\d,]+) actions in ([\d,]+) services: (.*)$/.exec(words))) {
    claim(set.size === count(m[2]!), `${m[2]} actions`);
    claim(new Set([...set].map((a) => a.slice(0, a.indexOf(':')))).size === count(m[3]!), `${m[3]} services`);
    if (m[1]) claim([...set].every((a) => ['List', 'Read'].includes(levelOf.get(a)!)), 'read-only');
    for (const part of m[4]!.split('; ')) checkLevel(part);
  } else for (const part of words.split('; ')) checkService(part);
  return problems;
}

/** A random set of actions: whole levels, whole services, a few services' samples; sometimes its complement. */
function randomSet(random: Random): { actions?: string[]; notActions?: string[] } {
  const all = [...levelOf.keys()];
  const chosen = new Set<string>();
  const levels: AccessLevel[] = ['List', 'Read', 'Write', 'Permissions management'];
  if (chance(random, 0.3)) for (const level of levels) if (chance(random, 0.5)) for (const a of ofLevel(level)) chosen.add(a);
  for (let i = 0; i < Math.floor(random() * 8); i++) for (const a of ofService.get(pick(random, catalog.services))!) chosen.add(a);
  for (let i = 0; i < Math.floor(random() * 12); i++) {
    const service = ofService.get(pick(random, catalog.services))!;
    for (let j = 0; j < 1 + Math.floor(random() * 6); j++) chosen.add(pick(random, service));
  }
  for (let i = 0; i < Math.floor(random() * 4); i++) chosen.delete(pick(random, [...chosen]));
  if (chosen.size === 0) chosen.add(pick(random, all));
  const spelt = [...chosen].map((a) => `${a.slice(0, a.indexOf(':'))}:${catalog.actionsOf(a.slice(0, a.indexOf(':')))!.find((x) => x.name.toLowerCase() === a.slice(a.indexOf(':') + 1))!.name}`);
  return chance(random, 0.4) ? { notActions: spelt } : { actions: spelt };
}

const setOf = (entry: Pick<AccessEntry, 'actions' | 'notActions'>): Set<string> => new Set(entryActions(entry, catalog).map((a) => a.toLowerCase()));

describe('actions in words', () => {
  it('law over random sets of actions (and their complements): every claim the words make holds', () => {
    const random = seededRandom(1510);
    const forms = new Set<string>();
    for (let run = 0; run < 60; run++) {
      const spec = randomSet(random);
      const words = actionsInWords([spec], catalog);
      forms.add(words.startsWith('every action of every service except') ? 'services' : /^(read-only access: )?[\d,]+ actions in/.test(words) ? 'levels' : 'few');
      expect(falseClaims(words, setOf(spec)), words.slice(0, 300)).toEqual([]);
    }
    expect([...forms].sort()).toEqual(['few', 'levels', 'services']);
  });

  it('says "read-only access to every service" for exactly the List and Read actions of every service', () => {
    const writes = [...levelOf].filter(([, l]) => l !== 'List' && l !== 'Read').map(([a]) => a);
    expect(actionsInWords([{ notActions: writes }], catalog)).toBe('read-only access to every service (every List and Read action)');
    // One Read action fewer: no longer "every", and the words say which one is missing.
    const [first] = ofLevel('Read');
    expect(actionsInWords([{ notActions: [...writes, first!] }], catalog)).toMatch(new RegExp(`^read-only access: [\\d,]+ actions in [\\d,]+ services: every List action; every Read action but ${first}$`, 'i'));
  });

  it('on the AWS managed policies whose entries are notActions (AdministratorAccess, PowerUserAccess, given or taken beside ReadOnlyAccess), and ReadOnlyAccess, ViewOnlyAccess, SecurityAudit: entries and headlines say what remains, truly', () => {
    const byName = new Map([...loadAwsManagedPolicies().byArn.values()].map((p) => [p.name, p]));
    const docs = (names: readonly string[]) => names.map((n) => ({ name: `managed policy ${byName.get(n)!.arn}`, document: byName.get(n)!.document }));
    const cases: [string[], string[]][] = [
      [[], ['AdministratorAccess']], [[], ['PowerUserAccess']],
      [['AdministratorAccess', 'ReadOnlyAccess'], ['ReadOnlyAccess']], [['ReadOnlyAccess'], ['ReadOnlyAccess', 'PowerUserAccess']],
    ];
    let notActions = 0;
    for (const [was, is] of cases) {
      const delta = principalDelta('arn:aws:iam::111122223333:user/u', { identity: docs(was) }, { identity: docs(is) }, new DeltaContext({ catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) }))!;
      const where = `${was.join('+') || 'nothing'} -> ${is.join('+')}`;
      for (const entry of [...delta.granted, ...delta.revoked]) {
        if (entry.notActions) notActions++;
        const words = actionsInWords([entry], catalog);
        expect(entryLines(entry, catalog)[0]!.startsWith(`${words} on `), where).toBe(true);
        expect(falseClaims(words, setOf(entry)), `${where}: ${words.slice(0, 300)}`).toEqual([]);
      }
      const headline = deltaHeadline({ principals: [delta.arn], ...delta }, catalog);
      expect(headline, where).not.toMatch(/nearly every|every action except/);
      // The headline's count is the number of distinct actions the side's entries hold.
      for (const [side, entries] of [['gains', delta.granted], ['loses', delta.revoked]] as const) {
        if (entries.length === 0) continue;
        const union = new Set(entries.flatMap((e) => [...setOf(e)]));
        expect(headline, `${where} ${side}`).toMatch(union.size === levelOf.size ? `${side} every action of every service` : new RegExp(`${side} ${union.size.toLocaleString('en-US')} actions?[ :]`));
      }
    }
    expect(notActions).toBeGreaterThanOrEqual(4);
    // ReadOnlyAccess, ViewOnlyAccess and SecurityAudit themselves (their Action lists, thousands of patterns).
    for (const name of ['ReadOnlyAccess', 'ViewOnlyAccess', 'SecurityAudit']) {
      const statements = [(byName.get(name)!.document as { Statement: unknown })['Statement']].flat() as { Action?: string | string[] }[];
      const spec = { actions: statements.flatMap((st) => [st.Action ?? []].flat()) };
      const words = actionsInWords([spec], catalog);
      expect(falseClaims(words, setOf(spec)), `${name}: ${words}`).toEqual([]);
    }
  });
});
