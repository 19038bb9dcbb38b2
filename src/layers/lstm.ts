/**
 * LSTM (TF.js Layers): gates i, f, c, o in the kernels' column blocks, `c_t = f·c_{t-1} + i·act(c̃)`,
 * `h_t = o·act(c_t)`, gates through `recurrentActivation` (TF.js default hardSigmoid; Keras files say
 * sigmoid, and are honoured). The whole sequence runs in one backend op (see recurrent.ts).
 */
import type { ActivationName, Backend, FloatArray } from '../backend/ops';
import { activationToFile } from '../backend/activations';
import type { Initializer } from '../training/contracts';
import type { ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { Recurrent, readRecurrentArgs, recurrentActivation, type GatedArgs, type Workspace } from './recurrent';

export interface LstmArgs extends GatedArgs {
  /** Start the forget gate's bias at 1 (Keras' default; TF.js leaves it unset, i.e. false). Default false. */
  unitForgetBias?: boolean;
}

export class LSTM extends Recurrent {
  readonly className: string = 'LSTM';
  protected readonly blocks = 4;
  readonly recurrentActivation: ActivationName;
  readonly recCode: number;
  readonly unitForgetBias: boolean;

  constructor(args: LstmArgs) {
    super(args, 'layers.lstm()');
    const rec = recurrentActivation(args.recurrentActivation ?? 'hardSigmoid', 'layers.lstm()', 'recurrentActivation');
    this.recurrentActivation = rec.name;
    this.recCode = rec.code;
    if (args.unitForgetBias !== undefined && typeof args.unitForgetBias !== 'boolean') {
      throw new Error(`layers.lstm(): 'unitForgetBias' must be true or false, got ${String(args.unitForgetBias)}`);
    }
    this.unitForgetBias = args.unitForgetBias ?? false;
  }

  /** With unitForgetBias: i from the bias initializer, f ones, c and o from the bias initializer (as Keras). */
  protected override biasFiller(): Initializer {
    if (!this.unitForgetBias) return this.biasInitializer;
    const init = this.biasInitializer,
      U = this.units;
    return {
      className: init.className,
      getConfig: () => init.getConfig(),
      fill: (out, _shape, rng) => {
        init.fill(out.subarray(0, U), [U], rng);
        out.fill(1, U, 2 * U);
        init.fill(out.subarray(2 * U), [2 * U], rng);
      },
    };
  }

  protected hasAsync(b: Backend): boolean {
    return !!b.lstmForwardAsync && !!b.lstmBackwardAsync;
  }

  protected runForward(b: Backend, x: FloatArray, mask: FloatArray | null, ws: Workspace, rows: number, off: boolean) {
    const bias = this.useBias ? this.weight('bias').value : null;
    const args = [
      x,
      this.weight('kernel').value,
      this.weight('recurrent_kernel').value,
      bias,
      mask,
      ws.xT,
      ws.gates,
      ws.aux,
      ws.hs,
      ws.y,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.recCode,
      this.goBackwards,
    ] as const;
    if (off) return b.lstmForwardAsync!(...args);
    b.lstmForward(...args);
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
      this.useBias ? this.weight('bias').grad : null,
      needDx ? ws.dx : null,
      ws.dh,
      ws.dc,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.recCode,
      this.goBackwards,
    ] as const;
    if (off) return b.lstmBackwardAsync!(...args);
    b.lstmBackward(...args);
    return undefined;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...this.configHead(),
      recurrentActivation: this.recurrentActivation,
      ...this.configInitializers(),
      unitForgetBias: this.unitForgetBias,
      ...this.configRegularizers(),
      implementation: this.implementation,
      ...this.configTail(),
    };
  }
}

/** A recurrent layer's config with its gate activation written as TF.js names it ('hard_sigmoid'). */
export function withFileActivations(config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  if (typeof out.recurrentActivation === 'string') out.recurrentActivation = activationToFile(out.recurrentActivation);
  return out;
}

export const lstmEntry: LayerEntry = {
  className: 'LSTM',
  fromConfig(c: ConfigReader): LSTM {
    return new LSTM({
      ...readRecurrentArgs(c),
      recurrentActivation: c.activation('recurrentActivation', 'hardSigmoid'),
      unitForgetBias: c.has('unitForgetBias') ? c.bool('unitForgetBias') : false,
    });
  },
  toFile: (layer) => [{ className: 'LSTM', config: withFileActivations(layer.getConfig()) }],
};
