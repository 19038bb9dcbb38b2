/**
 * The eager tape: while a gradient function (bp.grad, bp.valueAndGrad, bp.variableGrads, ...) runs the user's
 * function, every op whose inputs depend on a watched tensor is recorded as a TapeNode, and its outputs are watched
 * in turn. Tapes nest (the gradient of a gradient): each active tape records what depends on its own sources, so an
 * outer tape also records the ops an inner one runs to compute its gradient. Tensors are never disposed: the tape
 * holds them until its gradient is taken.
 */
import type { TapeNode } from './tape-node';
import { Tensor, Variable } from './tensor';

export class Tape {
  readonly nodes: TapeNode[] = [];
  private readonly watched = new Set<Tensor>();
  /** Variables read by recorded ops, in order of first use (variableGrads differentiates with respect to them). */
  readonly variablesUsed: Variable[] = [];
  paused = 0;

  /** @param variables which variables are watched when an op reads them: trainable ones, a list, or none. */
  constructor(private readonly variables: 'trainable' | ReadonlySet<Variable> | null) {}

  watch(t: Tensor): void {
    this.watched.add(t);
  }

  /** Whether `t` is a source or depends on one (watching a variable the first time an op reads it). */
  tracks(t: Tensor): boolean {
    if (this.watched.has(t)) return true;
    if (t instanceof Variable && this.variables) {
      const yes = this.variables === 'trainable' ? t.trainable : this.variables.has(t);
      if (yes) {
        this.watched.add(t);
        this.variablesUsed.push(t);
        return true;
      }
    }
    return false;
  }

  record(node: TapeNode): void {
    let depends = false;
    for (const t of node.inputs) if (this.tracks(t)) depends = true;
    if (!depends) return;
    this.nodes.push(node);
    for (const t of node.outputs) this.watched.add(t);
  }
}

const tapes: Tape[] = [];

/** Whether any tape records (a cheap check before making a node). */
export function taping(): boolean {
  return tapes.length > 0;
}

/** Records a node on every active, unpaused tape that tracks one of its inputs. */
export function recordNode(node: TapeNode): void {
  for (const tape of tapes) if (!tape.paused) tape.record(node);
}

/** Runs `fn` with `tape` recording. */
export function withTape<R>(tape: Tape, fn: () => R): R {
  tapes.push(tape);
  try {
    return fn();
  } finally {
    tapes.splice(tapes.lastIndexOf(tape), 1);
  }
}

/** Runs `fn` with every active tape paused (a customGrad's forward: its gradient comes from its gradFunc). */
export function untaped<R>(fn: () => R): R {
  for (const t of tapes) t.paused++;
  try {
    return fn();
  } finally {
    for (const t of tapes) t.paused--;
  }
}
