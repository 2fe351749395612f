// `--ref REF`: benchmark the proxy as committed at REF rather than the working tree (which other
// work may be changing mid-run). The commit is extracted with git archive into the run's temp
// folder; its node_modules links every dependency of the checkout, except the workspace packages
// (@outrigger/*), which point into the snapshot, and the native addon's build, which git lacks.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Source {
  /** Root holding apps/proxy and apps/injector. */
  root: string;
  commit: string;
  /** What is measured, for the report. */
  description: string;
}

const git = (repo: string, args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

export function describeWorkingTree(repo: string): Source {
  try {
    const commit = git(repo, ['rev-parse', '--short', 'HEAD']);
    const dirty = git(repo, ['status', '--porcelain', '--', 'apps', 'libs']).length > 0;
    return { root: repo, commit, description: `the working tree at ${commit}${dirty ? ' with uncommitted changes in apps/ or libs/' : ''}` };
  } catch {
    // Not a checkout, or one git refuses to read for this user: the bench runs all the same.
    return { root: repo, commit: 'unknown', description: 'the working tree (git could not describe it)' };
  }
}

export function snapshotAt(repo: string, ref: string, dest: string): Source {
  const commit = git(repo, ['rev-parse', '--short', `${ref}^{commit}`]);
  mkdirSync(dest, { recursive: true });
  execFileSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'snapshot', repo, commit, dest]);
  const modules = join(dest, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const entry of readdirSync(join(repo, 'node_modules'))) {
    if (entry === '@outrigger') continue;
    symlinkSync(join(repo, 'node_modules', entry), join(modules, entry));
  }
  const workspace = join(repo, 'node_modules', '@outrigger');
  mkdirSync(join(modules, '@outrigger'));
  // Relative links (../../libs/shared/config) resolve inside the snapshot.
  for (const pkg of readdirSync(workspace)) symlinkSync(readlinkSync(join(workspace, pkg)), join(modules, '@outrigger', pkg));
  const addonBuild = join(repo, 'libs/shared/original-dst/build');
  if (existsSync(addonBuild) && existsSync(join(dest, 'libs/shared/original-dst'))) cpSync(addonBuild, join(dest, 'libs/shared/original-dst/build'), { recursive: true });
  return { root: dest, commit, description: `commit ${commit} (\`--ref ${ref}\`, extracted with git archive)` };
}
