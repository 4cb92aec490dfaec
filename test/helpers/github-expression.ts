/**
 * The slice of GitHub Actions' expression language the workflow templates use in `if:` (`==`, `!=`, `&&`, `||`,
 * `!`, parentheses, string literals, context paths, `format()`), evaluated the way GitHub does: strings compare
 * without case, a missing property is null (and null equals ''), `&&` and `||` return an operand. For tests that
 * check what a template's conditions do on given events, not how they read.
 */
type Value = string | number | boolean | null | Record<string, unknown>;

export function evaluateExpression(source: string, context: Record<string, unknown>): Value {
  const text = source.trim().replace(/^\$\{\{([^]*)\}\}$/, '$1');
  const tokens = [...text.matchAll(/\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|,|[A-Za-z_][\w.-]*|\d+)/gy)].map((m) => m[1]!);
  if (tokens.join('').length !== text.replace(/\s+/g, '').length) throw new Error(`cannot read the expression: ${source}`);
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const take = (expected?: string): string => {
    const t = tokens[at++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'more'} in ${source}`);
    return t;
  };
  const truthy = (v: Value): boolean => v !== null && v !== false && v !== '' && v !== 0;
  const loose = (v: Value): string => (v === null ? '' : String(v)).toLowerCase();
  const primary = (): Value => {
    const t = take();
    if (t === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (t === '!') return !truthy(primary());
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^\d+$/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (t === 'format' && peek() === '(') {
      take('(');
      const args: Value[] = [or()];
      while (peek() === ',') {
        take(',');
        args.push(or());
      }
      take(')');
      return String(args[0]).replace(/\{(\d+)\}/g, (_, i: string) => (args[Number(i) + 1] === null ? '' : String(args[Number(i) + 1])));
    }
    return t.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' && key in (v as object) ? (v as Record<string, unknown>)[key] : null), context) as Value;
  };
  const comparison = (): Value => {
    const left = primary();
    if (peek() === '==' || peek() === '!=') {
      const op = take();
      const equal = loose(left) === loose(primary());
      return op === '==' ? equal : !equal;
    }
    return left;
  };
  const and = (): Value => {
    let v = comparison();
    while (peek() === '&&') {
      take();
      const right = comparison();
      v = truthy(v) ? right : v;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === '||') {
      take();
      const right = and();
      v = truthy(v) ? v : right;
    }
    return v;
  };
  const value = or();
  if (at !== tokens.length) throw new Error(`unexpected ${tokens[at]} in ${source}`);
  return value;
}

export function isTruthy(v: Value): boolean {
  return v !== null && v !== false && v !== '' && v !== 0;
}
