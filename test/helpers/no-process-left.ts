/**
 * vitest global setup: no process a test starts may outlive the test run. At the end, every process of the run's
 * process group started during the run and still running is a leak: it is named, ended (it is ours), and the run
 * fails. (vitest's own workers are not leaks; neither are processes a test put in a group of its own on purpose,
 * which that test must end and await itself, as test/emulator.test.ts does.)
 */
import { listProcesses, readProcess, startedSince, type ProcessInfo } from './processes.js';

let before: ProcessInfo[] | undefined;

export function setup(): void {
  before = listProcesses();
}

export async function teardown(): Promise<void> {
  const self = readProcess(process.pid);
  if (!before || !self) return; // no /proc (not Linux): nothing to compare
  const isRunnerWorker = (p: ProcessInfo): boolean => p.parent === process.pid && /[\\/]vitest[\\/]/.test(p.command);
  const find = (): ProcessInfo[] => startedSince(before!, listProcesses() ?? [], self.group, isRunnerWorker);
  let left = find();
  // A process a test has just ended may take a moment to go: look again briefly before calling it a leak.
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = find();
  }
  if (left.length === 0) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  process.exitCode = 1;
  throw new Error(`tests left ${left.length === 1 ? 'a process' : `${left.length} processes`} running (now ended): ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}. Every process a test starts must be ended and awaited by it.`);
}
