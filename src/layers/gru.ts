/**
 * GRU (TF.js Layers): gates z, r, h in the kernels' column blocks, `h_t = z·h_{t-1} + (1 - z)·h̃`. With
 * `resetAfter: false` (TF.js, the default here) the reset gate applies before the recurrent product,
 * `h̃ = act(x·W_h + b_h + (r·h)·U_h)`; with `resetAfter: true` (Keras' default, which TF.js cannot load) after
 * it, `h̃ = act(x·W_h + b_h + r·(h·U_h + rb_h))`, and the bias is [2, 3·units]: input biases, then recurrent
 * biases. The whole sequence runs in one backend op (see recurrent.ts).
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { withFileActivations } from './lstm';
import { Recurrent, readRecurrentArgs, recurrentActivation, type GatedArgs, type Workspace } from './recurrent';

export interface GruArgs extends GatedArgs {
  /** Apply the reset gate after the recurrent product (Keras' default, CuDNN-compatible). Default false (TF.js). */
  resetAfter?: boolean;
}

export class GRU extends Recurrent {
  readonly className: string = 'GRU';
  protected readonly blocks = 3;
  readonly recurrentActivation: ActivationName;
  readonly recCode: number;
  readonly resetAfter: boolean;
  /** The two halves of a resetAfter bias (input, recurrent), as views made once per build. */
  private biasViews?: { value: [FloatArray, FloatArray]; grad: [FloatArray, FloatArray] };

  constructor(args: GruArgs) {
    super(args, 'layers.gru()');
    const rec = recurrentActivation(args.recurrentActivation ?? 'hardSigmoid', 'layers.gru()', 'recurrentActivation');
    this.recurrentActivation = rec.name;
    this.recCode = rec.code;
    if (args.resetAfter !== undefined && typeof args.resetAfter !== 'boolean') {
      throw new Error(`layers.gru(): 'resetAfter' must be true or false, got ${String(args.resetAfter)}`);
    }
    this.resetAfter = args.resetAfter ?? false;
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected override onBuilt(): void {
    this.biasViews = undefined;
    if (!this.resetAfter || !this.useBias) return;
    const bias = this.weight('bias');
    const k = 3 * this.units;
    const halves = (a: FloatArray): [FloatArray, FloatArray] => [a.subarray(0, k), a.subarray(k, 2 * k)];
    this.biasViews = { value: halves(bias.value), grad: halves(bias.grad) };
  }

  private biases(): [FloatArray | null, FloatArray | null] {
    if (!this.useBias) return [null, null];
    return this.biasViews ? this.biasViews.value : [this.weight('bias').value, null];
  }

  private biasGrads(): [FloatArray | null, FloatArray | null] {
    if (!this.useBias) return [null, null];
    return this.biasViews ? this.biasViews.grad : [this.weight('bias').grad, null];
  }

  protected hasAsync(b: Backend): boolean {
    return !!b.gruForwardAsync && !!b.gruBackwardAsync;
  }

  protected runForward(b: Backend, x: FloatArray, mask: FloatArray | null, ws: Workspace, rows: number, off: boolean) {
    const [bias, recurrentBias] = this.biases();
    const args = [
      x,
      this.weight('kernel').value,
      this.weight('recurrent_kernel').value,
      bias,
      recurrentBias,
      mask,
      ws.xT,
      ws.gates,
      ws.aux,
      ws.hs,
      ws.scratch,
      ws.y,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.recCode,
      this.resetAfter,
      this.goBackwards,
    ] as const;
    if (off) return b.gruForwardAsync!(...args);
    b.gruForward(...args);
    return undefined;
  }

  protected runBackward(
    b: Backend,
    dy: FloatArray,
    mask: FloatArray | null,
    ws: Workspace,
    rows: number,
    needDx: boolean,
    off: boolean,
  ) {
    const kernel = this.weight('kernel'),
      recurrent = this.weight('recurrent_kernel');
    const [dBias, dRecurrentBias] = this.biasGrads();
    const args = [
      ws.xT,
      kernel.value,
      recurrent.value,
      mask,
      ws.gates,
      ws.aux,
      ws.hs,
      ws.y ? dy : null,
      ws.y ? null : dy,
      kernel.grad,
      recurrent.grad,
      dBias,
      dRecurrentBias,
      needDx ? ws.dx : null,
      ws.dh,
      ws.scratch,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.recCode,
      this.resetAfter,
      this.goBackwards,
    ] as const;
    if (off) return b.gruBackwardAsync!(...args);
    b.gruBackward(...args);
    return undefined;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...this.configHead(),
      recurrentActivation: this.recurrentActivation,
      ...this.configInitializers(),
      ...this.configRegularizers(),
      implementation: this.implementation,
      resetAfter: this.resetAfter,
      ...this.configTail(),
    };
  }
}

export const gruEntry: LayerEntry = {
  className: 'GRU',
  fromConfig(c: ConfigReader): GRU {
    return new GRU({
      ...readRecurrentArgs(c),
      recurrentActivation: c.activation('recurrentActivation', 'hardSigmoid'),
      resetAfter: c.bool('resetAfter', false),
    });
  },
  toFile: (layer) => [{ className: 'GRU', config: withFileActivations(layer.getConfig()) }],
};
