/** The Action's port on the real runner: `@actions/core`, which reads INPUT_* and writes GITHUB_OUTPUT and the log. */
import * as core from '@actions/core';
import type { ActionsPort } from './port.js';

export const CORE_PORT: ActionsPort = {
  getInput: (name) => core.getInput(name),
  setOutput: (name, value) => core.setOutput(name, value),
  info: (message) => core.info(message),
  warning: (message, place) => core.warning(message, place),
  error: (message, place) => core.error(message, place),
  setFailed: (message) => core.setFailed(message),
  group: (name, run) => core.group(name, run),
  appendSummary: async (markdown) => {
    try {
      await core.summary.addRaw(markdown, true).write();
    } finally {
      core.summary.emptyBuffer();
    }
  },
  getIDToken: (audience) => core.getIDToken(audience),
};
