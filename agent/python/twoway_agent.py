# twoway agent, Python flavour: the same plan and the same JSON Lines as the Node reference agent
# (agent/src/*.ts, src/protocol.ts), for nodes that have Python 3.6+ but no Node.js (ESXi, stock
# RHEL/SLES/Debian). Standard library only; read by `python3 -` from stdin, nothing written to disk.
# The controller puts `TWOWAY_PLAN = "<plan JSON>"` in front of this text, and the protocol constants
# it uses (OUTCOME_*, PHASE_*, CODE_*, PATH_*, KIND_*, LIMIT_*, ...) from src/protocol.ts, generated
# by controller/agents/wire-constants.ts: no code, outcome or path is typed here by hand.
#
# Each probe runs in its own thread; every blocking call waits at most until the exchange's next
# deadline, so deadlines are checked in the thread that owns the socket. The agent deadline comes
# from the main thread: it ends each running exchange where it stands and exits the process.
# Full-line comments and blank lines are stripped before sending (controller/agents/python.ts).
import base64
import errno
import hashlib
import json
import os
import platform
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time

try:
    import ssl
except ImportError:
    # Some minimal builds lack ssl: https probes are then 'unsupported', never guessed.
    ssl = None

AGENT_VERSION = '0.1.0'
MAX_ANSWER_BYTES = 16 * 1024
MAX_HEAD_BYTES = 16 * 1024
WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
UNREACHABLE = ('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN')
KINDS = (KIND_HELLO, KIND_DOWNLOAD, KIND_UPLOAD, KIND_STATUS, KIND_HOLD, KIND_FTP)
WEB_PROTOS = (PROTO_HTTP, PROTO_HTTPS)
# Whole lines, just under 64 KiB, as the Node agent sends them.
UPLOAD_BYTES = UPLOAD_LINE.encode('ascii')
UPLOAD_CHUNK = UPLOAD_BYTES * ((64 * 1024) // len(UPLOAD_BYTES))
# One TLS record at most per send, so that progress is counted as it is made.
SEND_SLICE = 16 * 1024


def now():
    return time.monotonic()


def since(start):
    return max(0, int(round((now() - start) * 1000)))


def clip(text, limit):
    return text if len(text) <= limit else text[:limit - 3] + '...'


# ---------------------------------------------------------------------------------------------
# Output: JSON Lines on stdout, one lock so lines never interleave and nothing follows 'done'.

OUTPUT_LOCK = threading.Lock()


def write_line(event):
    try:
        sys.stdout.write(json.dumps(event, separators=(',', ':')) + '\n')
        sys.stdout.flush()
    except (OSError, ValueError):
        # The controller went away: nobody is left to report to.
        os._exit(1)


def emit(event):
    with OUTPUT_LOCK:
        write_line(event)


def exit_now(code):
    try:
        sys.stdout.flush()
    finally:
        os._exit(code)


# ---------------------------------------------------------------------------------------------
# The plan, checked the way agent/src/plan.ts checks it: a bad plan is refused as a whole.

class PlanProblem(Exception):
    pass


def _fields(value, where):
    if not isinstance(value, dict):
        raise PlanProblem(where + ' is not an object')
    return value


def _text(o, key, where):
    v = o.get(key)
    if not isinstance(v, str) or v == '':
        raise PlanProblem('%s.%s is not a non-empty string' % (where, key))
    return v


def _count(o, key, where, low, high=2 ** 53 - 1):
    v = o.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < low or v > high:
        raise PlanProblem('%s.%s is not an integer from %d to %d' % (where, key, low, high))
    return v


def _read_probe(value, where):
    o = _fields(value, where)
    kind = o.get('kind')
    if kind not in KINDS:
        raise PlanProblem(where + '.kind is not one of ' + ', '.join(KINDS))
    if o.get('proto') not in ((PROTO_FTP,) if kind == KIND_FTP else WEB_PROTOS):
        raise PlanProblem(where + '.proto does not fit its kind')
    probe = {'id': _text(o, 'id', where), 'kind': kind, 'proto': o['proto'], 'address': _text(o, 'address', where), 'port': _count(o, 'port', where, 1, 65535)}
    if len(probe['id']) > LIMIT_PROBE_ID:
        raise PlanProblem(where + '.id is longer than %d characters' % LIMIT_PROBE_ID)
    if 'source' in o:
        probe['source'] = _text(o, 'source', where)
    if kind == KIND_DOWNLOAD:
        probe['size'] = _count(o, 'size', where, 0)
        sha = _text(o, 'sha256', where)
        if not re.match(r'^[0-9a-fA-F]{64}$', sha):
            raise PlanProblem(where + '.sha256 is not 64 hex digits')
        probe['sha256'] = sha.lower()
    if kind == KIND_UPLOAD:
        probe['size'] = _count(o, 'size', where, 0)
    if kind == KIND_HOLD:
        probe['holdMs'] = _count(o, 'holdMs', where, 0)
    if kind == KIND_STATUS:
        probe['posts'] = _count(o, 'posts', where, 1) if 'posts' in o else 1
        probe['intervalMs'] = _count(o, 'intervalMs', where, 0) if 'intervalMs' in o else 0
    return probe


def read_plan(text):
    try:
        o = json.loads(text)
    except ValueError:
        raise PlanProblem('the plan is not JSON')
    o = _fields(o, 'plan')
    if o.get('version') != PROTOCOL_VERSION:
        raise PlanProblem('plan.version is %s, this agent speaks %d' % (json.dumps(o.get('version')), PROTOCOL_VERSION))
    d = _fields(o.get('deadlines'), 'plan.deadlines')
    addresses = o.get('controllerAddresses')
    if not isinstance(addresses, list) or not all(isinstance(a, str) and a != '' for a in addresses):
        raise PlanProblem('plan.controllerAddresses is not a list of addresses')
    if not isinstance(o.get('probes'), list):
        raise PlanProblem('plan.probes is not a list')
    probes = [_read_probe(p, 'plan.probes[%d]' % i) for i, p in enumerate(o['probes'])]
    ids = set()
    for p in probes:
        if p['id'] in ids:
            raise PlanProblem('probe id %s appears twice' % json.dumps(p['id']))
        ids.add(p['id'])
    token = _text(o, 'token', 'plan')
    if not re.match(r'^[\x20-\x7e]+$', token):
        raise PlanProblem('plan.token has characters a header cannot carry')
    return {
        'node': _text(o, 'node', 'plan'),
        'token': token,
        'fingerprint256': _text(o, 'fingerprint256', 'plan'),
        'controllerAddresses': addresses,
        'probes': probes,
        'deadlines': dict((k, _count(d, k, 'plan.deadlines', 1)) for k in ('connectMs', 'stallMs', 'probeMs', 'totalMs')),
        'concurrency': _count(o, 'concurrency', 'plan', 1),
    }


# ---------------------------------------------------------------------------------------------
# Outcomes: the same mapping as agent/src/outcomes.ts.

def deadline_outcome(phase):
    return {PHASE_CONNECT: OUTCOME_TIMEOUT, PHASE_TLS: OUTCOME_TLS_ERROR, PHASE_BODY: OUTCOME_STALLED}.get(phase, OUTCOME_NO_RESPONSE)


def error_outcome(phase, code):
    if phase == PHASE_CONNECT:
        if code == 'ECONNREFUSED':
            return OUTCOME_REFUSED
        if code == 'ECONNRESET':
            return OUTCOME_RESET
        if code == 'ETIMEDOUT':
            return OUTCOME_TIMEOUT
        return OUTCOME_UNREACHABLE if code in UNREACHABLE else OUTCOME_ERROR
    if phase == PHASE_TLS:
        return OUTCOME_TLS_ERROR
    if phase == PHASE_BODY:
        return OUTCOME_TRUNCATED
    if code in ('ECONNRESET', 'EPIPE'):
        return OUTCOME_RESET
    if code == 'ETIMEDOUT':
        return OUTCOME_NO_RESPONSE
    return OUTCOME_UNREACHABLE if code in UNREACHABLE else OUTCOME_ERROR


class ProbeError(Exception):
    """An error with the code the Node agent would report (ECONNRESET 'socket hang up', ...)."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


def error_code(err):
    if isinstance(err, ProbeError):
        return err.code
    if ssl is not None and isinstance(err, ssl.SSLError):
        reason = getattr(err, 'reason', None)
        if reason:
            return clip('ERR_SSL_' + str(reason).upper(), LIMIT_ERROR_CODE)
    number = getattr(err, 'errno', None)
    if isinstance(number, int) and number in errno.errorcode:
        return errno.errorcode[number]
    return None


def describe_error(err):
    code = error_code(err)
    message = clip(str(err) or type(err).__name__, LIMIT_ERROR_MESSAGE)
    return {'code': code, 'message': message} if code else {'message': message}


def same_fingerprint(a, b):
    bare_a = re.sub('[^0-9a-fA-F]', '', a).upper()
    return bare_a != '' and bare_a == re.sub('[^0-9a-fA-F]', '', b).upper()


def fingerprint_of(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def is_ipv6(address):
    return ':' in address


def host_header(address, port):
    return '[%s]:%d' % (address, port) if is_ipv6(address) else '%s:%d' % (address, port)


def is_ip(address):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
            return True
        except (OSError, ValueError):
            pass
    return False


class Ended(Exception):
    """The exchange has a result; the thread that runs it unwinds."""


# ---------------------------------------------------------------------------------------------
# An exchange: a fresh connection (from the planned source), TLS pinned by fingerprint for https,
# one HTTP request carrying the token. Attempt and Hold run what follows in their own phases.

class Exchange(object):
    def __init__(self, target, deadlines, secrets):
        self.target = target
        self.deadlines = deadlines
        self.secrets = secrets
        self.phase = PHASE_CONNECT
        self.started = now()
        self.http_status = None
        self.local = None
        self.connect_ms = None
        self.fingerprint = None
        self.sock = None
        self.result = None
        self.lock = threading.Lock()
        self.owner = None
        # name -> (monotonic time, handler); handlers run in the owning thread, between waits.
        self.timers = {}

    def after(self, name, ms, handler):
        self.timers[name] = (now() + ms / 1000.0, handler)

    def cancel(self, name):
        self.timers.pop(name, None)

    @property
    def ended(self):
        return self.result is not None

    def run(self):
        """Runs the exchange in the calling thread; always returns a result, never raises."""
        self.owner = threading.current_thread()
        self.after('probe', self.deadlines['probeMs'], lambda: self.expire(CODE_PROBE_DEADLINE, 'probe deadline of %d ms' % self.deadlines['probeMs']))
        try:
            self.connect()
            if self.target['proto'] == PROTO_HTTPS:
                self.handshake()
            self.opened()
        except Ended:
            pass
        except Exception as err:
            self.fail(err)
        return self.end(OUTCOME_ERROR, {'code': CODE_AGENT_BUG, 'message': 'agent bug: the exchange ended without a result'})

    def fail(self, err):
        self.end(error_outcome(self.phase, error_code(err)), describe_error(err))

    def end(self, outcome, error=None):
        with self.lock:
            if self.result is not None:
                return self.result
            result = {'outcome': outcome, 'phase': self.phase, 'ms': since(self.started)}
            self.describe(result)
            if self.local is not None:
                result['local'] = self.local
            if self.connect_ms is not None:
                result['connectMs'] = self.connect_ms
            if self.fingerprint is not None:
                result['fingerprint'] = self.fingerprint
            if self.http_status is not None:
                result['httpStatus'] = self.http_status
            if error is not None:
                result['error'] = error
            self.result = result
        self.close()
        return result

    def close(self):
        sock = self.sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass
        # Another thread (the agent deadline) only shuts the socket down, which wakes the owner;
        # closing under it could hand its file descriptor number to someone else.
        if threading.current_thread() is self.owner:
            try:
                sock.close()
            except (OSError, ValueError):
                pass

    def describe(self, result):
        pass

    def wait(self, op):
        """Runs op(seconds) until it returns; seconds is the time to the next deadline. op raises
        socket.timeout when that passed with nothing done; then the deadline's handler runs."""
        while True:
            if self.ended:
                raise Ended()
            remaining = None
            if self.timers:
                name = min(self.timers, key=lambda k: self.timers[k][0])
                at, handler = self.timers[name]
                remaining = at - now()
                if remaining <= 0:
                    self.timers.pop(name, None)
                    handler()
                    continue
            try:
                return op(remaining)
            except socket.timeout:
                continue
            except Exception:
                if self.ended:
                    raise Ended()
                raise

    def connect(self):
        address, port, source = self.target['address'], self.target['port'], self.target.get('source')
        family = socket.AF_INET6 if is_ipv6(address) else socket.AF_INET
        if not is_ip(address):
            family, _, _, _, sockaddr = socket.getaddrinfo(address, port, 0, socket.SOCK_STREAM)[0]
        else:
            sockaddr = (address, port)
        sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock = sock
        if source is not None:
            sock.bind((source, 0))
        self.after('connecting', self.deadlines['connectMs'], lambda: self.end(OUTCOME_TIMEOUT, {
            'code': CODE_CONNECT_TIMEOUT,
            'message': 'TCP connect to %s did not complete within %d ms' % (host_header(address, port), self.deadlines['connectMs'])}))
        sock.setblocking(False)
        connect_started = now()
        rc = sock.connect_ex(sockaddr)
        if rc not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            raise ProbeError(errno.errorcode.get(rc), 'connect %s %s (%s)' % (errno.errorcode.get(rc, rc), host_header(address, port), os.strerror(rc)))

        def writable(seconds):
            _, ready, failed = select.select([], [sock], [sock], seconds)
            if not ready and not failed:
                raise socket.timeout()

        if rc != 0:
            self.wait(writable)
            rc = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc != 0:
                raise ProbeError(errno.errorcode.get(rc), 'connect %s %s (%s)' % (errno.errorcode.get(rc, rc), host_header(address, port), os.strerror(rc)))
        self.cancel('connecting')
        if self.ended:
            raise Ended()
        self.connect_ms = round((now() - connect_started) * 1000, 1)
        if self.target.get('onConnected') is not None:
            self.target['onConnected']()
        name = sock.getsockname()
        self.local = {'address': name[0], 'port': name[1]}

    def handshake(self):
        self.phase = PHASE_TLS
        if ssl is None:
            self.end(OUTCOME_UNSUPPORTED, {'code': CODE_UNSUPPORTED, 'message': 'this Python has no ssl module: https not measured'})
            raise Ended()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # Verification is ours, by pin: the certificate is self-signed, so the CA check is off.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        address = self.target['address']
        # No SNI for an IP address (RFC 6066); a name is sent as given.
        secure = context.wrap_socket(self.sock, server_hostname=None if is_ip(address) else address, do_handshake_on_connect=False)
        self.sock = secure
        self.after('handshake', self.deadlines['connectMs'], lambda: self.end(OUTCOME_TLS_ERROR, {
            'code': CODE_TLS_TIMEOUT, 'message': 'TLS handshake did not complete within %d ms' % self.deadlines['connectMs']}))

        def handshake(seconds):
            secure.settimeout(seconds)
            secure.do_handshake()

        self.wait(handshake)
        self.cancel('handshake')
        der = secure.getpeercert(True)
        seen = fingerprint_of(der) if der else ''
        if seen:
            self.fingerprint = seen
        if not same_fingerprint(seen, self.secrets['fingerprint256']):
            # Something else holds the connection (a TLS-inspecting proxy): send it nothing, above
            # all not the token.
            self.end(OUTCOME_TLS_MISMATCH, {'message': 'listener certificate %s is not the pinned %s' % (seen or '(none)', self.secrets['fingerprint256'])})
            raise Ended()

    # -- I/O on the open connection, each bounded by the next deadline.

    def recv(self, size=65536):
        def op(seconds):
            self.sock.settimeout(seconds)
            return self.sock.recv(size)
        return self.wait(op)

    def send_some(self, data):
        def op(seconds):
            self.sock.settimeout(seconds)
            return self.sock.send(data[:SEND_SLICE])
        return self.wait(op)

    def send_all(self, data, progress=None):
        view = memoryview(data)
        while len(view) > 0:
            sent = self.send_some(view)
            view = view[sent:]
            if progress is not None:
                progress(sent)

    def request_head(self, method, path, headers):
        lines = ['%s %s HTTP/1.1' % (method, path), '%s: %s' % (TOKEN_HEADER, self.secrets['token']),
                 'host: ' + host_header(self.target['address'], self.target['port'])]
        lines.extend('%s: %s' % (k, v) for k, v in headers)
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def read_head(self, pending):
        """Reads the status line and headers; returns (status, reason, headers, bytes after them)."""
        while b'\r\n\r\n' not in pending:
            if len(pending) > MAX_HEAD_BYTES:
                raise ProbeError('HPE_HEADER_OVERFLOW', 'the answer head is longer than %d bytes' % MAX_HEAD_BYTES)
            chunk = self.recv()
            if not chunk:
                # What Node reports for a peer that closes before answering.
                raise ProbeError('ECONNRESET', 'socket hang up')
            pending += chunk
            self.progress()
        head, rest = pending.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        match = re.match(r'^HTTP/1\.[01] (\d{3})(?: (.*))?$', lines[0])
        if match is None:
            raise ProbeError('HPE_INVALID_CONSTANT', 'the answer is not HTTP: %s' % json.dumps(clip(lines[0], 64)))
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(':')
            headers[key.strip().lower()] = value.strip()
        return int(match.group(1)), match.group(2) or '', headers, rest

    def progress(self):
        pass


# ---------------------------------------------------------------------------------------------
# Body checks: what a right answer looks like (agent/src/body-checks.ts).

class JsonAnswer(object):
    def __init__(self, what, judge):
        self.what, self.judge, self.data = what, judge, b''

    def take(self, chunk):
        self.data += chunk
        if len(self.data) > MAX_ANSWER_BYTES:
            return '%s answer is longer than %d bytes' % (self.what, MAX_ANSWER_BYTES)
        return None

    def finish(self):
        try:
            answer = json.loads(self.data.decode('utf-8'))
        except ValueError:
            return {'ok': False, 'outcome': OUTCOME_CORRUPT, 'message': '%s answer is not JSON' % self.what}
        return self.judge(answer)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def hello_check():
    def judge(answer):
        o = answer if isinstance(answer, dict) else {}
        address, port = o.get('address'), o.get('port')
        if not isinstance(address, str) or address == '' or len(address) > LIMIT_FIELD or not _is_int(port) or port < 0 or port > 65535:
            return {'ok': False, 'outcome': OUTCOME_CORRUPT, 'message': 'hello answer has no valid "address" and "port"'}
        return {'ok': True, 'seen': {'address': address, 'port': port}}
    return JsonAnswer(KIND_HELLO, judge)


def status_check():
    def judge(answer):
        if isinstance(answer, dict) and answer.get('ok') is True:
            return {'ok': True}
        return {'ok': False, 'outcome': OUTCOME_CORRUPT, 'message': 'status answer is not {"ok":true}'}
    return JsonAnswer(KIND_STATUS, judge)


def upload_check(size):
    def judge(answer):
        o = answer if isinstance(answer, dict) else {}
        if o.get('sha256ok') is True and _is_int(o.get('bytes')) and o.get('bytes') == size:
            return {'ok': True}
        return {'ok': False, 'outcome': OUTCOME_CORRUPT, 'message': 'upload answer is not {"bytes":%d,"sha256ok":true}' % size}
    return JsonAnswer(KIND_UPLOAD, judge)


class DownloadCheck(object):
    def __init__(self, size, sha256):
        self.size, self.sha256, self.received, self.hash = size, sha256.lower(), 0, hashlib.sha256()

    def take(self, chunk):
        self.received += len(chunk)
        if self.received > self.size:
            return 'body is longer than the %d bytes planned' % self.size
        self.hash.update(chunk)
        return None

    def finish(self):
        if self.received < self.size:
            return {'ok': False, 'outcome': OUTCOME_TRUNCATED, 'message': 'body ended after %d of %d bytes' % (self.received, self.size)}
        digest = self.hash.hexdigest()
        if digest != self.sha256:
            return {'ok': False, 'outcome': OUTCOME_CORRUPT, 'message': 'body has SHA-256 %s, expected %s' % (digest, self.sha256)}
        return {'ok': True}


# ---------------------------------------------------------------------------------------------
# Attempt: one HTTP exchange, in phases connect, tls, request, response, body (agent/src/attempt.ts).

class Attempt(Exchange):
    def __init__(self, spec, deadlines, secrets):
        Exchange.__init__(self, spec, deadlines, secrets)
        self.spec = spec
        self.bytes = None
        self.seen = None

    def expire(self, code, deadline):
        where = 'body, at byte %d' % (self.bytes or 0) if self.phase == PHASE_BODY else self.phase
        return self.end(deadline_outcome(self.phase), {'code': code, 'message': '%s passed during %s' % (deadline, where)})

    def describe(self, result):
        if self.bytes is not None:
            result['bytes'] = self.bytes
        if self.seen is not None:
            result['seen'] = self.seen

    def progress(self):
        # The stall deadline covers sending an upload and the wait for the answer as well as the body.
        self.after('stall', self.deadlines['stallMs'], self.stall)

    def stall(self):
        message = 'stall deadline of %d ms without progress' % self.deadlines['stallMs']
        if self.spec.get('uploadSize') is not None and self.phase == PHASE_RESPONSE:
            # The listener answers an upload only once its last byte is in: silence after sending is
            # the body stuck on the way, not an answer lost.
            self.end(OUTCOME_STALLED, {'code': CODE_STALL, 'message': '%s passed while waiting for the answer, after sending %d bytes' % (message, self.bytes or 0)})
        else:
            self.expire(CODE_STALL, message)

    def opened(self):
        spec = self.spec
        upload_size = spec.get('uploadSize')
        headers = [('connection', 'close')]
        body = spec.get('body')
        if body is not None:
            body = body.encode('utf-8')
            headers += [('content-type', 'application/json'), ('content-length', str(len(body)))]
        if upload_size is not None:
            headers += [('content-type', 'application/octet-stream'), ('content-length', str(upload_size))]
        self.phase = PHASE_REQUEST
        self.progress()
        self.send_all(self.request_head(spec['method'], spec['path'], headers) + (body or b''))
        if upload_size is not None:
            self.upload(upload_size)
        self.phase = PHASE_RESPONSE
        self.response()

    def upload(self, size):
        self.phase = PHASE_BODY
        self.bytes = 0
        left = size
        while left > 0:
            chunk = UPLOAD_CHUNK[:min(len(UPLOAD_CHUNK), left)]
            left -= len(chunk)

            def sent(n):
                # Counted once the kernel took it: what left the agent, not what reached the listener.
                self.bytes += n
                self.progress()
            self.send_all(chunk, sent)

    def response(self):
        status, reason, headers, rest = self.read_head(b'')
        self.progress()
        self.http_status = status
        upload = self.spec.get('uploadSize') is not None
        if status < 200 or status > 299:
            self.phase = PHASE_RESPONSE
            what = ('listener answered %d %s' % (status, reason)).strip()
            if upload and status == UPLOAD_CORRUPT_STATUS:
                self.end(OUTCOME_CORRUPT, {'message': what + ': the upload arrived with other content than planned'})
            else:
                self.end(OUTCOME_HTTP_ERROR, {'message': what})
            raise Ended()
        self.phase = PHASE_BODY
        if not upload:
            self.bytes = 0
        check = self.spec['check']

        def take(chunk):
            if not upload:
                self.bytes += len(chunk)
            self.progress()
            problem = check.take(chunk)
            if problem is not None:
                self.end(OUTCOME_CORRUPT, {'message': problem})
                raise Ended()

        if not self.read_body(headers, rest, take):
            self.end(OUTCOME_TRUNCATED, {'message': 'connection closed in the middle of the answer' if upload else 'connection closed after %d bytes of the body' % (self.bytes or 0)})
            raise Ended()
        verdict = check.finish()
        if verdict['ok']:
            self.seen = verdict.get('seen')
            self.end(OUTCOME_OK)
        else:
            self.end(verdict['outcome'], {'message': verdict['message']})
        raise Ended()

    def read_body(self, headers, pending, take):
        """Feeds the decoded body to take(); False when the connection closed before its end."""
        if 'chunked' in headers.get('transfer-encoding', '').lower():
            return self.read_chunked(pending, take)
        length = headers.get('content-length')
        if length is None or not length.isdigit():
            # No length: the body runs to the end of the connection.
            if pending:
                take(pending)
            while True:
                chunk = self.recv()
                if not chunk:
                    return True
                take(chunk)
        left = int(length)
        if pending:
            take(pending[:left])
            left -= min(left, len(pending))
        while left > 0:
            chunk = self.recv()
            if not chunk:
                return False
            take(chunk[:left])
            left -= min(left, len(chunk))
        return True

    def read_chunked(self, pending, take):
        while True:
            while b'\r\n' not in pending:
                chunk = self.recv()
                if not chunk:
                    return False
                pending += chunk
            line, pending = pending.split(b'\r\n', 1)
            try:
                size = int(line.split(b';')[0].strip() or b'x', 16)
            except ValueError:
                raise ProbeError('HPE_INVALID_CHUNK_SIZE', 'invalid chunk size in the answer')
            if size == 0:
                return True
            while len(pending) < size + 2:
                chunk = self.recv()
                if not chunk:
                    if pending[:size]:
                        take(pending[:size])
                    return False
                pending += chunk
            take(pending[:size])
            pending = pending[size + 2:]


# ---------------------------------------------------------------------------------------------
# The idle hold: a WebSocket (RFC 6455, client side, by hand) quiet for holdMs, then checked both
# ways (agent/src/hold.ts and HOLD_MESSAGES in src/protocol.ts).

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xa


class FrameError(Exception):
    pass


def client_frame(opcode, payload):
    if len(payload) > MAX_HOLD_MESSAGE_BYTES:
        raise FrameError('frame payload of %d bytes is over %d' % (len(payload), MAX_HOLD_MESSAGE_BYTES))
    if len(payload) < 126:
        head = struct.pack('!BB', 0x80 | opcode, 0x80 | len(payload))
    else:
        head = struct.pack('!BBH', 0x80 | opcode, 0x80 | 126, len(payload))
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


class FrameReader(object):
    def __init__(self):
        self.pending = b''

    def take(self, chunk):
        self.pending += chunk
        frames = []
        while True:
            frame = self.next_frame()
            if frame is None:
                return frames
            frames.append(frame)

    def next_frame(self):
        buf = self.pending
        if len(buf) < 2:
            return None
        first, second = buf[0], buf[1]
        opcode = first & 0x0f
        if first & 0x80 == 0 or opcode == 0:
            raise FrameError('fragmented message: the hold exchange has none')
        if second & 0x80:
            raise FrameError('masked frame from the server')
        length, offset = second & 0x7f, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = struct.unpack('!H', buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = struct.unpack('!Q', buf[2:10])[0], 10
        # Checked before waiting for the payload, so a huge announced length is refused at once.
        if length > MAX_HOLD_MESSAGE_BYTES:
            raise FrameError('frame of %d bytes is over the %d-byte limit' % (length, MAX_HOLD_MESSAGE_BYTES))
        if len(buf) < offset + length:
            return None
        self.pending = buf[offset + length:]
        return opcode, buf[offset:offset + length]


class Hold(Exchange):
    def __init__(self, target, path, hold_ms, deadlines, secrets):
        Exchange.__init__(self, target, deadlines, secrets)
        self.path, self.hold_ms = path, hold_ms
        self.key = base64.b64encode(os.urandom(16)).decode('ascii')
        self.reader = FrameReader()
        self.opened_at = None
        self.idle_ms = None
        self.push = False
        self.pong = False

    def expire(self, code, deadline):
        where = self.phase if self.opened_at is None else 'the hold, %d ms after the open exchange' % since(self.opened_at)
        return self.end(deadline_outcome(self.phase), {'code': code, 'message': '%s passed during %s' % (deadline, where)})

    def stall(self):
        self.expire(CODE_STALL, 'stall deadline of %d ms without an answer' % self.deadlines['stallMs'])

    def describe(self, result):
        if self.opened_at is not None:
            result['hold'] = {'idleMs': self.idle_ms if self.idle_ms is not None else since(self.opened_at), 'push': self.push, 'pong': self.pong}

    def opened(self):
        self.after('stall', self.deadlines['stallMs'], self.stall)
        self.phase = PHASE_REQUEST
        self.send_all(self.request_head('GET', self.path, [
            ('connection', 'Upgrade'), ('upgrade', 'websocket'), ('sec-websocket-version', '13'), ('sec-websocket-key', self.key)]))
        self.phase = PHASE_RESPONSE
        status, _, headers, rest = self.read_head(b'')
        self.http_status = status
        if status != 101:
            self.end(OUTCOME_HTTP_ERROR, {'message': 'listener answered %d instead of switching to WebSocket' % status})
            raise Ended()
        expected = base64.b64encode(hashlib.sha1((self.key + WS_GUID).encode('ascii')).digest()).decode('ascii')
        if headers.get('sec-websocket-accept') != expected:
            self.end(OUTCOME_CORRUPT, {'message': 'the upgrade answer carries the wrong Sec-WebSocket-Accept: not a WebSocket endpoint'})
            raise Ended()
        self.after('stall', self.deadlines['stallMs'], self.stall)
        self.send_text(HOLD_OPEN)
        # Bytes that came with the upgrade answer: the listener may have answered "open" already.
        chunk = rest
        while True:
            if chunk:
                self.take(chunk)
            chunk = self.recv()
            if not chunk:
                self.closed()

    def take(self, chunk):
        try:
            frames = self.reader.take(chunk)
        except FrameError as err:
            self.end(OUTCOME_CORRUPT, {'message': 'WebSocket protocol error: %s' % err})
            raise Ended()
        for opcode, payload in frames:
            if opcode == OP_TEXT:
                self.message(payload.decode('utf-8', 'replace'))
            elif opcode == OP_PING:
                self.send_all(client_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self.closed()
            elif opcode != OP_PONG:
                # A pong carries nothing for the exchange; anything else is not ours.
                self.end(OUTCOME_CORRUPT, {'message': 'unexpected WebSocket frame, opcode %d' % opcode})
                raise Ended()

    def message(self, text):
        if self.opened_at is None:
            if text != HOLD_OPEN:
                self.end(OUTCOME_CORRUPT, {'message': 'expected %s from the listener, got %s' % (json.dumps(HOLD_OPEN), json.dumps(clip(text, 64)))})
                raise Ended()
            self.quiet()
            return
        # A push may come a little before our quiet time ends (the clocks start apart): it still counts.
        if text == HOLD_PUSH:
            self.push = True
        elif text == HOLD_PONG and self.idle_ms is not None:
            self.pong = True
        else:
            self.end(OUTCOME_CORRUPT, {'message': 'unexpected message %s on the hold channel' % json.dumps(clip(text, 64))})
            raise Ended()
        if self.push and self.pong:
            self.end(OUTCOME_OK)
            raise Ended()

    def quiet(self):
        self.cancel('stall')
        # The probe deadline bounds the set-up only: the hold has its own timers.
        self.cancel('probe')
        self.phase = PHASE_HOLD
        self.opened_at = now()
        self.after('check', self.hold_ms, self.check)

    def check(self):
        self.idle_ms = since(self.opened_at)
        self.send_text(HOLD_PING)
        stall_ms = self.deadlines['stallMs']

        def missing():
            parts = ['no %s' % json.dumps(m) for m, came in ((HOLD_PUSH, self.push), (HOLD_PONG, self.pong)) if not came]
            self.end(OUTCOME_NO_RESPONSE, {'code': CODE_STALL, 'message': '%s within %d ms after %d ms of quiet' % (' and '.join(parts), stall_ms, self.idle_ms)})
        self.after('check', stall_ms, missing)

    def closed(self):
        if self.opened_at is not None:
            self.end(OUTCOME_TRUNCATED, {'message': 'the channel was closed %d ms into the hold' % since(self.opened_at)})
        else:
            self.end(OUTCOME_RESET, {'message': 'the connection closed before the listener answered %s' % json.dumps(HOLD_OPEN)})
        raise Ended()

    def send_text(self, text):
        self.send_all(client_frame(OP_TEXT, text.encode('utf-8')))


# ---------------------------------------------------------------------------------------------
# Probes (agent/src/probe.ts): hello, download, upload and hold are one exchange; status is
# `posts` POSTs, each on a new connection, `intervalMs` apart.

def query(probe, extra=''):
    return '?probe=%s%s' % (quote(probe['id']), extra)


def quote(text):
    # encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is percent-encoded.
    return ''.join(c if re.match(r"[A-Za-z0-9\-_.!~*'()]", c) else ''.join('%%%02X' % b for b in c.encode('utf-8')) for c in text)


def target_of(probe, on_connected=None):
    target = {'proto': probe['proto'], 'address': probe['address'], 'port': probe['port']}
    if 'source' in probe:
        target['source'] = probe['source']
    if on_connected is not None:
        # Called each time a TCP connection to the target completes (PathGates).
        target['onConnected'] = on_connected
    return target


def probe_result(probe_id, ms, exchange, posts=None):
    result = {'t': 'probe', 'id': probe_id}
    result.update(exchange)
    result['ms'] = ms
    if posts is not None:
        result['posts'] = posts
    return result


def not_started(probe):
    return {'t': 'probe', 'id': probe['id'], 'outcome': OUTCOME_ERROR, 'phase': PHASE_CONNECT, 'ms': 0,
            'error': {'code': CODE_NOT_STARTED, 'message': 'the agent deadline passed before this probe started'}}


def failed_probe(probe, err):
    return {'t': 'probe', 'id': probe['id'], 'outcome': OUTCOME_ERROR, 'phase': PHASE_CONNECT, 'ms': 0,
            'error': {'code': CODE_AGENT_BUG, 'message': clip('agent bug: %s' % err, LIMIT_ERROR_MESSAGE)}}


class SingleExchangeProbe(object):
    def __init__(self, probe, exchange):
        self.probe, self.exchange, self.started = probe, exchange, now()

    def run(self):
        exchange = self.exchange.run()
        return probe_result(self.probe['id'], since(self.started), exchange)

    def expire(self):
        exchange = self.exchange.expire(CODE_AGENT_DEADLINE, 'agent deadline')
        return probe_result(self.probe['id'], since(self.started), exchange)


class UnsupportedProbe(object):
    """A probe this agent cannot measure: said so at once, so the verdict is 'not measured'."""

    def __init__(self, probe, why):
        self.result = {'t': 'probe', 'id': probe['id'], 'outcome': OUTCOME_UNSUPPORTED, 'phase': PHASE_CONNECT, 'ms': 0,
                       'error': {'code': CODE_UNSUPPORTED, 'message': why}}

    def run(self):
        return self.result

    def expire(self):
        return self.result


class StatusProbe(object):
    """Several POSTs; the outcome is the first failure's, and every post is listed."""

    def __init__(self, probe, plan, on_connected=None):
        self.probe, self.plan, self.started = probe, plan, now()
        self.on_connected = on_connected
        self.posts = []
        self.first_failure = None
        self.last = None
        self.current = None
        self.final = None
        self.lock = threading.Lock()
        self.woken = threading.Event()

    def run(self):
        for seq in range(1, self.probe['posts'] + 1):
            if seq > 1:
                self.woken.wait(self.probe['intervalMs'] / 1000.0)
            with self.lock:
                if self.final is not None:
                    return self.final
                attempt = Attempt(self.post_spec(seq), self.plan['deadlines'], self.plan)
                self.current = attempt
            outcome = attempt.run()
            with self.lock:
                self.current = None
                # expire() may have recorded this post already and concluded.
                if self.final is not None:
                    return self.final
                self.record(outcome)
        with self.lock:
            return self.conclude()

    def expire(self):
        with self.lock:
            if self.final is not None:
                return self.final
            if self.current is not None:
                self.record(self.current.expire(CODE_AGENT_DEADLINE, 'agent deadline'))
            self.woken.set()
            return self.conclude()

    def post_spec(self, seq):
        spec = target_of(self.probe, self.on_connected)
        spec.update({'method': 'POST', 'path': PATH_STATUS + query(self.probe, '&seq=%d' % seq),
                     'body': json.dumps({'seq': seq, 'state': 'probing', 'node': self.plan['node']}, separators=(',', ':')),
                     'check': status_check()})
        return spec

    def record(self, post):
        self.posts.append({'ms': post['ms'], 'ok': post['outcome'] == OUTCOME_OK})
        self.last = post
        if post['outcome'] != OUTCOME_OK and self.first_failure is None:
            self.first_failure = post

    def conclude(self):
        if self.final is not None:
            return self.final
        ms = since(self.started)
        planned = self.probe['posts']
        basis = self.first_failure or self.last
        if self.first_failure is None and len(self.posts) < planned:
            # Cut short between posts with none failed: what was sent worked, but the plan was not done.
            partial = {'t': 'probe', 'id': self.probe['id'], 'outcome': OUTCOME_ERROR, 'phase': PHASE_CONNECT, 'ms': ms, 'posts': self.posts,
                       'error': {'code': CODE_AGENT_DEADLINE, 'message': 'agent deadline passed after %d of %d posts' % (len(self.posts), planned)}}
            for key in ('local', 'fingerprint'):
                if basis is not None and key in basis:
                    partial[key] = basis[key]
            self.final = partial
        elif basis is not None:
            self.final = probe_result(self.probe['id'], ms, basis, self.posts)
        return self.final or not_started(self.probe)


def start_probe(probe, plan, retry=False, on_connected=None):
    kind = probe['kind']
    transfer_query = query(probe, '&attempt=2' if retry else '')
    if kind == KIND_FTP:
        return UnsupportedProbe(probe, 'the Python agent does not test FTP callbacks')
    target = target_of(probe, on_connected)
    if kind == KIND_STATUS:
        return StatusProbe(probe, plan, on_connected)
    if kind == KIND_HOLD:
        return SingleExchangeProbe(probe, Hold(target, PATH_HOLD + query(probe), probe['holdMs'], plan['deadlines'], plan))
    if kind == KIND_HELLO:
        target.update({'method': 'GET', 'path': PATH_HELLO + query(probe), 'check': hello_check()})
    elif kind == KIND_DOWNLOAD:
        target.update({'method': 'GET', 'path': PATH_BLOB + transfer_query, 'check': DownloadCheck(probe['size'], probe['sha256'])})
    else:
        target.update({'method': 'POST', 'path': PATH_UPLOAD + transfer_query, 'uploadSize': probe['size'], 'check': upload_check(probe['size'])})
    return SingleExchangeProbe(probe, Attempt(target, plan['deadlines'], plan))


# ---------------------------------------------------------------------------------------------
# Facts (agent/src/facts.ts): name, addresses, and the source address the kernel picks towards
# each controller address.

def find_tool(name):
    for directory in os.environ.get('PATH', '').split(os.pathsep) + ['/sbin', '/usr/sbin', '/bin', '/usr/bin']:
        path = os.path.join(directory, name)
        if directory and os.access(path, os.X_OK):
            return path
    return None


def addresses_from_ip():
    """`ip -o addr` lists every address, secondary ones too; None when there is no `ip`."""
    tool = find_tool('ip')
    if tool is None:
        return None
    try:
        child = subprocess.Popen([tool, '-o', 'addr', 'show'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    except OSError:
        return None
    try:
        text, _ = child.communicate(timeout=1)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return None
    found = []
    for line in text.splitlines():
        m = re.match(r'^\d+:\s+(\S+)\s+(inet6?)\s+([0-9A-Fa-f.:]+)', line)
        if m:
            iface = m.group(1).split('@')[0]
            found.append({'iface': clip(iface, LIMIT_FIELD), 'address': m.group(3), 'family': 'IPv6' if m.group(2) == 'inet6' else 'IPv4',
                          'internal': iface == 'lo' or m.group(3) in ('127.0.0.1', '::1') or m.group(3).startswith('127.')})
    return found


def addresses_from_kernel():
    """Without `ip`: the primary IPv4 address of each interface (ioctl) and /proc/net/if_inet6."""
    found = []
    try:
        import fcntl
        for _, iface in socket.if_nameindex():
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack('256s', iface[:15].encode('utf-8')))
                address = socket.inet_ntoa(packed[20:24])
                found.append({'iface': clip(iface, LIMIT_FIELD), 'address': address, 'family': 'IPv4', 'internal': address.startswith('127.')})
            except (OSError, IOError):
                pass
            finally:
                probe.close()
    except Exception:
        pass
    try:
        with open('/proc/net/if_inet6') as f:
            for line in f:
                cols = line.split()
                if len(cols) >= 6:
                    address = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(cols[0]))
                    found.append({'iface': clip(cols[5], LIMIT_FIELD), 'address': address, 'family': 'IPv6', 'internal': cols[5] == 'lo'})
    except (OSError, IOError, ValueError):
        pass
    return found


def interface_addresses():
    found = addresses_from_ip()
    return found if found is not None else addresses_from_kernel()


def comparable(address):
    return address.split('%')[0].lower()


def route_source(to):
    """Connecting a UDP socket runs the route lookup and binds it; no packet leaves the node.
    Port 9 ("discard") is an arbitrary valid port nothing is ever sent to."""
    try:
        probe = socket.socket(socket.AF_INET6 if is_ipv6(to) else socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as err:
        return None, error_code(err) or str(err)
    try:
        probe.connect((to, 9))
        return probe.getsockname()[0], None
    except Exception as err:
        return None, clip(error_code(err) or str(err), LIMIT_ROUTE_ERROR)
    finally:
        probe.close()


def host_facts(all_addresses):
    external = [{'iface': a['iface'], 'address': a['address'], 'family': a['family']} for a in all_addresses if not a['internal']]
    return {'t': 'facts', 'hostname': clip(socket.gethostname(), LIMIT_HOSTNAME), 'addresses': external[:LIMIT_ADDRESSES]}


def gather_facts(controller_addresses):
    # Loopback counts for the interface lookup: a controller on the same host is reached over 'lo'.
    all_addresses = interface_addresses()
    routes = []
    for to in controller_addresses[:LIMIT_ROUTES]:
        source, error = route_source(to)
        route = {'to': clip(to, LIMIT_FIELD)}
        if error is not None:
            route['error'] = error
        else:
            route['source'] = clip(source, LIMIT_FIELD)
            owner = [a for a in all_addresses if comparable(a['address']) == comparable(source)]
            if owner:
                route['iface'] = owner[0]['iface']
        routes.append(route)
    facts = host_facts(all_addresses)
    facts['routes'] = routes
    return facts


# ---------------------------------------------------------------------------------------------
# The socket table (agent/src/halfopen.ts, src/proc-net-tcp.ts): SYN_RECV entries and listening sockets.

def _decode_ipv4(text):
    n = int(text, 16)
    return '%d.%d.%d.%d' % (n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >> 24) & 255)


def _decode_ipv6(text):
    groups = []
    for word in range(4):
        w = text[word * 8:word * 8 + 8]
        swapped = w[6:8] + w[4:6] + w[2:4] + w[0:2]
        groups += [swapped[0:4], swapped[4:8]]
    full = ':'.join('%x' % int(g, 16) for g in groups)
    m = re.match(r'^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$', full)
    if m:
        hi, lo = int(m.group(1), 16), int(m.group(2), 16)
        return '%d.%d.%d.%d' % (hi >> 8, hi & 255, lo >> 8, lo & 255)
    return full


def _endpoint(text, v6):
    address, _, port = text.partition(':')
    return {'address': _decode_ipv6(address) if v6 else _decode_ipv4(address), 'port': int(port or '0', 16)}


def sample_half_open():
    entries = []
    listening = []
    readable = False
    for path, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
        try:
            with open(path) as f:
                lines = f.read().split('\n')[1:]
            readable = True
        except (OSError, IOError):
            continue
        for line in lines:
            cols = line.split()
            if len(cols) >= 4 and cols[3] == '03':
                entries.append({'local': _endpoint(cols[1], v6), 'remote': _endpoint(cols[2], v6)})
            elif len(cols) >= 4 and cols[3] == '0A':
                listening.append(_endpoint(cols[1], v6))
    if readable:
        sockets = {'measured': True, 'sockets': listening[:LIMIT_LISTENING_SOCKETS]}
    else:
        sockets = {'measured': False, 'reason': 'no /proc/net/tcp on this node', 'sockets': []}
    return {'t': 'halfopen', 'measured': readable, 'entries': entries[:LIMIT_HALF_OPEN_ENTRIES], 'listening': sockets}


# ---------------------------------------------------------------------------------------------
# The run: facts, then the probes at most `concurrency` at a time, in plan order, until done or
# the agent deadline; then the half-open sample and done.

def read_host_tcp():
    """The node's Tcp OutSegs and RetransSegs from /proc/net/snmp (Linux), or None."""
    try:
        with open('/proc/net/snmp') as f:
            lines = [l.split() for l in f if l.startswith('Tcp:')]
        counters = dict(zip(lines[0][1:], lines[1][1:]))
        return {'outSegs': int(counters['OutSegs']), 'retransSegs': int(counters['RetransSegs'])}
    except (OSError, IndexError, KeyError, ValueError):
        return None


def host_tcp_delta(start, end):
    """end - start, the whole host's segments in between; None when unknown or a counter went back."""
    if start is None or end is None:
        return None
    delta = {k: end[k] - start[k] for k in ('outSegs', 'retransSegs')}
    return None if min(delta.values()) < 0 else delta


class PathGates(object):
    """Probes of one callback path (address, port, source) share its first connect (agent/src/path-gate.ts):
    while it is in flight the path's other probes wait and other paths' probes run; if it timed out,
    they are reported with its evidence instead of each waiting out the connect deadline again."""

    def __init__(self):
        self.paths = {}

    @staticmethod
    def key(probe):
        return (probe['address'], probe['port'], probe.get('source'))

    def may_start(self, probe):
        return self.paths.get(self.key(probe), ('clear',))[0] != 'connecting'

    def gated_result(self, probe):
        path = self.paths.get(self.key(probe))
        if path is None or path[0] != 'timed-out':
            return None
        evidence = path[1]
        error = evidence.get('error') or {}
        gated = {'code': error['code']} if 'code' in error else {}
        gated['message'] = clip('%s; not tried again: probe %s had the same address and port' % (error.get('message', 'TCP connect timed out'), evidence['id']), LIMIT_ERROR_MESSAGE)
        return {'t': 'probe', 'id': probe['id'], 'outcome': evidence['outcome'], 'phase': evidence['phase'], 'ms': evidence['ms'], 'error': gated}

    def started(self, probe):
        self.paths.setdefault(self.key(probe), ('connecting', probe['id']))

    def connected(self, probe):
        if self.paths.get(self.key(probe), ('clear',))[0] == 'connecting':
            self.paths[self.key(probe)] = ('clear',)

    def settled(self, probe, result):
        path = self.paths.get(self.key(probe))
        if path is None or path != ('connecting', probe['id']):
            return
        if result['outcome'] == OUTCOME_TIMEOUT and result['phase'] == PHASE_CONNECT:
            self.paths[self.key(probe)] = ('timed-out', result)
        else:
            self.paths[self.key(probe)] = ('clear',)


# ---------------------------------------------------------------------------------------------
# A stalled transfer's retry and the path MTU from the node (agent/src/retry.ts, agent/src/path-mtu.ts):
# a path's first stuck transfer runs once more behind the probes still waiting; after it, DF-set
# echoes (iputils ping -M do) bisect the path MTU toward that controller address (src/mtu-bisect.ts).

def stuck_transfer(probe, result):
    if probe['kind'] not in (KIND_DOWNLOAD, KIND_UPLOAD):
        return False
    if result['outcome'] == OUTCOME_NO_RESPONSE:
        return True
    return result['outcome'] == OUTCOME_STALLED and result.get('error', {}).get('code') != CODE_PROBE_DEADLINE


def path_key(probe):
    return (probe['proto'], probe['address'], probe['port'], probe.get('source', ''))


def retry_line(second):
    line = dict(second)
    line['t'] = 'retry'
    return line


class PingUnavailable(Exception):
    pass


def df_echo_args(address, size):
    family = 6 if is_ipv6(address) else 4
    return (['-6'] if family == 6 else []) + ['-n', '-M', 'do', '-s', str(size - (ECHO_HEADERS_6 if family == 6 else ECHO_HEADERS_4)), '-c', '1', '-W', str(ECHO_WAIT_SEC), address]


def interface_mtu(iface):
    if not iface or not re.match(r'^[\w.@:-]+$', iface):
        return DEFAULT_MTU_CEILING
    try:
        with open('/sys/class/net/%s/mtu' % iface) as f:
            mtu = int(f.read().strip())
    except (IOError, OSError, ValueError):
        return DEFAULT_MTU_CEILING
    # Loopback says 65536, one more than an IP packet can carry.
    return min(mtu, 65535) if mtu >= MTU_FLOOR_4 else DEFAULT_MTU_CEILING


class NodePathMtu(object):
    """The bisection of src/mtu-bisect.ts: floor, ceiling, then halves, at most MAX_MTU_PROBES echoes."""

    def __init__(self, to, iface):
        self.to, self.ceiling, self.probes, self.expired = to, interface_mtu(iface), [], False
        self.floor = MTU_FLOOR_6 if is_ipv6(to) else MTU_FLOOR_4
        self.child = None

    def line(self, measured, mtu=None, below=None, reason=None):
        out = {'t': 'pathmtu', 'to': clip(self.to, LIMIT_FIELD), 'measured': measured, 'interfaceMtu': self.ceiling,
               'probes': list(self.probes), 'command': 'ping ' + ' '.join(df_echo_args(self.to, DEFAULT_MTU_CEILING))}
        for key, value in (('mtu', mtu), ('below', below), ('reason', reason)):
            if value is not None:
                out[key] = clip(value, LIMIT_ERROR_MESSAGE) if key == 'reason' else value
        return out

    def passes(self, size):
        if self.expired:
            raise PingUnavailable('the agent deadline passed during the bisection')
        try:
            self.child = subprocess.Popen([find_tool('ping') or 'ping'] + df_echo_args(self.to, size), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            _, err = self.child.communicate(timeout=ECHO_WAIT_SEC + 2)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
            self.probes.append({'size': size, 'ok': False})
            return False
        except OSError as e:
            raise PingUnavailable('ping on the node could not be run: %s' % e)
        code = self.child.returncode
        if code == 0 or code == 1:
            self.probes.append({'size': size, 'ok': code == 0})
            return code == 0
        why = (err or '').strip().split('\n')[0]
        raise PingUnavailable('ping on the node could not send a DF echo (iputils ping with -M do is needed): %s' % (why or 'exit %d' % code))

    def check_iputils(self):
        # Only iputils ping sets DF (-M do); busybox's rejects it with the status of a lost echo (1).
        tool = find_tool('ping')
        if tool is None:
            raise PingUnavailable('ping (iputils-ping) is not installed on the node')
        try:
            child = subprocess.Popen([tool, '-V'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
            text, _ = child.communicate(timeout=ECHO_WAIT_SEC + 2)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PingUnavailable('ping on the node could not be run: %s' % e)
        if 'iputils' not in text.lower():
            raise PingUnavailable('ping on the node is not iputils ping (busybox?): it cannot set DF (-M do)')

    def run(self):
        try:
            self.check_iputils()
            if not self.passes(self.floor):
                return self.line(False, reason='no echo of even %d bytes was answered: ICMP echo is filtered on the way, or the path was down' % self.floor)
            if self.ceiling <= self.floor or self.passes(self.ceiling):
                return self.line(True, mtu=max(self.floor, self.ceiling))
            passed, failed = self.floor, self.ceiling
            while failed - passed > 1 and len(self.probes) < MAX_MTU_PROBES:
                mid = (passed + failed) // 2
                if self.passes(mid):
                    passed = mid
                else:
                    failed = mid
            return self.line(True, mtu=passed, below=failed if failed - passed > 1 else None)
        except PingUnavailable as e:
            return self.line(False, reason=str(e))
        except Exception as e:
            return self.line(False, reason='agent bug: %s' % e)

    def expire(self):
        self.expired = True
        child = self.child
        if child is not None and child.poll() is None:
            child.kill()
        return self.line(False, reason='the agent deadline passed after %d echoes' % len(self.probes))


class Run(object):
    def __init__(self, plan, started):
        self.plan = plan
        self.started = started
        self.tcp_at_start = read_host_tcp()
        self.deadline_at = started + plan['deadlines']['totalMs'] / 1000.0
        self.lock = threading.Lock()
        self.running = {}
        self.reported = set()
        # Jobs: ('probe', p); a stalled transfer's ('retry', p); after it ('mtu', p) toward p's address.
        self.unstarted = [('probe', p) for p in plan['probes']]
        self.retried_paths = set()
        self.bisected = set()
        self.routes = []
        self.stopped = False
        self.finished = False
        self.free = plan['concurrency']
        self.gates = PathGates()
        # Wakes the dispatcher: a slot freed (its job may have queued a retry), a path opened or timed out, or the agent deadline.
        self.changed = threading.Condition(self.lock)
        self.all_done = threading.Event()

    def report(self, key, line):
        with OUTPUT_LOCK:
            if self.finished or key in self.reported:
                return
            self.reported.add(key)
            write_line(line)

    def job_key(self, job):
        kind, probe = job
        return probe['id'] if kind == 'probe' else '%s %s' % (kind, probe['address'] if kind == 'mtu' else probe['id'])

    def start_job(self, job):
        kind, probe = job
        if kind == 'mtu':
            route = [r for r in self.routes if r.get('to') == probe['address']]
            return NodePathMtu(probe['address'], route[0].get('iface') if route else None)
        if kind == 'retry':
            return start_probe(probe, self.plan, True)
        return start_probe(probe, self.plan, False, lambda probe=probe: self.connected(probe))

    def may_start(self, job):
        # A retry or bisection is past its path's gate: only planned probes wait for a first connect.
        return job[0] != 'probe' or self.gates.may_start(job[1])

    def follow_up(self, job, line):
        """The job a result leads to, under self.lock: a path's first stuck transfer is retried, then bisected."""
        kind, probe = job
        if kind == 'probe' and stuck_transfer(probe, line) and path_key(probe) not in self.retried_paths:
            self.retried_paths.add(path_key(probe))
            return ('retry', probe)
        if kind == 'retry' and probe['address'] not in self.bisected:
            self.bisected.add(probe['address'])
            return ('mtu', probe)
        return None

    def line_of(self, job, result):
        return retry_line(result) if job[0] == 'retry' else result

    def worker(self, job, job_run):
        key = self.job_key(job)
        try:
            line = job_run.run()
        except Exception as err:
            line = failed_probe(job[1], err)
        self.report(key, self.line_of(job, line))
        with self.changed:
            self.running.pop(key, None)
            self.free += 1
            if job[0] == 'probe':
                self.gates.settled(job[1], line)
            follow = None if self.stopped or job[0] == 'mtu' else self.follow_up(job, line)
            if follow is not None:
                self.unstarted.append(follow)
            self.changed.notify_all()

    def connected(self, probe):
        with self.changed:
            self.gates.connected(probe)
            self.changed.notify_all()

    def dispatch(self):
        """Starts jobs in order, skipping probes whose path's first connect is in flight."""
        with self.changed:
            while not self.stopped:
                if not self.unstarted and not self.running:
                    self.all_done.set()
                    return
                ready = next((i for i, job in enumerate(self.unstarted) if self.may_start(job)), None)
                if self.free == 0 or ready is None:
                    self.changed.wait()
                    continue
                job = self.unstarted.pop(ready)
                key = self.job_key(job)
                gated = self.gates.gated_result(job[1]) if job[0] == 'probe' else None
                if gated is not None:
                    self.report(key, gated)
                    continue
                try:
                    job_run = self.start_job(job)
                except Exception as err:
                    self.report(key, self.line_of(job, failed_probe(job[1], err)))
                    continue
                if job[0] == 'probe':
                    self.gates.started(job[1])
                self.running[key] = (job, job_run)
                self.free -= 1
                thread = threading.Thread(target=self.worker, args=(job, job_run))
                thread.daemon = True
                thread.start()

    def start(self):
        facts = {}

        def gather():
            try:
                facts['value'] = gather_facts(self.plan['controllerAddresses'])
            except Exception as err:
                facts['error'] = clip(str(err), LIMIT_ROUTE_ERROR)
        # Facts are evidence, not a precondition; the agent deadline bounds them too.
        thread = threading.Thread(target=gather)
        thread.daemon = True
        thread.start()
        thread.join(max(0, self.deadline_at - now()))
        value = facts.get('value')
        if value is None:
            value = host_facts([])
            reason = facts.get('error', CODE_AGENT_DEADLINE)
            value['routes'] = [{'to': clip(to, LIMIT_FIELD), 'error': reason} for to in self.plan['controllerAddresses'][:LIMIT_ROUTES]]
        emit(value)
        self.routes = value.get('routes', [])
        dispatcher = threading.Thread(target=self.dispatch)
        dispatcher.daemon = True
        dispatcher.start()
        if not self.all_done.wait(max(0, self.deadline_at - now())):
            self.on_deadline()
        self.finish()

    def on_deadline(self):
        with self.changed:
            self.stopped = True
            unstarted = self.unstarted
            self.unstarted = []
            running = list(self.running.values())
            # Unblock the dispatcher if it waits for a slot or a path.
            self.changed.notify_all()
        for job, job_run in running:
            self.report(self.job_key(job), self.line_of(job, job_run.expire()))
        # A retry or bisection that never started leaves no line: the first attempt's result stands.
        for kind, probe in unstarted:
            if kind == 'probe':
                self.report(probe['id'], not_started(probe))

    def finish(self):
        half_open = sample_half_open()
        with OUTPUT_LOCK:
            self.finished = True
            write_line(half_open)
            done = {'t': 'done', 'ms': since(self.started)}
            host_tcp = host_tcp_delta(self.tcp_at_start, read_host_tcp())
            if host_tcp is not None:
                done['hostTcp'] = host_tcp
            write_line(done)
        exit_now(0)


def main():
    started = now()
    try:
        plan = read_plan(globals().get('TWOWAY_PLAN'))
    except PlanProblem as problem:
        emit({'t': 'fatal', 'message': clip('invalid plan: %s' % problem, LIMIT_FATAL_MESSAGE)})
        exit_now(1)
    except TypeError:
        emit({'t': 'fatal', 'message': 'no plan: TWOWAY_PLAN is not set'})
        exit_now(1)
    emit({'t': 'agent', 'flavour': 'python', 'version': AGENT_VERSION, 'runtime': clip('Python ' + platform.python_version(), LIMIT_RUNTIME), 'platform': clip(sys.platform, LIMIT_PLATFORM)})
    Run(plan, started).start()


try:
    main()
except SystemExit:
    raise
except BaseException as crash:
    # A bug must still end in one parseable line and an exit, never a stack trace and a hang.
    import traceback
    emit({'t': 'fatal', 'message': clip('agent crashed: ' + ''.join(traceback.format_exception_only(type(crash), crash)).strip(), LIMIT_FATAL_MESSAGE)})
    exit_now(1)
