/** Activation names accepted by layers: the table lives in src/backend/activations.ts. */
export { resolveActivation, type ActivationIdentifier } from '../backend/activations';
