/**
 * The pull-request comment: whatever names, paths, descriptions, tags, conditions and policy text hold, it keeps
 * its structure, pings no one, links nowhere and carries one marker; and it stays under GitHub's limit at any size.
 */
import { describe, expect, it } from 'vitest';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import type { Plan } from '../src/plan/plan.js';
import { COMMENT_LIMIT, commentMarker, maxSeverity, renderComment, verdictOf } from '../src/render/comment.js';
import { code, fence, html, htmlCode, mermaidLabel, text } from '../src/render/markdown-safe.js';
import { exampleManifestFiles, exampleSnapshot, planFiles } from './helpers/example.js';
import { seededRandom } from './helpers/random-account.js';
import { randomPlan } from './helpers/random-plan.js';
import { actionPhrase, detailLine, detailSign, documentLines, shownChanges } from '../src/render/describe-change.js';
import { renderPlanText } from '../src/render/text-plan.js';
import { driftView } from '../src/analyze/drift-view.js';
import type { PlanFinding } from '../src/analyze/plan-findings.js';

/** Strings that would change a comment's structure if they got through as markdown or HTML. */
const HOSTILE = [
  '</details><details open><summary>pwned',
  '<!-- iam-gitops:plan:manifests -->',
  '```\n# injected heading\n```',
  '@octocat please approve',
  '[click me](https://evil.example/x)',
  '![img](https://evil.example/i.png)',
  '| a | b |',
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '**bold** _em_ ~~strike~~',
  '\u202Egnp.exe',
  'https://evil.example/raw',
  '\n\n# heading\n- item',
  '&lt;details&gt;',
  '<https://evil.example>',
  '[ref]: https://evil.example',
  'x\\|y',
  '~~~\nfence',
];

const ALLOWED_TAGS = new Set(['details', 'summary', 'code', 'sub', 'br']);

/** Parts of the comment outside fenced code blocks, where GitHub parses markdown and HTML. */
function outsideFences(markdown: string): string[] {
  const parts: string[] = [];
  let fenceOpen: string | undefined;
  let current: string[] = [];
  for (const line of markdown.split('\n')) {
    const ticks = /^(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceOpen === undefined && ticks) {
      parts.push(current.join('\n'));
      current = [];
      fenceOpen = ticks;
      continue;
    }
    if (fenceOpen !== undefined) {
      if (line.trim() === fenceOpen[0]!.repeat(Math.max(fenceOpen.length, line.trim().length)) && line.trim().length >= fenceOpen.length) fenceOpen = undefined;
      continue;
    }
    current.push(line);
  }
  expect(fenceOpen, 'every fence is closed').toBeUndefined();
  parts.push(current.join('\n'));
  return parts;
}

