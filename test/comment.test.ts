/**
 * The pull-request comment: whatever names, paths, descriptions, tags, conditions and policy text hold, it keeps
 * its structure, pings no one, links nowhere and carries one marker; and it stays under GitHub's limit at any size.
 */
import { describe, expect, it } from 'vitest';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import type { Plan } from '../src/plan/plan.js';
import { COMMENT_LIMIT, commentMarker, maxSeverity, renderComment, verdictOf } from '../src/render/comment.js';
import { code, fence, html, mermaidLabel, text } from '../src/render/markdown-safe.js';
import { exampleManifestFiles, planFiles } from './helpers/example.js';
import { seededRandom } from './helpers/random-account.js';

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

/**
 * The plan `factor` times over, each copy's entities and principals renamed (`-i`), its counts scaled: a plan as
 * large as wanted, for rendering properties, without planning thousands of manifests.
 */
function scaledPlan(base: Plan, factor: number): Plan {
  const copies = <T>(list: readonly T[], rename: (item: T, i: number) => T): T[] => Array.from({ length: factor }, (_, i) => list.map((item) => rename(item, i))).flat();
  const renamed = (arn: string, i: number): string => `${arn}-${i}`;
  type Item = Record<string, unknown>;
  return {
    ...base,
    changes: copies(base.changes, (c, i) => ({ ...c, name: `${c.name}-${i}`, arn: renamed(c.arn, i) })),
    access: copies(base.access as Item[], (a, i) => ({ ...a, principals: (a['principals'] as string[]).map((p) => renamed(p, i)) })),
    trust: copies(base.trust as Item[], (t, i) => ({ ...t, role: renamed(t['role'] as string, i) })),
    findings: copies(base.findings as Item[], (f, i) => ({ ...f, principal: renamed(f['principal'] as string, i) })),
    unmanaged: copies(base.unmanaged, (u, i) => renamed(u, i)),
    summary: { create: base.summary.create * factor, update: base.summary.update * factor, delete: base.summary.delete * factor, unmanaged: base.summary.unmanaged * factor, replace: base.summary.replace * factor },
  };
}

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
  for (const heading of visible.matchAll(/^#{1,6} (.*)$/gm)) expect(heading[1]).toMatch(/^(🔺|🔻|🔀|⚪|⛔) iam-gitops|^(Risk findings|Access changes|Trust and reach|Changes)$/);
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

  it('of a huge plan (thousands of principals) stays under 65,536 characters, keeps the verdict and counts, and says where the rest is', async () => {
    // A rendering property: a synthetic plan of the example's changes, deltas and findings for 2,000 distinct
    // principals says it as well as planning 2,000 manifests would (that pipeline at scale is \`npm run bench\`'s).
    const plan = scaledPlan(await planFiles(exampleManifestFiles()), 400);
    expect(plan.changes.length).toBeGreaterThan(2_000);
    expect(new Set(plan.access.flatMap((a) => (a as { principals: string[] }).principals)).size).toBeGreaterThan(1_500);
    const catalog = await loadActionCatalog();
    const comment = renderComment(plan, catalog, { folder: 'manifests', fullReport: 'the job summary of this run' });
    expect(comment.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment).toContain(`**${plan.changes.length} changes**`);
    expect(comment).toContain('shortened to fit: the full report is in the job summary of this run');
    expect(comment).toMatch(/### (🔺|🔀) iam-gitops: (broadening|mixed)/);
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
      const plan = scaledPlan(base, factor);
      for (const limit of [COMMENT_LIMIT, 20_000]) {
        const comment = renderComment(plan, catalog, { folder: 'manifests', limit });
        expect(comment.length).toBeLessThanOrEqual(limit);
        expectSafe(comment);
      }
    }
  });
});
