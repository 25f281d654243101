/**
 * The model's data is readonly (src/model/types.ts). A test that builds a hostile or broken input by changing
 * one field of a parsed report says so with writable(x).field = ...: the same object, its fields assignable.
 */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function writable<T>(x: T): Writable<T> {
  return x;
}
