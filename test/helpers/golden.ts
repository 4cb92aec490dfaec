/** Golden files: expected output kept beside the input. `UPDATE_GOLDEN=1 npm test` rewrites them on purpose. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

export const updateGolden = process.env['UPDATE_GOLDEN'] === '1';

export function expectGolden(file: string, actual: string): void {
  if (updateGolden || !existsSync(file)) {
    if (!updateGolden) throw new Error(`golden file ${file} is missing; run UPDATE_GOLDEN=1 npm test to create it, then review it`);
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
