/**
 * Every socket the agent opens is registered here until it is closed, so that the agent can close
 * whatever is left when it finishes: one forgotten socket would keep `node -` alive and the
 * controller would see an agent timeout instead of the results.
 */

const open = new Set<() => void>();

/** Register how to close a handle; returns the function that unregisters it. */
export function track(close: () => void): () => void {
  open.add(close);
  return () => {
    open.delete(close);
  };
}

export function closeAll(): void {
  for (const close of Array.from(open)) {
    open.delete(close);
    try {
      close();
    } catch {
      // Already closed or half-torn-down: nothing left to release.
    }
  }
}
