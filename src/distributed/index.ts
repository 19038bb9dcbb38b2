/** Data-parallel training over Gloo: join a process group, then `model.fit(x, y, { distributed: true })`. */
export { init, rank, worldSize, isInitialized, destroy } from './group';
export type { InitOptions } from './group';
export { fitStats } from './data-parallel';
export type { FitStats } from './data-parallel';
