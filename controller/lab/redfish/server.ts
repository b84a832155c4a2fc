/**
 * A Redfish BMC stand-in for the lab and the loopback tests: the service root, SessionService with
 * X-Auth-Token sessions (and HTTP Basic, which Redfish services also accept), Managers, and each
 * manager's VirtualMedia with the InsertMedia and EjectMedia actions. On insert it reaches the image
 * itself (fetch-image.ts), from wherever it runs, and reports the outcome the way BMCs do: in the
 * action's answer and on the VirtualMedia resource (Inserted, ConnectedVia, `@Message.ExtendedInfo`).
 * Every insert and eject is recorded (`actions`), so tests can say what twoway touched.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fetchImage, type ImageTrust } from './fetch-image.js';
import {
  EJECT_ACTION,
  INSERT_ACTION,
  MANAGERS,
  MESSAGES,
  ROOT,
  SESSIONS,
  collection,
  errorBody,
  manager,
  managerUri,
  mediaUri,
  serviceRoot,
  session,
  sessionService,
  virtualMedia,
  type ManagerState,
  type MediaSlot,
  type RedfishMessage,
} from './resources.js';

export interface StandInOptions {
  user: string;
  password: string;
  /** Its own HTTPS certificate (BMCs ship a self-signed one). */
  cert: { certPem: string; keyPem: string };
  /** How it trusts HTTPS image servers. */
  trust: ImageTrust;
  /** Virtual-media slots of its one manager; a slot with an image is in use (someone else's media). */
  slots?: Partial<MediaSlot>[];
  /** How long an insert may take to reach the image. */
  fetchDeadlineMs?: number;
  /**
   * Accept an insert at once and fetch the image afterwards, as many BMCs do (the slot then shows
   * the outcome); default: answer the insert once the fetch is done.
   */
  acceptInsertFirst?: boolean;
  /** Called after every change of a slot or of the sessions (the lab writes the state to a file). */
  onChange?: (state: StandInState) => void;
}

/** What the stand-in did, for tests and the lab's state file. */
export interface RecordedAction {
  action: 'insert' | 'eject';
  slot: string;
  image?: string;
  /** Insert: whether the BMC reached the image; eject: always true. */
  ok: boolean;
  message?: string;
}

export interface StandInState {
  managers: ManagerState[];
  actions: RecordedAction[];
  sessions: number;
}

const DEFAULT_SLOTS: Partial<MediaSlot>[] = [{ id: 'CD1', mediaTypes: ['CD', 'DVD'] }, { id: 'USB1', mediaTypes: ['USBStick'] }];
const MAX_BODY = 64 * 1024;

export class RedfishStandIn {
  readonly state: StandInState;
  private readonly sessions = new Map<string, { id: string; user: string }>();
  private readonly uuid = randomUUID();
  private server: https.Server | undefined;

  constructor(private readonly options: StandInOptions) {
    const slots = (options.slots ?? DEFAULT_SLOTS).map((s, i): MediaSlot => ({
      id: s.id ?? `Media${i + 1}`,
      mediaTypes: s.mediaTypes ?? ['CD'],
      inserted: s.image !== undefined,
      connectedVia: s.image !== undefined ? 'URI' : 'NotConnected',
      writeProtected: true,
      ...(s.image === undefined ? {} : { image: s.image }),
    }));
    this.state = { managers: [{ id: '1', slots }], actions: [], sessions: 0 };
  }

  async listen(host: string, port = 0): Promise<number> {
    const server = https.createServer({ cert: this.options.cert.certPem, key: this.options.cert.keyPem }, (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, errorBody(MESSAGES.internalError()));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/redfish' && method === 'GET') return send(res, 200, { v1: `${ROOT}/` });
    if (path === ROOT && method === 'GET') return send(res, 200, serviceRoot(this.uuid));
    if (path === SESSIONS && method === 'POST') return this.login(req, res);
    const who = this.authenticate(req);
    if (who === undefined) return send(res, 401, errorBody(MESSAGES.noValidSession()), { 'www-authenticate': 'Basic realm="Redfish"' });

    if (method === 'GET') {
      const body = this.resourceAt(path);
      return body === undefined ? send(res, 404, errorBody(MESSAGES.resourceNotFound('Resource', path))) : send(res, 200, body);
    }
    if (method === 'DELETE' && path.startsWith(`${SESSIONS}/`)) return this.logout(path.slice(SESSIONS.length + 1), res);
    if (method === 'POST') {
      const action = this.actionAt(path);
      if (action !== undefined) return this.runAction(action, req, res);
    }
    req.resume();
    return send(res, 405, errorBody(MESSAGES.methodNotAllowed()));
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (body === undefined) return send(res, 400, errorBody(MESSAGES.malformedJSON()));
    const { UserName: user, Password: password } = body as { UserName?: unknown; Password?: unknown };
    if (typeof user !== 'string' || typeof password !== 'string' || !this.credentialsMatch(user, password)) {
      return send(res, 401, errorBody(MESSAGES.noValidSession()));
    }
    const id = randomBytes(8).toString('hex');
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { id, user });
    this.state.sessions = this.sessions.size;
    this.options.onChange?.(this.state);
    return send(res, 201, session(id, user), { 'x-auth-token': token, location: `${SESSIONS}/${id}` });
  }

  private logout(id: string, res: ServerResponse): void {
    const entry = [...this.sessions.entries()].find(([, s]) => s.id === id);
    if (entry === undefined) return send(res, 404, errorBody(MESSAGES.resourceNotFound('Session', id)));
    this.sessions.delete(entry[0]);
    this.state.sessions = this.sessions.size;
    this.options.onChange?.(this.state);
    res.writeHead(204).end();
  }