/** The structural invariants every comment keeps. */
function expectSafe(markdown: string, folder = 'manifests'): void {
  expect(markdown.startsWith(`${commentMarker(folder)}\n`)).toBe(true);
  const visible = outsideFences(markdown).join('\n');
  expect(visible.split('<!--').length - 1, 'one marker, nothing else that hides text').toBe(1);
  for (const tag of visible.matchAll(/<\/?([A-Za-z][\w-]*)/g)) expect(ALLOWED_TAGS.has(tag[1]!.toLowerCase()), `tag <${tag[1]}> in ${tag.input?.slice(Math.max(0, tag.index! - 60), tag.index! + 60)}`).toBe(true);
  expect(visible.match(/<details>/g)?.length ?? 0).toBe(visible.match(/<\/details>/g)?.length ?? 0);
  expect(visible.match(/<summary>/g)?.length ?? 0).toBe(visible.match(/<\/summary>/g)?.length ?? 0);
  // No mention: every @ is followed by a word joiner (GitHub links @name in any text node).
  expect(visible).not.toMatch(/@(?!\u2060)[A-Za-z0-9]/);
  // No link: no URL GitHub would autolink, no markdown link or image syntax, no link reference definition.
  expect(visible).not.toMatch(/https?:\/\/|www\./i);
  // (Lines that open an HTML block, `<details><summary>…`, are not parsed as markdown: brackets there are text.)
  const markdownLines = visible.split('\n').filter((l) => !l.startsWith('<details><summary>')).join('\n');
  expect(markdownLines).not.toMatch(/(?<!\\)\]\(|^\s*\[[^\]]*(?<!\\)\]:/m);
  // Bidirectional overrides never reach the page.
  expect(markdown).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  // Tables keep their columns: each row has as many unescaped pipes as its header.
  const lines = visible.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\|[-|]+\|$/.test(lines[i + 1] ?? '')) continue;
    const columns = (line: string): number => line.replace(/\\\|/g, '').split('|').length;
    const header = columns(lines[i]!);
    for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) expect(columns(lines[j]!), lines[j]).toBe(header);
  }
  // Headings are ours only.
  for (const heading of visible.matchAll(/^#{1,6} (.*)$/gm)) expect(heading[1]).toMatch(/^(🔺|🔻|🔀|⚪|⛔) iam-gitops|^(Risk findings|Risk findings of drift it would revert|Access changes|Trust and reach|Changes)$/);
}

describe('markdown-safe', () => {
  it('escapes every hostile string in each context (random strings too)', () => {
    const random = seededRandom(7);
    const alphabet = ['<', '>', '`', '|', '@', '[', ']', '(', ')', '!', '*', '_', '~', '#', '\n', '&', ';', '\\', 'a', 'b', ' ', ':', '/', 'h', 't', 'p', 's', '-', '\u202E', '"', "'"];
    const randomStrings = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    for (const s of [...HOSTILE, ...randomStrings]) {
      const body = `${commentMarker('manifests')}\n### ⚪ iam-gitops: test\n\n| a | b |\n|---|---|\n| ${text(s)} | ${code(s)} |\n\n<details><summary>${html(s)}</summary>\n\n- ${text(s)}\n\n${fence([s, `\`\`\`${s}`], 'diff').join('\n')}\n\n</details>\n`;
      expectSafe(body);
      // Mermaid labels cannot close a node or a diagram.
      expect(mermaidLabel(s)).not.toMatch(/["[\]()<>`|]/);
    }
  });
});

