/**
 * A loopback HTTP server speaking IAM's Query API (and the STS calls the tool makes): form-encoded POSTs in, XML out,
 * with AWS's error codes. Faults on demand: throttling (a share of requests, or beyond a token bucket's rate), HTTP
 * 500s (half of them after the change was made, as a real 500 may be), latency, and IAM's eventual consistency (in
 * the model). `enforce` authorizes every request with the project's evaluation engine against the emulated account,
 * so a lockout is real. Test and bench hooks: `GET /_emulator/calls` (`DELETE` resets them), `GET /_emulator/state`,
 * `POST /_emulator/root` (the root user's MFA and access keys, which IAM's API cannot set), `POST
 * /_emulator/aws-policy-version` (AWS publishing a new default version of a managed policy), `POST /_emulator/usage`
 * (JSON lines of what principals used, for the last-accessed reports).
 */
import { rootFacts } from './reports.js';
import { parseUsageLines, recordUsage } from './usage.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identityDecision, mayAssumeRole, mayAssumeRoleWithWebIdentity } from './authorize.js';
import { IAM_HANDLERS, isRead, Params, requestTarget, unknownAction } from './api.js';
import { IamError } from './errors.js';
import type { IamModel } from './model.js';
import { newId } from './model.js';
import { errorResponse, successResponse, type XmlObject } from './xml.js';
import { snapshotOf } from './snapshot.js';

