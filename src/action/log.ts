/**
 * The Action's log: every message it writes to the runner passes here, made inert first (terminal-safe). Messages
 * quote folder names, file names, entity names, GitHub's and AWS's answers; the runner reads each line of the log
 * as a possible workflow command, and the log viewer renders ANSI sequences. Annotations (`warning`, `error`) keep
 * their multi-line messages (@actions/core escapes the line breaks); their `file` is made inert too.
 */
import * as core from '@actions/core';
import { inert, inertLines } from '../core/terminal-safe.js';

export type AnnotationPlace = core.AnnotationProperties;

function place(properties: AnnotationPlace | undefined): AnnotationPlace | undefined {
  if (!properties) return undefined;
  return { ...properties, ...(properties.title !== undefined ? { title: inert(properties.title) } : {}), ...(properties.file !== undefined ? { file: inert(properties.file) } : {}) };
}

export const log = {
  info(message: string): void {
    core.info(inertLines(message));
  },
  warning(message: string, properties?: AnnotationPlace): void {
    core.warning(inertLines(message), place(properties));
  },
  error(message: string, properties?: AnnotationPlace): void {
    core.error(inertLines(message), place(properties));
  },
  /** The step fails with this message (an error annotation). */
  failed(message: string): void {
    core.setFailed(inertLines(message));
  },
};
