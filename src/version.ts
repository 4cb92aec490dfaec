/** This tool's name and version, from package.json (bundled into the build, so the Action knows it too). */
import pkg from '../package.json' with { type: 'json' };

export const TOOL_VERSION: string = pkg.version;
export const TOOL_NAME: string = pkg.name;
