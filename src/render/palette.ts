/** Colours for text output, chosen by the caller (a TTY without NO_COLOR gets them), so renderers stay pure. */
import pc from 'picocolors';

export interface Palette {
  readonly create: (s: string) => string;
  readonly update: (s: string) => string;
  readonly delete: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly warn: (s: string) => string;
}

export function palette(enabled: boolean): Palette {
  const c = pc.createColors(enabled);
  return { create: c.green, update: c.yellow, delete: c.red, dim: c.dim, bold: c.bold, warn: c.yellow };
}

export const NO_COLOR: Palette = palette(false);
