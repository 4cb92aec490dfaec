/**
 * The check that fails a test run leaving a process behind (test/helpers/no-process-left.ts) finds an orphan: a
 * process whose parent has ended (as an emulator behind a killed `npm run` was), re-parented away from the run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isRunning, listProcesses, readProcess, startedSince } from './helpers/processes.js';

describe.runIf(listProcesses() !== undefined)('processes left behind', () => {
  it('an orphan started during the run is found, whoever its parent is now; ended, it is not', async () => {
    const before = listProcesses()!;
    const group = readProcess(process.pid)!.group;
    // The shell starts a sleep in the background and ends: the sleep is nobody's child in this run any more.
    const { stdout } = await promisify(execFile)('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!']);
    const orphan = readProcess(Number(stdout.trim()))!;
    try {
      expect(orphan.parent).not.toBe(process.pid);
      expect(startedSince(before, listProcesses()!, group).map((p) => p.pid)).toContain(orphan.pid);
      // What was there before is not a leak.
      expect(startedSince(listProcesses()!, listProcesses()!, group)).toEqual([]);
    } finally {
      process.kill(orphan.pid, 'SIGKILL');
    }
    for (let i = 0; i < 100 && isRunning(orphan); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isRunning(orphan)).toBe(false);
    expect(startedSince(before, listProcesses()!, group).map((p) => p.pid)).not.toContain(orphan.pid);
  });
});
