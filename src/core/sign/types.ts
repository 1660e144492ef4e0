/** Shapes shared by the signers (the `hookline sign` CLI, tests and benchmarks). */

export interface SignInput {
  /** The exact bytes that will be sent as the body. */
  rawBody: Uint8Array;
  /** The secret as configured for the receiving source (e.g. `whsec_…` for Standard Webhooks and Stripe). */
  secret: string;
  /** Epoch milliseconds, for schemes that sign a timestamp. */
  now: number;
  /** Delivery/message id where the scheme has one; a random one otherwise. */
  id?: string;
}

/** Returns the headers to send with `rawBody`. Unlike verifiers, signers throw on an unusable secret. */
export type Signer = (input: SignInput) => Promise<Record<string, string>>;
