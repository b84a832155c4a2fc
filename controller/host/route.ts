/**
 * Which of the controller's own addresses a node should call back to: the source address the
 * kernel would use for the route to that node. Found by connecting a UDP socket, which sends
 * nothing on the wire, and reading the local address it was given.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SetupError } from '../../src/errors.js';

export async function resolveAddress(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new SetupError(`cannot resolve host name "${host}"`, { cause: err });
  }
}

export function sourceAddressFor(destination: string): Promise<string> {
  const family = isIP(destination);
  if (family === 0) return Promise.reject(new SetupError(`"${destination}" is not an IP address`));
  return new Promise((resolve, reject) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const fail = (err: Error): void => {
      socket.close();
      reject(new SetupError(`no route from this controller to ${destination} (${(err as NodeJS.ErrnoException).code ?? err.message})`, { cause: err }));
    };
    socket.once('error', fail);
    socket.connect(9, destination, () => {
      let address: string;
      try {
        address = socket.address().address;
      } catch (err) {
        fail(err as Error);
        return;
      }
      // A broadcast or unscoped link-local destination connects with no source: nothing a node can call.
      if (address === '0.0.0.0' || address === '::') {
        fail(new Error('the route gives no source address'));
        return;
      }
      socket.close();
      resolve(address);
    });
  });
}
