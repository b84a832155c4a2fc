/**
 * A node's Redfish settings (issue 15): where its BMC answers, as whom, where the password is, and
 * how its certificate is trusted. The password itself is never in the inventory or on the command
 * line: an environment variable's name or a file's path is. Read from a twoway YAML/JSON node's
 * `redfish:` mapping or from Ansible `twoway_redfish_*` variables; both give the same RedfishSpec.
 *
 *   redfish: { address: 10.0.5.2, user: admin, password_env: BMC_PASSWORD, fingerprint: "AB:CD:.." }
 */
export interface RedfishSpec {
  /** The BMC's address; absent: the node's first address. */
  address?: string;
  port?: number;
  user: string;
  password: { env: string } | { file: string };
  trust: { fingerprint256: string } | { caFile: string } | { tofuFile: string };
}

/** The settings' names, as the YAML mapping spells them; Ansible prefixes them with twoway_redfish_. */
export const REDFISH_FIELDS = ['address', 'port', 'user', 'password_env', 'password_file', 'fingerprint', 'ca_file', 'tofu_file'] as const;
export type RedfishField = (typeof REDFISH_FIELDS)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;

/**
 * The spec from already-read values (strings, and the port as a number); `fail(field, message)`
 * throws with the caller's file and line. Exactly one password source and one trust setting.
 */
export function redfishSpecOf(values: Partial<Record<RedfishField, string | number>>, fail: (field: RedfishField, message: string) => never): RedfishSpec {
  const text = (field: RedfishField): string | undefined => {
    const v = values[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') return fail(field, 'expected a non-empty string');
    return v.trim();
  };
  const user = text('user') ?? fail('user', 'missing: the BMC user name');
  const env = text('password_env');
  const file = text('password_file');
  if ((env === undefined) === (file === undefined)) return fail(env === undefined ? 'password_env' : 'password_file', 'give exactly one of password_env (an environment variable\'s name) or password_file (a file holding the password); a password is never written in the inventory');
  if (env !== undefined && !ENV_NAME.test(env)) fail('password_env', `expected an environment variable's name, found "${env.slice(0, 40)}"`);
  const pin = text('fingerprint');
  const ca = text('ca_file');
  const tofu = text('tofu_file');
  const trusts = [pin, ca, tofu].filter((t) => t !== undefined).length;
  if (trusts !== 1) return fail('fingerprint', "give exactly one of fingerprint (the BMC certificate's SHA-256), ca_file, or tofu_file (trust on first use, recorded there); the BMC's certificate is always verified");
  if (pin !== undefined && !FINGERPRINT.test(pin)) fail('fingerprint', 'expected a SHA-256 fingerprint as 32 hex pairs joined by ":"');
  const port = values.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) fail('port', 'expected the Redfish port (a whole number 1..65535)');
  const address = text('address');
  return {
    ...(address === undefined ? {} : { address }),
    ...(port === undefined ? {} : { port: port as number }),
    user,
    password: env !== undefined ? { env } : { file: file! },
    trust: pin !== undefined ? { fingerprint256: pin.toUpperCase() } : ca !== undefined ? { caFile: ca } : { tofuFile: tofu! },
  };
}