export interface EmulatorOptions {
  readonly model: IamModel;
  /** The principal that credentials not issued by the emulator act as. */
  readonly caller: string;
  readonly throttleRate?: number;
  /** Throttle only requests that change IAM (reads pass): a run that reads fine and is throttled as it writes. */
  readonly throttleWritesOnly?: boolean;
  readonly errorRate?: number;
  /** Requests per second a token bucket admits; beyond it, Throttling. */
  readonly rateLimit?: number;
  readonly latencyMs?: number;
  readonly enforce?: boolean;
  /** Items per page at most (below MaxItems), to exercise short pages. */
  readonly maxPageItems?: number;
  /** Random source for faults (seed it for reproducible runs). */
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export interface RunningEmulator {
  readonly url: string;
  readonly server: Server;
  readonly calls: () => CallCounts;
  close(): Promise<void>;
}

/** Requests received, by action; of them, those answered Throttling or ServiceFailure by an injected fault. */
export interface CallCounts {
  readonly total: number;
  readonly byAction: Record<string, number>;
  readonly throttled: number;
  readonly failed: number;
}

interface Session {
  readonly roleKey: string;
  readonly arn: string;
  readonly sessionName: string;
}

export async function startEmulator(options: EmulatorOptions, port = 0): Promise<RunningEmulator> {
  const { model } = options;
  const random = options.random ?? Math.random;
  const byAction: Record<string, number> = {};
  let total = 0;
  let throttled = 0;
  let failed = 0;
  const sessions = new Map<string, Session>();
  const bucket = options.rateLimit ? tokenBucket(options.rateLimit) : undefined;
  /** Who is calling: a session the emulator issued, a user's access key, or the default caller. */
  const callerOf = (req: IncomingMessage): { arn: string; principalArn: string; session?: Session } => {
    const auth = req.headers['authorization'];
    const keyId = typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : undefined;
    if (!keyId) throw new IamError('InvalidClientTokenId', 'The security token included in the request is invalid.');
    const session = sessions.get(keyId);
    if (session) {
      const role = model.roles.get(session.roleKey);
      if (!role) throw new IamError('InvalidClientTokenId', 'The security token included in the request is invalid.');
      return { arn: session.arn, principalArn: role.arn, session };
    }
    for (const user of model.users.values()) {
      const key = user.accessKeys.find((k) => k.id === keyId && k.status === 'Active');
      if (key) {
        key.lastUsed = { date: model.now(), service: 'iam', region: 'us-east-1' };
        return { arn: user.arn, principalArn: user.arn };
      }
    }
    return { arn: options.caller, principalArn: options.caller };
  };

  const authorize = (principalArn: string, action: string, resource: string): void => {
    if (!options.enforce) return;
    const decision = identityDecision(model, principalArn, { action, resource, context: { 'aws:PrincipalArn': principalArn, 'aws:RequestedRegion': 'us-east-1', 'aws:SecureTransport': 'true' } });
    if (decision !== 'Allowed') {
      const why = decision === 'ExplicitlyDenied' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
      throw new IamError('AccessDenied', `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`);
    }
  };

  const sts = (action: string, p: Params, req: IncomingMessage): XmlObject => {
    // Unsigned, as in STS: the web identity token is the credential.
    if (action === 'AssumeRoleWithWebIdentity') return assumeRoleWithWebIdentity(p);
    const caller = callerOf(req);
    if (action === 'GetCallerIdentity') {
      const entity = [...model.users.values(), ...model.roles.values()].find((e) => e.arn === caller.principalArn);
      return { UserId: caller.session ? `${entity?.id ?? 'AROA'}:${caller.session.sessionName}` : (entity?.id ?? 'AIDA'), Account: model.account, Arn: caller.arn };
    }
    if (action === 'AssumeRole') {
      const roleArn = p.require('RoleArn');
      const sessionName = p.require('RoleSessionName');
      const role = [...model.roles.values()].find((r) => r.arn === roleArn && model.visible(r));
      if (!role) throw new IamError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
      // This request, as the emulator receives it: over TLS, with MFA, in us-east-1.
      const context = { 'aws:PrincipalArn': caller.principalArn, 'aws:RequestedRegion': 'us-east-1', 'aws:SecureTransport': 'true', 'aws:MultiFactorAuthPresent': 'true' };
      if (options.enforce && !mayAssumeRole(model, caller.principalArn, role.arn, context)) throw new IamError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
      const keyId = newId('ASIA');
      const arn = `arn:aws:sts::${model.account}:assumed-role/${role.name}/${sessionName}`;
      sessions.set(keyId, { roleKey: role.name.toLowerCase(), arn, sessionName });
      role.lastUsed = { date: model.now(), region: 'us-east-1' };
      const expiration = new Date(Date.now() + (p.int('DurationSeconds') ?? 3600) * 1000);
      return { Credentials: { AccessKeyId: keyId, SecretAccessKey: newId('SECR'), SessionToken: newId('TOKN'), Expiration: expiration }, AssumedRoleUser: { AssumedRoleId: `${role.id}:${sessionName}`, Arn: arn } };
    }
    throw new IamError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  };

  /**
   * OIDC federation (GitHub Actions): the token's issuer must be an OIDC provider of the account, it must not have
   * expired, and the role's trust policy must allow sts:AssumeRoleWithWebIdentity for that provider with the
   * token's claims as condition keys (`ISSUER_HOST:sub`, `:aud`, ...). The signature is not checked: tests sign
   * nothing, and this emulator trusts its loopback callers.
   */
  const assumeRoleWithWebIdentity = (p: Params): XmlObject => {
    const roleArn = p.require('RoleArn');
    const sessionName = p.require('RoleSessionName');
    const token = p.require('WebIdentityToken');
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new IamError('InvalidIdentityToken', 'Incorrect token audience');
    }
    const issuer = typeof claims['iss'] === 'string' ? claims['iss'].replace(/^https:\/\//, '').replace(/\/$/, '') : '';
    const provider = `arn:aws:iam::${model.account}:oidc-provider/${issuer}`;
    if (!issuer || !model.oidcProviders.has(provider)) throw new IamError('InvalidIdentityToken', `No OpenIDConnect provider found in your account for https://${issuer}`);
    if (typeof claims['exp'] === 'number' && claims['exp'] * 1000 < Date.now()) throw new IamError('ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time');
    const role = [...model.roles.values()].find((r) => r.arn === roleArn && model.visible(r));
    const denied = (): IamError => new IamError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    if (!role) throw denied();
    const context: Record<string, string | string[]> = {};
    for (const [claim, value] of Object.entries(claims)) {
      if (typeof value === 'string') context[`${issuer}:${claim}`] = value;
      else if (Array.isArray(value)) context[`${issuer}:${claim}`] = value.map(String);
    }
    if (!mayAssumeRoleWithWebIdentity(role.trust, provider, role.arn, context)) throw denied();
    role.lastUsed = { date: model.now(), region: 'us-east-1' };
    const keyId = newId('ASIA');
    const arn = `arn:aws:sts::${model.account}:assumed-role/${role.name}/${sessionName}`;
    sessions.set(keyId, { roleKey: role.name.toLowerCase(), arn, sessionName });
    const expiration = new Date(Date.now() + (p.int('DurationSeconds') ?? 3600) * 1000);
    return {
      Credentials: { AccessKeyId: keyId, SecretAccessKey: newId('SECR'), SessionToken: newId('TOKN'), Expiration: expiration },
      SubjectFromWebIdentityToken: String(claims['sub'] ?? ''),
      AssumedRoleUser: { AssumedRoleId: `${role.id}:${sessionName}`, Arn: arn },
      Provider: issuer,
      Audience: String(Array.isArray(claims['aud']) ? claims['aud'][0] : (claims['aud'] ?? '')),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/_emulator/calls') {
      if (req.method === 'DELETE') {
        total = throttled = failed = 0;
        for (const k of Object.keys(byAction)) delete byAction[k];
      }
      return send(res, 200, 'application/json', JSON.stringify({ total, byAction, throttled, failed }));
    }
    if (path === '/_emulator/state') return send(res, 200, 'application/json', JSON.stringify(snapshotOf(model), null, 2));
    const body = await readBody(req);
    if (path === '/_emulator/usage' && req.method === 'POST') {
      // JSON lines of what principals used, for the last-accessed reports; a bad line records nothing.
      try {
        const lines = parseUsageLines(body);
        for (const event of lines) recordUsage(model, event);
        return send(res, 200, 'application/json', JSON.stringify({ recorded: lines.length }));
      } catch (e) {
        return send(res, 400, 'application/json', JSON.stringify({ error: (e as Error).message }));
      }
    }
    if (path === '/_emulator/aws-policy-version' && req.method === 'POST') {
      // AWS publishing a new default version of one of its managed policies: {"arn": ..., "document": {...}}.
      let asked: unknown;
      try {
        asked = JSON.parse(body);
      } catch {
        return send(res, 400, 'application/json', JSON.stringify({ error: 'body must be JSON: {"arn": AWS managed policy ARN, "document": policy document}' }));
      }
      const { arn, document } = (asked ?? {}) as { arn?: unknown; document?: unknown };
      if (typeof arn !== 'string' || typeof document !== 'object' || document === null) return send(res, 400, 'application/json', JSON.stringify({ error: 'arn must be a string and document a policy document' }));
      try {
        return send(res, 200, 'application/json', JSON.stringify({ arn, versionId: model.publishAwsPolicyVersion(arn, JSON.stringify(document)) }));
      } catch (e) {
        return send(res, 404, 'application/json', JSON.stringify({ error: (e as Error).message }));
      }
    }
    if (path === '/_emulator/root' && req.method === 'POST') {
      // What IAM's API cannot set: the root user's MFA device and access keys (the credential report and the account
      // summary read them).
      let facts: unknown;
      try {
        facts = JSON.parse(body);
      } catch {
        return send(res, 400, 'application/json', JSON.stringify({ error: 'body must be JSON: {"mfa": boolean, "accessKeys": 0|1|2}' }));
      }
      const { mfa, accessKeys } = (facts ?? {}) as { mfa?: unknown; accessKeys?: unknown };
      if ((mfa !== undefined && typeof mfa !== 'boolean') || (accessKeys !== undefined && ![0, 1, 2].includes(accessKeys as number))) {
        return send(res, 400, 'application/json', JSON.stringify({ error: 'mfa must be a boolean, accessKeys 0, 1 or 2' }));
      }
      const root = rootFacts(model);
      if (typeof mfa === 'boolean') root.mfa = mfa;
      if (typeof accessKeys === 'number') root.accessKeys = accessKeys;
      return send(res, 200, 'application/json', JSON.stringify(root));
    }
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const service = form.get('Version') === '2011-06-15' ? 'sts' : 'iam';
    const requestId = randomUUID();
    total++;
    byAction[action] = (byAction[action] ?? 0) + 1;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const fail = (error: IamError): void => send(res, error.status, 'text/xml', errorResponse(service, error.type, error.code, error.message, requestId));
    const throttleable = !options.throttleWritesOnly || (service === 'iam' && !isRead(action));
    if ((bucket && !bucket()) || (throttleable && options.throttleRate && random() < options.throttleRate)) {
      throttled++;
      return fail(new IamError('Throttling', 'Rate exceeded'));
    }
    // A 500 may come after the change was made: the caller's retry then meets its own earlier attempt.
    const failure = options.errorRate && random() < options.errorRate ? (isRead(action) || random() < 0.5 ? 'before' : 'after') : undefined;
    if (failure) failed++;
    if (failure === 'before') return fail(new IamError('ServiceFailure', 'We encountered an internal error. Please try again.'));
    try {
      const p = new Params(form);
      let result: XmlObject | undefined;
      if (service === 'sts') {
        result = sts(action, p, req);
      } else {
        const handler = IAM_HANDLERS[action];
        if (!handler) throw unknownAction(action);
        model.settleDeletions();
        const caller = callerOf(req);
        authorize(caller.principalArn, `iam:${action}`, requestTarget(model, action, p));
        result = handler(model, p, { ...(options.maxPageItems ? { maxPageItems: options.maxPageItems } : {}) });
        // IAM records its own use, as it does any service's.
        if (/^arn:aws:iam::\d{12}:(user|role)\//.test(caller.principalArn)) recordUsage(model, { principal: caller.principalArn, action: `iam:${action}`, at: model.now() });
      }
      if (failure === 'after') return fail(new IamError('ServiceFailure', 'We encountered an internal error. Please try again.'));
      options.log?.(`${action} ok`);
      send(res, 200, 'text/xml', successResponse(service, action, result, requestId));
    } catch (e) {
      if (!(e instanceof IamError)) {
        options.log?.(`${action} internal error: ${(e as Error).stack}`);
        return fail(new IamError('ServiceFailure', `emulator bug: ${(e as Error).message}`));
      }
      options.log?.(`${action} ${e.code}: ${e.message}`);
      fail(e);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => send(res, 500, 'text/plain', e.message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    calls: () => ({ total, byAction: { ...byAction }, throttled, failed }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Admits `rate` requests per second on average, in bursts of at most `rate`. */
function tokenBucket(rate: number): () => boolean {
  let tokens = rate;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(rate, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
