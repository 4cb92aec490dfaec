/**
 * The Action's log: every message it writes to the runner passes here, made inert first (terminal-safe). Messages
 * quote folder names, file names, entity names, GitHub's and AWS's answers; the runner reads each line of the log
 * as a possible workflow command, and the log viewer renders ANSI sequences. Annotations (`warning`, `error`) keep
 * their multi-line messages (@actions/core escapes the line breaks); their `file` is made inert too.
 */
import { inert, inertLines } from '../core/terminal-safe.js';
import type { ActionsPort, AnnotationPlace } from './port.js';

export interface ActionLog {
  info(message: string): void;
  warning(message: string, place?: AnnotationPlace): void;
  error(message: string, place?: AnnotationPlace): void;
  /** The step fails with this message (an error annotation). */
  failed(message: string): void;
}

function place(properties: AnnotationPlace | undefined): AnnotationPlace | undefined {
  if (!properties) return undefined;
  return { ...properties, ...(properties.title !== undefined ? { title: inert(properties.title) } : {}), ...(properties.file !== undefined ? { file: inert(properties.file) } : {}) };
}

export function createLog(port: ActionsPort): ActionLog {
  return {
    info: (message) => port.info(inertLines(message)),
    warning: (message, properties) => port.warning(inertLines(message), place(properties)),
    error: (message, properties) => port.error(inertLines(message), place(properties)),
    failed: (message) => port.setFailed(inertLines(message)),
  };
}
