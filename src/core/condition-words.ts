/** Conditions in words, for people: `only with MFA`, `only from 10.0.0.0/8`, `only when KEY OPERATOR VALUES`. */
export function conditionWords(condition: Record<string, Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    for (const [key, raw] of Object.entries(block ?? {})) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      const op = operator.toLowerCase();
      const k = key.toLowerCase();
      const ifExists = op.endsWith('ifexists') ? ' (or when unknown)' : '';
      const base = op.replace(/ifexists$/, '');
      if (k === 'aws:multifactorauthpresent' && base === 'bool') parts.push(`${values[0] === 'true' ? 'only with MFA' : 'only without MFA'}${ifExists}`);
      else if (k === 'aws:sourceip' && base === 'ipaddress') parts.push(`only from ${values.join(' or ')}`);
      else if (k === 'aws:sourceip' && base === 'notipaddress') parts.push(`only from outside ${values.join(' and ')}`);
      else if (k === 'aws:requestedregion' && base === 'stringequals') parts.push(`only in ${values.join(' or ')}`);
      else if (k === 'aws:requestedregion' && base === 'stringnotequals') parts.push(`only outside ${values.join(' and ')}`);
      else if (k === 'aws:securetransport' && base === 'bool') parts.push(values[0] === 'true' ? 'only over TLS' : 'only without TLS');
      else if (base === 'null') parts.push(`only when ${key} is ${values[0] === 'true' ? 'absent' : 'present'}`);
      else parts.push(`only when ${key} ${operator} ${values.join(' | ')}`);
    }
  }
  return parts.join(', ');
}
