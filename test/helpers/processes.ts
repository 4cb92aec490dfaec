/**
 * The processes of this machine as Linux's /proc shows them, to tell which ones a test run started and left behind.
 * A process a test spawns stays in the test run's process group even when its parent dies and it is re-parented to
 * init (an emulator behind an `npm run` that was killed), so "started during the run, in its group, still running"
 * finds what a test leaked, whoever its parent is now.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly parent: number;
  readonly group: number;
  /** Start time, in clock ticks since boot: with the pid, tells a process from a later one that reuses its pid. */
  readonly started: number;
  /** R, S, D, Z (a zombie: ended, not yet collected by its parent), ... */
  readonly state: string;
  readonly command: string;
}

/** Every process, or undefined where there is no /proc (not Linux). */
export function listProcesses(): ProcessInfo[] | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** One process, or undefined when it has ended (or never was). */
export function readProcess(pid: number): ProcessInfo | undefined {
  let stat: string;
  let command: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined; // ended while we looked
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so fields are counted from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0]!, parent: Number(fields[1]), group: Number(fields[2]), started: Number(fields[19]), command: command || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) };
}

const key = (p: ProcessInfo): string => `${p.pid}@${p.started}`;

/**
 * Processes of `group` that are running now and were not in `before`: started since, by whoever. Zombies have ended
 * already; `ignore` says which others are not leaks (the test runner's own workers).
 */
export function startedSince(before: readonly ProcessInfo[], now: readonly ProcessInfo[], group: number, ignore: (p: ProcessInfo) => boolean = () => false): ProcessInfo[] {
  const old = new Set(before.map(key));
  return now.filter((p) => p.group === group && p.pid !== process.pid && p.state !== 'Z' && !old.has(key(p)) && !ignore(p));
}

/** `pid` and every process below it, as the process tree is now. */
export function processTree(pid: number, processes: readonly ProcessInfo[] = listProcesses() ?? []): ProcessInfo[] {
  const tree: ProcessInfo[] = [];
  const add = (parent: number): void => {
    for (const p of processes) {
      if (p.parent !== parent || tree.includes(p)) continue;
      tree.push(p);
      add(p.pid);
    }
  };
  const root = processes.find((p) => p.pid === pid);
  if (root) tree.push(root);
  add(pid);
  return tree;
}

/** Whether the process (that very one, not a later one with its pid) still runs. */
export function isRunning(p: ProcessInfo): boolean {
  const now = readProcess(p.pid);
  return now !== undefined && now.started === p.started && now.state !== 'Z';
}
