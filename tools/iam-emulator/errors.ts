/**
 * The errors IAM answers with, as the IAM API reference lists them: each a Query API error code, its HTTP status,
 * and whether the caller (Sender) or the service (Receiver) is at fault. Thrown by the model, turned into an
 * `<ErrorResponse>` by the server.
 */

export type IamErrorCode =
  | 'NoSuchEntity'
  | 'EntityAlreadyExists'
  | 'DeleteConflict'
  | 'LimitExceeded'
  | 'MalformedPolicyDocument'
  | 'InvalidInput'
  | 'ValidationError'
  | 'UnmodifiableEntity'
  | 'Throttling'
  | 'ServiceFailure'
  | 'AccessDenied'
  | 'InvalidAction'
  | 'MissingParameter'
  | 'InvalidClientTokenId'
  | 'InvalidIdentityToken'
  | 'ExpiredTokenException'
  | 'ReportNotPresent'
  | 'ReportInProgress'
  | 'ReportExpired';

const STATUS: Record<IamErrorCode, number> = {
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  DeleteConflict: 409,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  InvalidInput: 400,
  ValidationError: 400,
  UnmodifiableEntity: 400,
  Throttling: 400,
  ServiceFailure: 500,
  AccessDenied: 403,
  InvalidAction: 400,
  MissingParameter: 400,
  InvalidClientTokenId: 403,
  // GetCredentialReport's own (IAM API reference).
  ReportNotPresent: 410,
  ReportInProgress: 404,
  ReportExpired: 410,
};

export class IamError extends Error {
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';
  constructor(
    readonly code: IamErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
    this.type = code === 'ServiceFailure' ? 'Receiver' : 'Sender';
  }
}

export const noSuchEntity = (message: string): IamError => new IamError('NoSuchEntity', message);
export const alreadyExists = (message: string): IamError => new IamError('EntityAlreadyExists', message);
export const deleteConflict = (message: string): IamError => new IamError('DeleteConflict', message);
export const limitExceeded = (message: string): IamError => new IamError('LimitExceeded', message);
export const malformed = (message: string): IamError => new IamError('MalformedPolicyDocument', message);
export const invalidInput = (message: string): IamError => new IamError('InvalidInput', message);

/** AWS's wording for a parameter that breaks its constraints: "1 validation error detected: ...". */
export function validationError(value: string, member: string, constraint: string): IamError {
  return new IamError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
}
