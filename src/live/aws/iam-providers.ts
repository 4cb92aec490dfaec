/**
 * The writer's room for identity providers: each provider step as its IAM call. Creates that meet
 * EntityAlreadyExists and deletes that meet NoSuchEntity (a retry meeting its own earlier attempt) count as done; a
 * provider created by this run may not be visible at once, so calls on it wait that out.
 */
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateSAMLProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteSAMLProviderCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  TagSAMLProviderCommand,
  UntagOpenIDConnectProviderCommand,
  UntagSAMLProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  UpdateSAMLProviderCommand,
} from '@aws-sdk/client-iam';
import type { ProviderStepOp } from '../../apply/provider-steps.js';
import { isAwsError } from './errors.js';
import type { StepCalls } from './iam-calls.js';
import { iamTags } from './iam-commands.js';

/** `created`: ARNs (lower case) of providers this run created; `onCreate` records one. */
export async function runProviderOp(op: ProviderStepOp, calls: StepCalls, account: string, created: (arn: string) => boolean, onCreate: (arn: string) => void): Promise<void> {
  const tags = (list: readonly { key: string; value: string }[]) => (list.length ? { Tags: iamTags(list) } : {});
  const justCreated = (arn: string) => (e: unknown): boolean => isAwsError(e, 'NoSuchEntity') && created(arn);
  switch (op.op) {
    case 'createOidcProvider':
      onCreate(`arn:aws:iam::${account}:oidc-provider/${op.url.replace(/^https:\/\//, '')}`);
      return calls.idempotent(new CreateOpenIDConnectProviderCommand({ Url: op.url, ClientIDList: [...op.clientIds], ...(op.thumbprints.length ? { ThumbprintList: [...op.thumbprints] } : {}), ...tags(op.tags) }), ['EntityAlreadyExists'], `OIDC provider ${op.url} already existed (an earlier attempt made it)`);
    case 'createSamlProvider':
      onCreate(`arn:aws:iam::${account}:saml-provider/${op.name}`);
      return calls.idempotent(new CreateSAMLProviderCommand({ Name: op.name, SAMLMetadataDocument: op.metadata, ...tags(op.tags) }), ['EntityAlreadyExists'], `SAML provider ${op.name} already existed (an earlier attempt made it)`);
    case 'addProviderClientId':
      return calls.eventually(() => new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: op.arn, ClientID: op.clientId }), justCreated(op.arn), op.arn);
    case 'removeProviderClientId':
      await calls.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: op.arn, ClientID: op.clientId }));
      return;
    case 'setProviderThumbprints':
      return calls.eventually(() => new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: op.arn, ThumbprintList: [...op.thumbprints] }), justCreated(op.arn), op.arn);
    case 'updateSamlMetadata':
      return calls.eventually(() => new UpdateSAMLProviderCommand({ SAMLProviderArn: op.arn, SAMLMetadataDocument: op.metadata }), justCreated(op.arn), op.arn);
    case 'tagProvider':
      return calls.eventually(
        () => (op.providerKind === 'oidcProvider' ? new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: op.arn, Tags: iamTags(op.tags) }) : new TagSAMLProviderCommand({ SAMLProviderArn: op.arn, Tags: iamTags(op.tags) })),
        justCreated(op.arn),
        op.arn,
      );
    case 'untagProvider':
      await calls.send(op.providerKind === 'oidcProvider' ? new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: op.arn, TagKeys: [...op.keys] }) : new UntagSAMLProviderCommand({ SAMLProviderArn: op.arn, TagKeys: [...op.keys] }));
      return;
    case 'deleteProvider':
      return calls.idempotent(op.providerKind === 'oidcProvider' ? new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: op.arn }) : new DeleteSAMLProviderCommand({ SAMLProviderArn: op.arn }), ['NoSuchEntity'], `${op.arn} was already deleted`);
  }
}
