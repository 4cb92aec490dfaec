/**
 * ARNs are read and written in one place (src/core/arn.ts). Laws, on random ARNs of every partition form, with and
 * without regions and accounts, resources holding `:` and `/`, IAM paths of any depth:
 * - format(parse(arn)) is arn, and parse(format(parts)) is parts;
 * - IAM's `type/path/name` resource form reads and writes back the same way;
 * - malformed text is refused (not `arn:`, fewer than six fields, a bad partition, service, region or account, an
 *   empty resource), while the lenient split still gives the fields a policy pattern has.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arnFields, entityIdentity, formatArn, formatIamResource, parseArn, parseEntityArn, parseIamResource, splitArn, type Arn } from '../src/core/arn.js';

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];
const partition = fc.constantFrom(...PARTITIONS);
const service = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,15}$/);
const region = fc.oneof(fc.constant(''), fc.constantFrom('us-east-1', 'eu-west-3', 'cn-north-1', 'us-gov-west-1', 'ap-southeast-2', 'us-iso-east-1', 'eu-central-12'));
const account = fc.oneof(fc.constant(''), fc.constant('aws'), fc.stringMatching(/^\d{12}$/));
/** Any non-empty resource, colons and slashes included (`log-group:/aws/x:*`, `table/t/stream/2020`). */
const resource = fc.stringMatching(/^[A-Za-z0-9:/._*+=,@${}-]{1,40}$/);
const arn: fc.Arbitrary<Arn> = fc.record({ partition, service, region, account, resource });

/** IAM's resource form: a type, a path of any depth (segments may be empty, as IAM allows `//`), a name. */
const segment = fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{0,8}$/);
const iamResource = fc.record({
  type: fc.constantFrom('user', 'group', 'role', 'policy', 'instance-profile', 'mfa', 'server-certificate', 'assumed-role'),
  path: fc.array(segment, { maxLength: 4 }).map((segments) => `/${segments.map((s) => `${s}/`).join('')}`),
  name: fc.stringMatching(/^[A-Za-z0-9+=,.@_:-]{1,20}$/),
});

describe('ARNs, read and written in one place', () => {
  it('format(parse(arn)) == arn and parse(format(parts)) == parts, in every partition, with colons and slashes in resources', () => {
    fc.assert(
      fc.property(arn, (parts) => {
        const text = formatArn(parts);
        expect(parseArn(text)).toEqual(parts);
        expect(formatArn(parseArn(text)!)).toBe(text);
        expect(splitArn(text)).toEqual(parts);
        expect(arnFields(text)).toEqual(['arn', parts.partition, parts.service, parts.region, parts.account, parts.resource]);
      }),
      { numRuns: 500 },
    );
  });

  it("IAM's type/path/name resource form reads and writes back; an entity ARN gives its identity and path", () => {
    fc.assert(
      fc.property(iamResource, partition, fc.stringMatching(/^\d{12}$/), (r, p, acct) => {
        const text = formatIamResource(r);
        expect(parseIamResource(text)).toEqual(r);
        const full = formatArn({ partition: p, service: 'iam', region: '', account: acct, resource: text });
        const entity = parseEntityArn(full);
        if (['user', 'group', 'role', 'policy', 'instance-profile'].includes(r.type)) {
          expect(entity).toEqual({ account: acct, kind: r.type, name: r.name, path: r.path });
          expect(entityIdentity(full)).toEqual({ account: acct, kind: r.type, name: r.name });
        } else expect(entity).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('malformed ARNs are refused', () => {
    const broken = fc.oneof(
      arn.map((a) => formatArn(a).replace(/^arn:/, 'arm:')),
      arn.map((a) => `arn:${a.partition}:${a.service}:${a.region}:${a.account}`), // five fields: no resource
      arn.map((a) => formatArn({ ...a, resource: '' })),
      arn.chain((a) => fc.constantFrom('', 'AWS', 'amazon', 'aws-', 'aws_cn', 'aws-CN', 'aws cn').map((partition) => formatArn({ ...a, partition }))),
      arn.chain((a) => fc.constantFrom('', 'S3', 'iam ', '-iam', 'ia*m').map((service) => formatArn({ ...a, service }))),
      arn.chain((a) => fc.constantFrom('*', 'US-EAST-1', 'us-east', 'useast1', ' us-east-1').map((region) => formatArn({ ...a, region }))),
      arn.chain((a) => fc.constantFrom('12345678901', '1234567890123', 'AWS', '*', '12345678901a').map((account) => formatArn({ ...a, account }))),
    );
    fc.assert(
      fc.property(broken, (text) => {
        expect(parseArn(text), text).toBeUndefined();
        expect(parseEntityArn(text), text).toBeUndefined();
      }),
      { numRuns: 500 },
    );
    for (const text of ['', 'arn', 'arn:aws', 'arn:aws:iam::123456789012', '*', 'role/x', 'arn:aws:iam::123456789012:role/', 'arn:aws:iam::123456789012:root']) expect(parseEntityArn(text), text).toBeUndefined();
  });

  it('policy patterns split leniently: wildcards and short patterns keep their fields, resources their colons', () => {
    expect(arnFields('arn:aws:s3')).toEqual(['arn', 'aws', 's3']);
    expect(arnFields('arn:*:logs:*:*:log-group:/aws/*:*')).toEqual(['arn', '*', 'logs', '*', '*', 'log-group:/aws/*:*']);
    expect(splitArn('arn:aws:s3:::*')).toEqual({ partition: 'aws', service: 's3', region: '', account: '', resource: '*' });
    expect(parseArn('arn:aws:s3:::*')).toEqual({ partition: 'aws', service: 's3', region: '', account: '', resource: '*' });
    expect(parseArn('arn:*:s3:::*')).toBeUndefined();
  });
});
