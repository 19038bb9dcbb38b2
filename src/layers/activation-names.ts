/** Activation names accepted by layers (camelCase as TF.js, snake_case as Keras), resolved to op codes. */
import { Activation, type ActivationName } from '../backend/ops';

export type ActivationIdentifier = ActivationName | 'hard_sigmoid' | 'leaky_relu' | 'silu' | (string & {});

const ALIASES: Record<string, ActivationName> = {
  hard_sigmoid: 'hardSigmoid',
  hardsigmoid: 'hardSigmoid',
  leaky_relu: 'leakyRelu',
  leakyrelu: 'leakyRelu',
  silu: 'swish',
  none: 'linear',
};
/** Parameter of the parameterised activations: Keras defaults (LeakyReLU alpha 0.3, ELU alpha 1). */
const DEFAULT_ALPHA: Partial<Record<ActivationName, number>> = { leakyRelu: 0.3, elu: 1 };

export function resolveActivation(
  id: ActivationIdentifier,
  where: string,
): { name: ActivationName; code: number; alpha: number } {
  const key = String(id);
  const name = (
    Object.prototype.hasOwnProperty.call(Activation, key)
      ? key
      : (ALIASES[key.toLowerCase()] ??
        (Object.keys(Activation) as ActivationName[]).find((n) => n.toLowerCase() === key.toLowerCase()))
  ) as ActivationName | undefined;
  if (!name) {
    throw new Error(`${where}: unknown activation '${key}'. Supported: ${Object.keys(Activation).join(', ')}.`);
  }
  return { name, code: Activation[name], alpha: DEFAULT_ALPHA[name] ?? 0 };
}

/** Keras / TF.js serialised name (snake_case where Keras uses it). */
export function serializedActivation(name: ActivationName): string {
  return name === 'hardSigmoid' ? 'hard_sigmoid' : name === 'leakyRelu' ? 'leaky_relu' : name;
}
