/**
 * The Redfish BMC stand-in's resources as plain data, written from the DMTF Redfish specification
 * (DSP0266) and schemas (ServiceRoot, SessionService, Session, ManagerCollection, Manager,
 * VirtualMediaCollection, VirtualMedia, Message): the JSON bodies and the error bodies with
 * `@Message.ExtendedInfo`. Pure functions of the stand-in's state; the server (server.ts) does I/O.
 */

export const ROOT = '/redfish/v1';
export const SESSIONS = `${ROOT}/SessionService/Sessions`;
export const MANAGERS = `${ROOT}/Managers`;
export const INSERT_ACTION = 'VirtualMedia.InsertMedia';
export const EJECT_ACTION = 'VirtualMedia.EjectMedia';

/** One virtual-media slot of a manager (a "CD" or "USBStick" device the BMC can mount a remote image on). */
export interface MediaSlot {
  id: string;
  mediaTypes: string[];
  image?: string;
  inserted: boolean;
  /** NotConnected, or URI once the BMC reached the image. */
  connectedVia: 'NotConnected' | 'URI';
  writeProtected: boolean;
  transferProtocolType?: string;
  /** The BMC's last failure to reach an image, kept on the resource until the next insert or eject. */
  lastError?: RedfishMessage;
}

export interface ManagerState {
  id: string;
  slots: MediaSlot[];
}

/** A Message (Message.v1_1 schema) as it appears in `@Message.ExtendedInfo`. */
export interface RedfishMessage {
  MessageId: string;
  Message: string;
  MessageArgs: string[];
  MessageSeverity: 'OK' | 'Warning' | 'Critical';
  Resolution: string;
}

/** Messages of the DMTF Base registry the stand-in uses, plus its own for media it could not reach. */
export const MESSAGES = {
  noValidSession: (): RedfishMessage => msg('Base.1.8.NoValidSession', 'There is no valid session established with the implementation.', [], 'Critical', 'Establish a session before attempting any operations.'),
  resourceNotFound: (type: string, id: string): RedfishMessage => msg('Base.1.8.ResourceNotFound', `The requested resource of type ${type} named ${id} was not found.`, [type, id], 'Critical', 'Provide a valid resource identifier and resubmit the request.'),
  resourceInUse: (): RedfishMessage => msg('Base.1.8.ResourceInUse', 'The change to the requested resource failed because the resource is in use or in transition.', [], 'Warning', 'Remove the condition and resubmit the request if the operation failed.'),
  actionParameterMissing: (action: string, param: string): RedfishMessage => msg('Base.1.8.ActionParameterMissing', `The action ${action} requires the parameter ${param} to be present in the request body.`, [action, param], 'Critical', 'Supply the action with the required parameter in the request body when the request is resubmitted.'),
  malformedJSON: (): RedfishMessage => msg('Base.1.8.MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.', [], 'Critical', 'Ensure that the request body is valid JSON and resubmit the request.'),
  methodNotAllowed: (): RedfishMessage => msg('Base.1.8.OperationNotAllowed', 'The HTTP method is not allowed on this resource.', [], 'Critical', 'Use an allowed method.'),
  /** The BMC could not reach or read the image (network, TLS, HTTP status): what every vendor reports in its own words. */
  couldNotConnect: (uri: string, reason: string): RedfishMessage => msg('Base.1.8.CouldNotEstablishConnection', `The service failed to establish a connection with the URI ${uri}: ${reason}.`, [uri, reason], 'Critical', 'Ensure that the URI contains a valid and reachable node name, protocol information and other URI components.'),
  internalError: (): RedfishMessage => msg('Base.1.8.InternalError', 'The request failed due to an internal service error.  The service is still operational.', [], 'Critical', 'Resubmit the request.  If the problem persists, consider resetting the service.'),
};

function msg(id: string, text: string, args: string[], severity: RedfishMessage['MessageSeverity'], resolution: string): RedfishMessage {
  return { MessageId: id, Message: text, MessageArgs: args, MessageSeverity: severity, Resolution: resolution };
}

