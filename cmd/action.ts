/** Entry point of the GitHub Action (bundled into dist/index.js by scripts/build-action.ts; see action.yml). */
import { runAction } from '../src/action/run-action.js';

await runAction();
