// Kubernetes resource quantities ("100m", "0.5", "64Mi", "1G") as numbers, enough to refuse what
// the API server would: a malformed value, or a request above its limit, either of which would
// turn the whole pod away, not just its sidecar.

const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The quantity in base units (cores, bytes); undefined when Kubernetes would not accept it. */
export function parseQuantity(text: string): number | undefined {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/.exec(text);
  if (match === null) return undefined;
  const exponent = match[2] === undefined ? 1 : 10 ** Number(match[2]);
  return Number(match[1]) * exponent * (SUFFIX[match[3] ?? ''] ?? 1);
}
