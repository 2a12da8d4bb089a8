/**
 * Typed injection tokens. A token is a global symbol (`Symbol.for`) so that a
 * plugin resolving its own copy of the package still meets the same token.
 */
export interface Token<T> {
  readonly key: symbol;
  readonly name: string;
  /** Phantom: never present at run time. */
  readonly __type?: T;
}

export function createToken<T>(name: string): Token<T> {
  return Object.freeze({ key: Symbol.for(`qonline.${name}`), name });
}