/** The error body of DSP0266 ("error" with code, message and the extended messages). */
export function errorBody(...messages: RedfishMessage[]): object {
  const first = messages[0]!;
  return {
    error: {
      code: first.MessageId,
      message: first.Message,
      '@Message.ExtendedInfo': messages.map((m) => ({ '@odata.type': '#Message.v1_1_1.Message', ...m })),
    },
  };
}

export function serviceRoot(uuid: string): object {
  return {
    '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
    '@odata.id': `${ROOT}/`,
    Id: 'RootService',
    Name: 'Root Service',
    RedfishVersion: '1.6.0',
    UUID: uuid,
    SessionService: { '@odata.id': `${ROOT}/SessionService` },
    Managers: { '@odata.id': MANAGERS },
    Systems: { '@odata.id': `${ROOT}/Systems` },
    Chassis: { '@odata.id': `${ROOT}/Chassis` },
    JsonSchemas: { '@odata.id': `${ROOT}/JsonSchemas` },
    Registries: { '@odata.id': `${ROOT}/Registries` },
    Links: { Sessions: { '@odata.id': SESSIONS } },
  };
}

export function sessionService(): object {
  return {
    '@odata.type': '#SessionService.v1_1_6.SessionService',
    '@odata.id': `${ROOT}/SessionService`,
    Id: 'SessionService',
    Name: 'Session Service',
    ServiceEnabled: true,
    SessionTimeout: 600,
    Sessions: { '@odata.id': SESSIONS },
  };
}

export function collection(type: string, uri: string, name: string, members: string[]): object {
  return {
    '@odata.type': `#${type}.${type}`,
    '@odata.id': uri,
    Name: name,
    'Members@odata.count': members.length,
    Members: members.map((m) => ({ '@odata.id': m })),
  };
}

export function session(id: string, user: string): object {
  return { '@odata.type': '#Session.v1_1_0.Session', '@odata.id': `${SESSIONS}/${id}`, Id: id, Name: 'User Session', UserName: user };
}

export const managerUri = (m: ManagerState): string => `${MANAGERS}/${m.id}`;
export const mediaUri = (m: ManagerState, s: MediaSlot): string => `${managerUri(m)}/VirtualMedia/${s.id}`;

export function manager(m: ManagerState): object {
  return {
    '@odata.type': '#Manager.v1_5_0.Manager',
    '@odata.id': managerUri(m),
    Id: m.id,
    Name: 'Manager',
    ManagerType: 'BMC',
    Description: 'twoway lab BMC stand-in',
    FirmwareVersion: '1.0.0',
    Model: 'twoway-redfish-standin',
    Status: { State: 'Enabled', Health: 'OK' },
    VirtualMedia: { '@odata.id': `${managerUri(m)}/VirtualMedia` },
  };
}

export function virtualMedia(m: ManagerState, s: MediaSlot): object {
  const uri = mediaUri(m, s);
  return {
    '@odata.type': '#VirtualMedia.v1_3_0.VirtualMedia',
    '@odata.id': uri,
    Id: s.id,
    Name: 'Virtual Removable Media',
    MediaTypes: s.mediaTypes,
    Image: s.image ?? null,
    ImageName: s.image === undefined ? null : (s.image.split('/').pop() ?? ''),
    Inserted: s.inserted,
    ConnectedVia: s.connectedVia,
    WriteProtected: s.writeProtected,
    TransferProtocolType: s.transferProtocolType ?? null,
    Actions: {
      [`#${INSERT_ACTION}`]: { target: `${uri}/Actions/${INSERT_ACTION}` },
      [`#${EJECT_ACTION}`]: { target: `${uri}/Actions/${EJECT_ACTION}` },
    },
    ...(s.lastError === undefined ? {} : { '@Message.ExtendedInfo': [{ '@odata.type': '#Message.v1_1_1.Message', ...s.lastError }] }),
  };
}