describe('the comment', () => {
  it('of a plan full of hostile strings keeps its structure and shows the strings as text', async () => {
    const files = exampleManifestFiles();
    const path = '/team</details><!--x-->|@octocat[a](https://evil.example)`/';
    files.set(
      'manifests/roles/hostile.yaml',
      [
        'kind: Role',
        'name: hostile-role',
        `path: ${JSON.stringify(path)}`,
        `description: ${JSON.stringify(HOSTILE.join(' ').replace(/[^\t\n\r\u0020-\u007E\u00A1-\u00FF]/g, '?'))}`,
        'trustPolicy:',
        '  Version: "2012-10-17"',
        '  Statement:',
        '    - Effect: Allow',
        '      Principal: { AWS: "arn:aws:iam::123456789012:user/people/alice" }',
        '      Action: sts:AssumeRole',
        '      Condition:',
        `        StringEquals: { "aws:PrincipalTag/team": ${JSON.stringify(HOSTILE)} }`,
        'inlinePolicies:',
        '  hostile:',
        '    Version: "2012-10-17"',
        '    Statement:',
        '      - Effect: Allow',
        '        Action: s3:GetObject',
        `        Resource: ${JSON.stringify(HOSTILE.map((h) => `arn:aws:s3:::bucket/${h.replace(/\s/g, '')}`))}`,
        '        Condition:',
        `          StringLike: { "s3:prefix": ${JSON.stringify(HOSTILE)} }`,
        'tags:',
        '  owner: "@octocat"',
        '  link: "https://evil.example/x"',
      ].join('\n'),
    );
    files.set('manifests/users/at-user.yaml', 'kind: User\nname: "@admins"\npath: /people/\ngroups: [platform-admins]\n');
    const plan = await planFiles(files);
    const catalog = await loadActionCatalog();
    const comment = renderComment(plan, catalog, { folder: 'manifests' });
    expectSafe(comment);
    expect(comment).toContain('hostile\\-role');
    expect(comment).toContain('@\u2060admins');
    expect(comment).toContain('&lt;/details&gt;');
    // Every level of detail keeps the invariants.
    for (const limit of [40_000, 12_000, 5_000, 2_500]) expectSafe(renderComment(plan, catalog, { folder: 'manifests', limit }));
  });

  it('a folder name cannot break out of the marker', () => {
    expect(commentMarker('accounts/prod')).toBe('<!-- iam-gitops:plan:accounts/prod -->');
    expect(commentMarker('a --> <b>')).toBe('<!-- iam-gitops:plan:a_--___b_ -->');
  });

  it('opens with the verdict, counts, banner; says what comes next; and its outputs agree', async () => {
    const plan = await planFiles(exampleManifestFiles());
    const comment = renderComment(plan, await loadActionCatalog(), { folder: 'manifests' });
    const lines = comment.split('\n');
    expect(lines[1]).toBe('### 🔀 iam-gitops: mixed · account <code>123456789012</code> · manifests');
    expect(lines.slice(3, 6)).toEqual(['> [!CAUTION]', '> **This plan deletes role <code>legacy\\-batch</code>.**', '> **It introduces a critical-severity finding:** <code>FULL\\_ADMIN</code> on <code>user carol</code>.']);
    expect(comment).toMatch(/\*\*6 changes\*\* \(1 create, 4 update, 1 delete\) · \*\*3\*\* principals gain access, \*\*3\*\* lose · findings introduced: 1 critical, 0 high, 0 medium, 0 low/);
    const order = ['#### Risk findings', '#### Access changes', '#### Trust and reach', '```mermaid', '#### Changes', 'What happens next'].map((h) => comment.indexOf(h));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(verdictOf(plan)).toBe('mixed');
    expect(maxSeverity(plan)).toBe('critical');
    expectSafe(comment);
  });

  it('of a huge plan (thousands of principals and changes) stays under 65,536 characters, keeps the verdict and counts, and says where the rest is', async () => {
    const catalog = await loadActionCatalog();
    const plan = randomPlan(seededRandom(99), { changes: 2_000, principals: 2_000, findings: 300, roles: 300, statements: 6 });
    const comment = renderComment(plan, catalog, { folder: 'manifests', fullReport: 'the job summary of this run' });
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment).toContain(`**${shownChanges(plan.changes).length} changes**`);
    expect(comment).toContain('shortened to fit: the full report is in the job summary of this run');
    expect(comment).toMatch(/### (🔺|🔻|🔀) iam-gitops: (broadening|narrowing|mixed)/);
    expectSafe(comment);
    // The job summary (1 MiB) holds much more of it.
    const summary = renderComment(plan, catalog, { folder: 'manifests', limit: 1_000_000 });
    expect(summary.length).toBeGreaterThan(comment.length * 4);
    expect(summary.length).toBeLessThanOrEqual(1_000_000);
    expectSafe(summary);
  });

  it('degrades by levels on a synthetic plan of any size, never above the limit', async () => {
    const catalog = await loadActionCatalog();
    const base = await planFiles(exampleManifestFiles());
    for (const factor of [1, 10, 100, 1000]) {
      const plan: Plan = {
        ...base,
        changes: Array.from({ length: factor }, () => base.changes).flat().map((c, i) => ({ ...c, name: `${c.name}-${i}`, arn: `${c.arn}-${i}` })),
        access: Array.from({ length: factor }, () => base.access).flat(),
        findings: Array.from({ length: factor }, () => base.findings).flat(),
      };
      for (const limit of [COMMENT_LIMIT, 20_000]) {
        const comment = renderComment(plan, catalog, { folder: 'manifests', limit });
        expect(comment.length).toBeLessThanOrEqual(limit);
        expectSafe(comment);
      }
    }
  });
});

