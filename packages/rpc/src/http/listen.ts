import type { Server as NetServer, AddressInfo } from 'node:net';
import { ConfigError } from '@tend/core';

/**
 * Binds a server and resolves with the bound port. A port in use or not permitted becomes a
 * `ConfigError` naming the variable that chose it, so the process stops with one clear line.
 */
export function listen(server: NetServer, host: string, port: number, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new ConfigError(variable, `port ${port} on ${host} is already in use`));
      else if (error.code === 'EACCES') reject(new ConfigError(variable, `no permission to listen on ${host}:${port}`));
      else if (error.code === 'EADDRNOTAVAIL')
        reject(new ConfigError('TEND_HOST', `${host} is not an address of this machine`));
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
