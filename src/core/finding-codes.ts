/**
 * Every risk finding code the analyzer reports (see the README's table). Stable: tools and the Account manifest's
 * acceptedRisks refer to them. A test checks that the analyzer uses no code missing here.
 */
export const FINDING_CODES = [
  'FULL_ADMIN',
  'PRIVESC_TO_ADMIN',
  'PRIVESC_POLICY_ON_SELF',
  'PRIVESC_POLICY_ON_OWN_GROUP',
  'PRIVESC_POLICY_ON_ASSUMABLE_ROLE',
  'PRIVESC_CREATE_POLICY_VERSION',
  'PRIVESC_ADD_USER_TO_GROUP',
  'PRIVESC_UPDATE_ASSUME_ROLE_POLICY',
  'PRIVESC_ASSUME_STRONGER_ROLE',
  'PRIVESC_CREATE_ACCESS_KEY',
  'PRIVESC_CREATE_LOGIN_PROFILE',
  'PRIVESC_UPDATE_LOGIN_PROFILE',
  'PRIVESC_PASS_ROLE_TO_COMPUTE',
  'PRIVESC_SET_DEFAULT_POLICY_VERSION',
  'PRIVESC_UPDATE_FUNCTION_CODE',
  'PRIVESC_UPDATE_STACK',
  'PRIVESC_UPDATE_GLUE_ENDPOINT',
  'PRIVESC_SSM_SEND_COMMAND',
  'PRIVESC_SSM_START_SESSION',
  'PRIVESC_EC2_INSTANCE_CONNECT',
  'PRIVESC_EC2_SERIAL_CONSOLE',
  'PRIVESC_SAGEMAKER_NOTEBOOK_URL',
  'PERMISSIONS_OF_OTHERS',
  'PASS_ROLE_WILDCARD',
  'TRUST_ANYONE',
  'TRUST_OIDC_WITHOUT_SUBJECT',
  'TRUST_OIDC_WILDCARD_SUBJECT',
  'TRUST_WEB_IDENTITY_WITHOUT_AUDIENCE',
  'TRUST_EXTERNAL_ACCOUNT_WITHOUT_EXTERNAL_ID',
  'TRUST_EXTERNAL_PRINCIPAL',
  'BOUNDARY_REMOVED',
  // The account's settings (src/analyze/password-policy.ts): audit, plan and drift.
  'PASSWORD_POLICY_WEAK',
  // Users' credentials policy (src/plan/credential-plan.ts): drift.
  'CREDENTIALS_MFA_MISSING',
  // Hygiene (audit and drift on live accounts, from IAM's usage records: src/analyze/hygiene.ts).
  'ROOT_ACCESS_KEYS',
  'ROOT_WITHOUT_MFA',
  'CONSOLE_WITHOUT_MFA',
  'CONSOLE_AND_ACCESS_KEYS',
  'ACCESS_KEY_UNUSED',
  'ACCESS_KEY_NOT_ROTATED',
  'ROLE_UNUSED',
  'SERVICES_UNUSED',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/** A risk the Account manifest accepts: shown as accepted, never failing a run. */
export interface AcceptedRisk {
  /** The ARN of the user or role that holds it (for trust findings, the role). */
  readonly principal: string;
  readonly code: string;
  /** Why it is accepted, shown beside the finding. */
  readonly reason: string;
}
