/** Errors fit raises with data a caller may act on (the CLI turns them into its own advice). */

/** The loss became NaN or infinite: fit stopped before that batch's update. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
  ) {
    super(
      `fit(): the loss is ${loss} at epoch ${epoch}, batch ${batch}; training stopped before this batch's update, ` +
        `so the weights are those of the last good step. Common causes: a learning rate too high (try 10× lower), ` +
        `unscaled inputs (standardise them), or data changed while fit was reading it`,
    );
    this.name = 'NonFiniteLossError';
  }
}
