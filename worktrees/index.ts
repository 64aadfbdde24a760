export { dropWorktree, ensureWorktree, registeredWorktrees } from './git-worktree.js';
export {
  stageAll,
  DEFAULT_DEPENDENCIES,
  parseDependencyList,
  prepareDependencies,
  type DependencySpec,
} from './dependencies.js';
export { snapshotRefOf, snapshotWorktree } from './snapshot.js';
export { pickPortBase, portEnv, PORT_RANGE_SIZE } from './ports.js';
export { findOrphans } from './orphans.js';
