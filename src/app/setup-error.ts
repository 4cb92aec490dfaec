/**
 * A problem with how a run is set up (a workflow's inputs, the job's permissions or environment), as opposed to the
 * manifests or live IAM: the message alone says what to change, with no file to point at.
 */
export class SetupError extends Error {}
