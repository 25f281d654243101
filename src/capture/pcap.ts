/** Reading pcap files from disk; the container itself is decoded by src/decode/pcap.ts (pure). */
import { readFile } from 'node:fs/promises';
import { readPcapBuffer, type PcapContents } from '../decode/pcap.js';
import { BadPcapError, NoSuchFileError, ReadError } from '../model/errors.js';

/** Read a pcap file. A missing file is E_NO_SUCH_FILE, one that is not a readable pcap E_BAD_PCAP. */
export async function readPcapFile(path: string): Promise<PcapContents> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NoSuchFileError(path, `no such pcap file: ${path} — check the path`, { cause: e });
    }
    if (code === 'EISDIR') throw new BadPcapError(path, 'it is a directory', { cause: e });
    throw new ReadError(path, `cannot read pcap file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return readPcapBuffer(buf, path);
}