/** The rows of the markdown table under a heading, as cells. */
function tableRows(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) return [];
  // The table is the first under the heading, before the next heading (after any intro lines).
  let start = at + 1;
  while (start < lines.length && !lines[start]!.startsWith('|') && !lines[start]!.startsWith('#')) start++;
  if (!lines[start]?.startsWith('|')) return [];
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.replace(/\\\|/g, '¦').split('|').slice(1, -1).map((c) => c.trim()));
  return rows;
}

/** The diff lines of a change as the comment must show them (independently of how the comment frames them). */
function diffLines(shown: ReturnType<typeof shownChanges>[number]): string[] {
  const previous = shown.replaced?.arn ?? shown.change.previousArn;
  const lines = previous ? [`# ${previous} -> ${shown.change.arn}`] : [];
  for (const detail of shown.details) {
    lines.push(`${detailSign(detail) === '~' ? '!' : detailSign(detail)} ${detailLine(detail)}`);
    for (const line of documentLines(detail)) lines.push(line.sign === '@' ? `@@ ${line.text.replace(/^@@ | @@$/g, '')} @@` : `${line.sign}   ${line.text}`);
  }
  return lines;
}

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 } as const;

describe('laws of the comment (random plans)', () => {
  it('every count shown equals the count of the items it counts; findings list introduced before removed, most severe first', async () => {
    const catalog = await loadActionCatalog();
    const random = seededRandom(15);
    for (let run = 0; run < 40; run++) {
      const plan = randomPlan(random, { changes: Math.floor(random() * 12), principals: Math.floor(random() * 40), findings: Math.floor(random() * 14), roles: Math.floor(random() * 4), statements: 3 });
      for (const perspective of ['plan', 'drift'] as const) {
        const shown = perspective === 'drift' ? driftView(plan, new Map()) : plan;
        const comment = renderComment(shown, catalog, { folder: 'manifests', limit: 1_000_000, perspective });
        const where = `run ${run} (${perspective})`;
        // Changes: the counts line against the table's rows, by action.
        const rows = tableRows(comment, perspective === 'drift' ? '#### Changes that restore the manifests' : '#### Changes');
        const actions = rows.map((r) => r[0]!.split(' ')[1]!);
        const counts = /\*\*(\d+) changes?\*\* \((\d+) create, (\d+) update, (\d+) delete(?:, (\d+) replace)?\)/.exec(comment);
        if (rows.length === 0) expect(comment, where).toContain('**No changes**');
        else expect(counts?.slice(1).map((n) => Number(n ?? 0)), where).toEqual([rows.length, ...['create', 'update', 'delete', 'replace'].map((a) => actions.filter((x) => x === a).length)]);
        // Principals gaining and losing: the counts line against the access items' own counts. With a pull request,
        // its own items come first and are counted; the drift it would revert follows its line and is counted apart.
        const summaries = (from: number, to: number): string[] => [...comment.slice(from, to).matchAll(/^<details><summary>(.*)<\/summary>$/gm)].map((m) => m[1]!).filter((s) => !/^(🟢|🟡|🔴|🔁|\d+ unmanaged|\d+ warnings?|1 warning)/.test(s));
        const accessStart = comment.indexOf(perspective === 'drift' ? '#### Access drift' : '#### Access changes');
        const accessEnd = comment.indexOf('#### ', accessStart + 5) < 0 ? comment.length : comment.indexOf('#### ', accessStart + 5);
        const apartAt = comment.indexOf('**Drift this pull request would revert**', accessStart);
        const driftFrom = apartAt > accessStart && apartAt < accessEnd ? apartAt : accessEnd;
        const ownItems = accessStart < 0 ? [] : summaries(accessStart, driftFrom);
        const driftItems = accessStart < 0 ? [] : summaries(driftFrom, accessEnd);
        const who = (summary: string): number => Number(/^(\d+) principals:|\((\d+) (?:members|principals)\):/.exec(summary)?.slice(1).find((n) => n !== undefined) ?? 1);
        const side = perspective === 'drift' ? [/^[^:]*: [\d,]+ actions? beyond|: [^;]*beyond the manifests/, /short of the manifests/] : [/\): gains |: gains /, /loses /];
        const principalsOn = (items: string[], which: 0 | 1): number => items.filter((s) => side[which]!.test(s)).reduce((n, s) => n + who(s), 0);
        const access = shown.access;
        const isDriftItem = (x: { origin?: string }): boolean => x.origin === 'drift';
        expect(ownItems.length + driftItems.length, where).toBe(access.length);
        expect(driftItems.length, where).toBe(access.filter(isDriftItem).length);
        const countsLine = comment.split('\n').find((l) => l.startsWith('**'))!;
        expect(Number(/\*\*(\d+)\*\* principals? (?:gains?|ha(?:s|ve))/.exec(countsLine)?.[1]), where).toBe(principalsOn(ownItems, 0));
        expect(Number(/, \*\*(\d+)\*\* (?:loses?|lacks?)/.exec(countsLine)?.[1]), where).toBe(principalsOn(ownItems, 1));
        // Findings: the counts line and the banner against the table's rows; the rows' order; drift in its own table.
        const findingRows = tableRows(comment, '#### Risk findings');
        const driftRows = tableRows(comment, '#### Risk findings of drift it would revert');
        expect(findingRows.length + driftRows.length, where).toBe(shown.findings.length);
        expect(driftRows.length, where).toBe(shown.findings.filter(isDriftItem).length);
        const rowSeverity = (r: string[]): keyof typeof SEVERITY_RANK => r[1]!.split(' ')[0] as keyof typeof SEVERITY_RANK;
        const isNew = (r: string[]): boolean => r[1]!.endsWith('(new)');
        const counted = (r: string[]): boolean => isNew(r) && !r[4]!.includes('_(accepted:');
        for (const sev of ['critical', 'high', 'medium', 'low'] as const) {
          expect(Number(new RegExp(`(\\d+) ${sev}`).exec(countsLine.slice(countsLine.indexOf(':')))?.[1]), `${where} ${sev}`).toBe(findingRows.filter((r) => counted(r) && rowSeverity(r) === sev).length);
        }
        const removed = findingRows.filter((r) => r[1]!.endsWith('(removed)')).length;
        expect(Number(/\((\d+) removed\)/.exec(countsLine)?.[1] ?? 0), where).toBe(removed);
        const driftClause = / · drift it would revert: (\d+) principals? gains? access, (\d+) loses?(?:, \d+ (?:role's|roles') trust)?; (\d+) findings? introduced(?:, (\d+) removed)?$/.exec(countsLine);
        if (driftItems.length || driftRows.length || shown.trust.some(isDriftItem)) {
          expect(driftClause?.slice(1).map((n) => Number(n ?? 0)), where).toEqual([principalsOn(driftItems, 0), principalsOn(driftItems, 1), driftRows.filter(counted).length, driftRows.filter((r) => r[1]!.endsWith('(removed)')).length]);
        } else expect(driftClause, where).toBeNull();
        const bannerCount = (n: string | undefined): number => (n === undefined ? 0 : n === 'a' ? 1 : Number(n));
        const serious = (rows: string[][], sev: 'critical' | 'high'): number => rows.filter((r) => counted(r) && rowSeverity(r) === sev).length;
        for (const [lead, rows] of [[perspective === 'drift' ? 'The drift introduces' : 'It introduces', findingRows], ['Merging also reverts drift, which introduces', driftRows]] as const) {
          const banner = new RegExp(`\\*\\*${lead} (?:(a|\\d+) critical)?(?: and )?(?:(a|\\d+) high)?-severity finding`).exec(comment);
          expect([bannerCount(banner?.[1]), bannerCount(banner?.[2])], `${where}: ${lead}`).toEqual([serious(rows, 'critical'), serious(rows, 'high')]);
        }
        for (const rows of [findingRows, driftRows]) {
          const order = rows.map((r) => [isNew(r) ? 0 : 1, SEVERITY_RANK[rowSeverity(r)]] as const);
          for (let i = 1; i < order.length; i++) expect(order[i - 1]![0] * 10 + order[i - 1]![1] <= order[i]![0] * 10 + order[i]![1], `${where}: findings out of order at row ${i}`).toBe(true);
        }
        // Deletions named in the banner, and how many more.
        const deletes = rows.filter((r) => /delete|replace/.test(r[0]!)).length;
        const named = /\*\*(?:This plan|Restoring the manifests) ((?:(?:deletes|replaces) [^,]*?(?:, |(?= and \d+ more)|\.\*\*))+)(?: and (\d+) more)?/.exec(comment);
        expect(named ? named[1]!.split(/, (?=deletes|replaces)/).length + Number(named[2] ?? 0) : 0, where).toBe(deletes);
        // The text plan lists findings in the same order and counts principals the same way.
        const textPlan = renderPlanText(shown, undefined, perspective === 'drift' ? 'drift' : 'proposal', catalog);
        const findingsText = textPlan.slice(textPlan.indexOf('Risk findings'));
        const textApart = findingsText.indexOf('Drift this pull request would revert');
        const textParts = textApart < 0 ? [findingsText] : [findingsText.slice(0, textApart), findingsText.slice(textApart)];
        const listedIn = (part: string): (readonly [number, number])[] => [...part.matchAll(/^ {2}(CRITICAL|HIGH|MEDIUM|LOW) +\S+ +\S+.*\n {6}(no longer: |[A-Z]+ now, was [A-Z]+: )?/gm)].map((m) => [m[2]?.startsWith('no longer') ? 1 : 0, SEVERITY_RANK[m[1]!.toLowerCase() as keyof typeof SEVERITY_RANK]] as const);
        expect(textParts.map(listedIn).flat().length, where).toBe(shown.findings.length);
        expect(textApart < 0 ? 0 : listedIn(textParts[1]!).length, where).toBe(driftRows.length);
        for (const listed of textParts.map(listedIn)) {
          for (let i = 1; i < listed.length; i++) expect(listed[i - 1]![0] * 10 + listed[i - 1]![1] <= listed[i]![0] * 10 + listed[i]![1], `${where}: text findings out of order`).toBe(true);
        }
        if (access.length) expect(textPlan, where).toMatch(new RegExp(`: ${new Set(access.flatMap((d) => d.principals)).size.toLocaleString('en-US')} principals? (gain|has|have)`));
      }
    }
  });

  it('the banner counts findings by severity: "2 critical and 3 high", never "5 critical"', async () => {
    const base = randomPlan(seededRandom(3), { changes: 1, principals: 2, findings: 0, roles: 0, statements: 1 });
    const finding = (severity: 'critical' | 'high', i: number): PlanFinding => ({ code: 'PRIVESC_PASS_ROLE_TO_COMPUTE', severity, principal: `arn:aws:iam::123456789012:user/u${i}`, summary: 's', detail: 'd', change: 'introduced', causes: [] });
    const plan: Plan = { ...base, findings: [finding('high', 1), finding('critical', 2), finding('high', 3), finding('critical', 4), finding('high', 5)] };
    const comment = renderComment(plan, await loadActionCatalog(), { folder: 'manifests' });
    expect(comment).toContain('**It introduces 2 critical and 3 high-severity findings:** <code>PRIVESC\\_PASS\\_ROLE\\_TO\\_COMPUTE</code> on <code>user u2</code>, <code>PRIVESC\\_PASS\\_ROLE\\_TO\\_COMPUTE</code> on <code>user u4</code>, <code>PRIVESC\\_PASS\\_ROLE\\_TO\\_COMPUTE</code> on <code>user u1</code>, and 2 more.');
  });

  it("the change's own diffs are the last thing trimmed: present whenever they fit, cut only when one is too big alone, saying so", async () => {
    const catalog = await loadActionCatalog();
    const random = seededRandom(1015);
    let omitted = 0;
    let cut = 0;
    let whole = 0;
    for (let run = 0; run < 16; run++) {
      const plan = randomPlan(random, { changes: 1 + Math.floor(random() * 60), principals: Math.floor(random() * 1_500), findings: Math.floor(random() * 60), roles: Math.floor(random() * 40), statements: 1 + Math.floor(random() * (run % 4 === 0 ? 400 : 12)) });
      const shown = shownChanges(plan.changes);
      for (const limit of [COMMENT_LIMIT, 20_000, 8_000]) {
        const comment = renderComment(plan, catalog, { folder: 'manifests', limit });
        const where = `run ${run} at ${limit}`;
        expect(comment.length, where).toBeLessThanOrEqual(limit);
        expectSafe(comment);
        const blocks = shown.map((c) => diffLines(c).join('\n'));
        const present = blocks.map((b) => comment.includes(b));
        const changes = comment.indexOf('\n#### Changes\n');
        const outside = changes < 0 ? comment.length : comment.length - (comment.indexOf('\n---\n', changes) - changes);
        if (present.every(Boolean)) {
          whole++;
          continue;
        }
        // Something of the change is missing: everything else is already at its least.
        expect(comment, where).not.toMatch(/\*\*Can (now|no longer):\*\*|```mermaid|^ {2}- [+−] |unmanaged entit|<summary>\d+ warnings?</m);
        for (const section of ['#### Access changes', '#### Trust and reach']) {
          const at = comment.indexOf(`${section}\n`);
          if (at >= 0) expect(comment.slice(at).split('\n').slice(1, 6).filter((l) => l.startsWith('- ')), `${where}: ${section} lists items`).toEqual([]);
        }
        shown.forEach((c, i) => {
          if (present[i]) return;
          const size = blocks[i]!.length;
          if (comment.includes(`${htmlCode(`${c.change.kind} ${c.change.name}`)} ${actionPhrase(c.action, 'proposal')} (diff cut to fit)`)) {
            // Cut: it could not have fit whole, even alone beside the rest.
            cut++;
            expect(size, `${where}: ${c.change.name} was cut though it fits alone`).toBeGreaterThan(limit - outside);
          } else {
            // Left out: it would not have fit in the room left.
            omitted++;
            expect(comment.length + size, `${where}: ${c.change.name} was left out though it fits`).toBeGreaterThan(limit - 400);
          }
        });
        expect(comment, where).toMatch(/more changes? \(with (its|their) diffs?\): shortened to fit|diff cut to fit/);
      }
    }
    console.log(`diffs: ${whole} comments with every diff, ${omitted} diffs left out, ${cut} cut`);
    // The runs reach every case.
    expect(whole).toBeGreaterThan(5);
    expect(omitted).toBeGreaterThan(5);
    expect(cut).toBeGreaterThan(0);
  });

  it('an item that is exactly a group\'s members reads as one line for the group', async () => {
    const catalog = await loadActionCatalog();
    const base = randomPlan(seededRandom(4), { changes: 1, principals: 0, findings: 0, roles: 0, statements: 1 });
    const members = Array.from({ length: 347 }, (_, i) => `arn:aws:iam::123456789012:user/m${i}`);
    const entry = { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket-a/*'], because: ['group g0: inline policy read, statement 0'] };
    const plan: Plan = { ...base, access: [{ principals: members, granted: [entry], revoked: [], through: { kind: 'group', name: 'g0', arn: 'arn:aws:iam::123456789012:group/g0' } }] };
    const comment = renderComment(plan, catalog, { folder: 'manifests' });
    expect(comment).toContain('<details><summary>group <code>g0</code> (347 members): gains 1 action: 1 in s3 (1 Read)</summary>');
    expect(comment).not.toContain('347 principals:');
    expect(renderPlanText(plan, undefined, 'proposal', catalog)).toContain('  group g0 (347 members): gains 1 action');
  });
});