  private credentialsMatch(user: string, password: string): boolean {
    const same = (a: string, b: string): boolean => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return x.length === y.length && timingSafeEqual(x, y);
    };
    return same(user, this.options.user) && same(password, this.options.password);
  }

  /** The session's user, by X-Auth-Token or HTTP Basic; undefined: not authenticated. */
  private authenticate(req: IncomingMessage): string | undefined {
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string') return this.sessions.get(token)?.user;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic === null) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && this.credentialsMatch(decoded.slice(0, colon), decoded.slice(colon + 1)) ? decoded.slice(0, colon) : undefined;
  }

  private resourceAt(path: string): object | undefined {
    const { managers } = this.state;
    if (path === `${ROOT}/SessionService`) return sessionService();
    if (path === SESSIONS) return collection('SessionCollection', SESSIONS, 'Session Collection', [...this.sessions.values()].map((s) => `${SESSIONS}/${s.id}`));
    if (path.startsWith(`${SESSIONS}/`)) {
      const found = [...this.sessions.values()].find((s) => `${SESSIONS}/${s.id}` === path);
      return found === undefined ? undefined : session(found.id, found.user);
    }
    if (path === `${ROOT}/Systems`) return collection('ComputerSystemCollection', path, 'Computer System Collection', []);
    if (path === `${ROOT}/Chassis`) return collection('ChassisCollection', path, 'Chassis Collection', []);
    // Clients (HPE's ilorest) look for the schema and registry collections; the stand-in publishes none.
    if (path === `${ROOT}/JsonSchemas`) return collection('JsonSchemaFileCollection', path, 'JSON Schema File Collection', []);
    if (path === `${ROOT}/Registries`) return collection('MessageRegistryFileCollection', path, 'Message Registry File Collection', []);
    if (path === MANAGERS) return collection('ManagerCollection', MANAGERS, 'Manager Collection', managers.map(managerUri));
    for (const m of managers) {
      if (path === managerUri(m)) return manager(m);
      if (path === `${managerUri(m)}/VirtualMedia`) return collection('VirtualMediaCollection', path, 'Virtual Media Services', m.slots.map((s) => mediaUri(m, s)));
      for (const s of m.slots) if (path === mediaUri(m, s)) return virtualMedia(m, s);
    }
    return undefined;
  }

  private actionAt(path: string): { kind: 'insert' | 'eject'; manager: ManagerState; slot: MediaSlot } | undefined {
    for (const m of this.state.managers) {
      for (const s of m.slots) {
        if (path === `${mediaUri(m, s)}/Actions/${INSERT_ACTION}`) return { kind: 'insert', manager: m, slot: s };
        if (path === `${mediaUri(m, s)}/Actions/${EJECT_ACTION}`) return { kind: 'eject', manager: m, slot: s };
      }
    }
    return undefined;
  }

  private async runAction(action: { kind: 'insert' | 'eject'; slot: MediaSlot }, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (body === undefined) return send(res, 400, errorBody(MESSAGES.malformedJSON()));
    const slot = action.slot;
    if (action.kind === 'eject') {
      const image = slot.image;
      slot.inserted = false;
      slot.connectedVia = 'NotConnected';
      delete slot.image;
      delete slot.lastError;
      delete slot.transferProtocolType;
      this.record({ action: 'eject', slot: slot.id, ...(image === undefined ? {} : { image }), ok: true });
      res.writeHead(204).end();
      return;
    }
    const { Image: image, TransferProtocolType: protocol } = body as { Image?: unknown; TransferProtocolType?: unknown };
    if (typeof image !== 'string' || image === '') return send(res, 400, errorBody(MESSAGES.actionParameterMissing(INSERT_ACTION, 'Image')));
    if (slot.inserted) return send(res, 409, errorBody(MESSAGES.resourceInUse()));
    slot.image = image;
    if (typeof protocol === 'string') slot.transferProtocolType = protocol;
    if (this.options.acceptInsertFirst === true) {
      res.writeHead(204).end();
      await this.insert(slot, image);
      return;
    }
    const message = await this.insert(slot, image);
    if (message === undefined) res.writeHead(204).end();
    else send(res, 400, errorBody(message));
  }

  /** Fetches the image into the slot; the error message when it could not (also left on the slot). */
  private async insert(slot: MediaSlot, image: string): Promise<RedfishMessage | undefined> {
    const result = await fetchImage(image, { trust: this.options.trust, deadlineMs: this.options.fetchDeadlineMs ?? 10_000 });
    // Ejected while fetching (a BMC that accepted first): the slot is empty again, leave it so.
    if (slot.image !== image) return undefined;
    if (result.ok) {
      slot.inserted = true;
      slot.connectedVia = 'URI';
      delete slot.lastError;
      this.record({ action: 'insert', slot: slot.id, image, ok: true });
      return undefined;
    }
    const message: RedfishMessage = MESSAGES.couldNotConnect(image, result.reason);
    slot.inserted = false;
    slot.connectedVia = 'NotConnected';
    slot.lastError = message;
    this.record({ action: 'insert', slot: slot.id, image, ok: false, message: message.Message });
    return message;
  }

  private record(action: RecordedAction): void {
    this.state.actions.push(action);
    this.options.onChange?.(this.state);
  }
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'odata-version': '4.0', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

/** The request's JSON body ({} when empty); undefined when it is not JSON or too large. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
