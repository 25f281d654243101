/** Per-analysis memo of address facts: packets repeat the same few addresses many thousand times. */
import { BUILD_ADDRESSES } from '../model/network.js';
import { canonicalAddress } from '../decode/addr.js';
import { classifyAddress, type AddressClass } from './addr.js';

export class AddressBook {
  readonly #canon = new Map<string, string>();
  readonly #class = new Map<string, AddressClass>();
  readonly #build: ReadonlySet<string>;

  constructor(buildAddresses: readonly string[] = BUILD_ADDRESSES) {
    this.#build = new Set(buildAddresses.map(canonicalAddress));
  }

  canon(text: string): string {
    let c = this.#canon.get(text);
    if (c === undefined) this.#canon.set(text, (c = canonicalAddress(text)));
    return c;
  }

  /** Class of a canonical address. */
  classOf(address: string): AddressClass {
    let c = this.#class.get(address);
    if (c === undefined) this.#class.set(address, (c = classifyAddress(address)));
    return c;
  }

  /** On the veth: is this canonical source the build (its veth addresses, or 10/8 and ::/8 from its lo)? */
  isBuildSide(address: string): boolean {
    return this.#build.has(address) || this.classOf(address) === 'sandbox-local';
  }
}
