/** Entry point of the GitHub Action (bundled into dist/index.js by scripts/build-action.ts; see action.yml). */
import { CORE_PORT } from '../src/action/core-port.js';
import { runAction } from '../src/action/run-action.js';

await runAction(CORE_PORT, { env: process.env });
