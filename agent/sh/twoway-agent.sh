# twoway agent, POSIX sh flavour (dash, busybox ash, bash as sh). The controller puts the plan in
# front of this text as variable assignments (controller/agents/sh.ts) and streams both to `sh -s`:
# nothing is written on the node (no temp files, no here-documents: bash as sh writes those to disk).
# It speaks the Node reference agent's JSON Lines (src/protocol.ts) with the node's own tools. The
# protocol constants it uses (OUTCOME_*, PHASE_*, CODE_*, PATH_*, KIND_*, LIMIT_*, ...) are assigned
# in front of it too (controller/agents/wire-constants.ts): no code, outcome or path is typed here.
#   sh-curl  curl: every probe; https pinned by SPKI (--pinnedpubkey)
#   sh-wget  GNU or busybox wget: http only (wget cannot pin a certificate)
#   sh-tcp   nc (detection requires it): TCP connect only; everything past the connect is 'unsupported'
# No flavour has a WebSocket client or an FTP client: hold and ftp probes are 'unsupported'.
# Probes run in TW_CONC lanes (background jobs), each lane sequential; the lanes report to one
# reader, which alone writes stdout, so lines never interleave.
# Comment lines and indentation are stripped before sending (controller/agents/sh.ts): no line
# inside a string that spans lines (the awk programs) may start with "#" or depend on its indentation.

LC_ALL=C
export LC_ALL
# curl and wget honour proxy variables; the reference agent connects directly (curl -q skips .curlrc).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
# GNU wget takes an upload as one argument; Linux caps one argument at 128 KiB.
ARG_MAX_BODY=131000
NL=$(printf '\nx')
NL=${NL%x}
# yes(1) adds the newline UPLOAD_LINE ends with.
UL_LINE=${UPLOAD_LINE%"$NL"}

# NOW: milliseconds on a monotonic clock where /proc has one (no fork), else the wall clock.
tw_now() {
  if [ -r /proc/uptime ] && read -r up _ </proc/uptime; then
    NOW=$((${up%.*} * 1000 + 1${up#*.}0 - 1000))
  else
    NOW=$(($(date +%s) * 1000))
  fi
}
# Seconds for the tools' flags: exact (curl, GNU wget, sleep, timeout) and rounded up (busybox, nc).
tw_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
tw_ceil() { echo $((($1 + 999) / 1000)); }
tw_has() { command -v "$1" >/dev/null 2>&1; }
# A JSON string body: control characters dropped, quotes and backslashes escaped, clipped (to an error
# message's limit, in bytes, so never over it in characters).
# Clipped before escaping, so a cut never splits an escape and leaves a stray backslash.
tw_esc() { printf '%s' "$1" | tr '\n\r\t' '   ' | tr -d '\000-\037' | cut -c1-"$LIMIT_ERROR_MESSAGE" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
tw_err() { ERR=",\"error\":{${2:+\"code\":\"$2\",}\"message\":\"$(tw_esc "$1")\"}"; }
tw_fatal() { printf '{"t":"fatal","message":"%s"}\n' "$(tw_esc "$1")"; exit 1; }
tw_sleep() { [ "$1" -gt 0 ] || return 0; sleep "$(tw_s "$1")" 2>/dev/null || sleep "$(tw_ceil "$1")"; }

tw_tools() {
  # Without these the agent could only emit empty errors: say plainly what the node lacks.
  MISSING=
  for t in sed tr cut head tee wc; do tw_has "$t" || MISSING="$MISSING $t"; done
  [ -z "$MISSING" ] || { printf '{"t":"fatal","message":"%s: missing on PATH:%s"}\n' "$TW_FLAVOUR" "$MISSING"; exit 1; }
  HASH=sha256sum
  tw_has sha256sum || HASH=
  TMO=timeout
  tw_has timeout || TMO=
  # GNU timeout runs its command in a process group of its own, out of reach of tw_hangup; not so with --foreground.
  # Checked with sleep, a tool the agent needs anyway (true need not be a program on PATH).
  [ -n "$TMO" ] && timeout --foreground 1 sleep 0 >/dev/null 2>&1 && TMO="$TMO --foreground"
  FRAC=
  sleep 0.001 >/dev/null 2>&1 && FRAC=1
  # wget has no whole-exchange deadline of its own: without timeout(1) the plan's could not be kept.
  [ "$TW_FLAVOUR" != sh-wget ] || [ -n "$TMO" ] || tw_fatal 'sh-wget: no timeout(1) on PATH, so the plan deadlines cannot be kept'
  NC=nc NCZ= NCS=
  if tw_has nc; then
    # OpenBSD nc: -z (connect only) and -s (source); busybox nc: neither, it closes on EOF from /dev/null.
    # -v with -z: OpenBSD nc then says why a connect failed (refused, timed out), which it otherwise keeps to its exit status.
    nc -h 2>&1 | grep -q -- '-z' && NCZ='-v -z'
    nc -h 2>&1 | grep -q -- '-s ' && NCS=1
  else
    NC=
  fi
  GNU=
  case $TW_FLAVOUR in
    sh-curl)
      tw_has curl || tw_fatal 'sh-curl: no curl on PATH'
      RUNTIME=$(curl --version 2>/dev/null | sed -n '1s/^\(curl [^ ]*\).*/\1/p') ;;
    sh-wget)
      tw_has wget || tw_fatal 'sh-wget: no wget on PATH'
      if wget --version 2>/dev/null | grep -q 'GNU Wget'; then
        GNU=1
        RUNTIME=$(wget --version | sed -n '1s/^\(GNU Wget [^ ]*\).*/\1/p')
      else
        GNU=
        RUNTIME='busybox wget'
        # Debian's busybox wget lacks -T (and crashes on it): only use it where its help lists it.
        BBT=
        wget --help 2>&1 | grep -q -- '-T SEC' && BBT=1
      fi ;;
    *)
      RUNTIME="sh${NC:+ nc}" ;;
  esac
}

tw_facts() {
  IPO=
  tw_has ip && IPO=$(ip -o addr 2>/dev/null)
  # "4: eth0    inet 192.0.2.2/24 brd ... scope global eth0\ ...": skip host scope (loopback), as the reference agent skips internal addresses.
  ADDRS=$(printf '%s\n' "$IPO" | awk -v most="$LIMIT_ADDRESSES" -v field="$LIMIT_FIELD" '($3=="inet"||$3=="inet6") && $0 !~ / scope host / && n<most {
    i=$2; sub(/@.*/,"",i); a=$4; sub(/\/.*/,"",a)
    printf "%s{\"iface\":\"%s\",\"address\":\"%s\",\"family\":\"%s\"}", (n++?",":""), substr(i,1,field), a, ($3=="inet"?"IPv4":"IPv6") }')
  ROUTES=
  for to in $TW_CONTROLLERS; do
    if [ -z "$IPO" ]; then
      r="{\"to\":\"$to\",\"error\":\"no ip command on this node\"}"
    else
      got=$(ip route get "$to" 2>&1)
      src=$(printf '%s\n' "$got" | sed -n 's/.* src \([^ ]*\).*/\1/p' | head -n 1)
      if [ -n "$src" ]; then
        # The interface that owns the source address, as the reference agent names it.
        dev=$(printf '%s\n' "$IPO" | awk -v s="$src" -v field="$LIMIT_FIELD" '{a=$4; sub(/\/.*/,"",a); i=$2; sub(/@.*/,"",i)} a==s {print substr(i,1,field); exit}')
        r="{\"to\":\"$to\",\"source\":\"$src\"${dev:+,\"iface\":\"$dev\"}}"
      else
        case $got in
          *'Network is unreachable'*) e=ENETUNREACH ;;
          *'No route to host'*) e=EHOSTUNREACH ;;
          *) e=$(tw_esc "$got" | cut -c1-200) ;;
        esac
        r="{\"to\":\"$to\",\"error\":\"$e\"}"
      fi
    fi
    ROUTES="$ROUTES${ROUTES:+,}$r"
  done
  printf '{"t":"facts","hostname":"%s","addresses":[%s],"routes":[%s]}\n' "$(tw_esc "$(uname -n 2>/dev/null)" | cut -c1-"$LIMIT_HOSTNAME")" "$ADDRS" "$ROUTES"
}

# SYN_RECV (state 03) entries and LISTEN (0A) sockets of /proc/net/tcp{,6}; addresses are 32-bit words in host (little-endian) order.
tw_halfopen() {
  files=
  for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files="$files $f"; done
  if [ -z "$files" ] || ! tw_has awk; then
    echo '{"t":"halfopen","measured":false,"entries":[],"listening":{"measured":false,"reason":"no /proc/net/tcp or no awk on this node","sockets":[]}}'
    return
  fi
  e=$(tw_socket_awk "$LIMIT_HALF_OPEN_ENTRIES" '$4=="03"' 'printf "%s{\"local\":%s,\"remote\":%s}", (n++?",":""), ep($2,six), ep($3,six)' $files)
  l=$(tw_socket_awk "$LIMIT_LISTENING_SOCKETS" '$4=="0A"' 'printf "%s%s", (n++?",":""), ep($2,six)' $files)
  printf '{"t":"halfopen","measured":true,"entries":[%s],"listening":{"measured":true,"sockets":[%s]}}\n' "$e" "$l"
}

# Rows of /proc/net/tcp{,6} (files from $4 on) in state $2 (an awk condition), at most $1, each printed by $3.
tw_socket_awk() {
  most=$1 cond=$2 print=$3
  shift 3
  awk -v most="$most" 'function hx(s,  i,n) { n=0; for (i=1; i<=length(s); i++) n = n*16 + index("0123456789abcdef", tolower(substr(s,i,1))) - 1; return n }
    function b(w,k) { return substr(w, 9-2*k, 2) }
    function v4(h) { return hx(b(h,1)) "." hx(b(h,2)) "." hx(b(h,3)) "." hx(b(h,4)) }
    function v6(h,  w,o,x,p,hi,lo) {
      o=""
      for (w=0; w<4; w++) { x=substr(h, w*8+1, 8); o = o (w?":":"") sprintf("%x:%x", hx(b(x,1) b(x,2)), hx(b(x,3) b(x,4))) }
      if (o ~ /^0:0:0:0:0:ffff:/) { split(o,p,":"); hi=hx(p[7]); lo=hx(p[8]); o = int(hi/256) "." hi%256 "." int(lo/256) "." lo%256 }
      return o }
    function ep(s,six,  p) { split(s,p,":"); return "{\"address\":\"" (six ? v6(p[1]) : v4(p[1])) "\",\"port\":" hx(p[2]) "}" }
    FNR>1 && '"$cond"' && n<most { six = FILENAME ~ /6$/; '"$print"' }' "$@"
}

# BUDGET: what this exchange may take, probeMs or what is left of totalMs; BCODE says which.
tw_budget() {
  tw_now
  BUDGET=$TW_PROBE_MS
  BCODE=$CODE_PROBE_DEADLINE
  if [ $((TW_END - NOW)) -lt "$BUDGET" ]; then BUDGET=$((TW_END - NOW)); BCODE=$CODE_AGENT_DEADLINE; fi
  [ "$BUDGET" -gt 0 ]
}

tw_url() {
  case $P_ADDR in *:*) h="[$P_ADDR]" ;; *) h=$P_ADDR ;; esac
  URL="$P_PROTO://$h:$P_PORT$1?probe=$P_ID$2"
}

# The request body on stdin: upload content (UPLOAD_LINE repeated, cut to size) or nothing.
tw_feed() {
  if [ "$P_KIND" = "$KIND_UPLOAD" ]; then yes "$UL_LINE" | head -c "$P_SIZE"; fi
}
# Where the answer goes: counted (to fd 5), and hashed (a download) or kept (an answer, 16 KiB at most).
tw_sink() {
  if [ "$P_KIND" != "$KIND_DOWNLOAD" ]; then
    tee /dev/fd/5 | { head -c 16384 | tr -d '\r\n'; echo; } | sed 's/^/B /' >&4
  elif [ -n "$HASH" ]; then
    tee /dev/fd/5 | $HASH | sed 's/^/H /' >&4
  else
    cat >/dev/fd/5
  fi
}
# The token in the client's own format: a header line for curl -H @file; for GNU wget a cookie
# (--load-cookies; it reads no config file that is not a regular file, and the listener takes the
# token from a cookie of the header's name too). Busybox wget reads neither: it gets the token as
# proxy credentials in its environment (tw_wget), never on its command line.
tw_secret() {
  case $TW_FLAVOUR$GNU in
    sh-curl) printf '%s: %s\n' "$TOKEN_HEADER" "$TW_TOKEN" ;;
    sh-wget1) printf '%s\tFALSE\t/\tFALSE\t0\t%s\t%s\n' "$P_ADDR" "$TOKEN_HEADER" "$TW_TOKEN" ;;
  esac
}
# Runs the client ("$@"), which writes the body to fd 3. OUT gets its exit status (X, on a line of
# its own even if a killed client left one unfinished), its messages, the sink's lines, and the
# body's byte count (N).
# The run token reaches the client on fd 6, a pipe the shell's builtin printf writes (tw_secret): never
# on a command line, which every local user can read in ps.
tw_run() {
  OUT=$({ { { tw_secret | { tw_feed | "$@" 3>&1 1>&4 2>&4; } 6<&0; printf '\nX %s\n' $? >&4; } | tw_sink; } 5>&1 | wc -c | sed 's/^ */N /'; } 4>&1)
  X=$(tw_line X)
}
tw_line() { printf '%s\n' "$OUT" | sed -n "s/^$1 //p" | head -n 1; }

# One HTTP exchange with curl: its -w line (TW) has the status, sizes and local end; its verbose log says why a connect failed.
tw_curl() {
  set -- -q -sS -v -g -o /dev/fd/3 --connect-timeout "$(tw_s "$TW_CONNECT_MS")" --max-time "$(tw_s "$BUDGET")" \
    --speed-limit 1 --speed-time "$(tw_ceil "$TW_STALL_MS")" -H @/dev/fd/6 -H 'connection: close' -H 'Expect:' \
    -w '\nTW %{http_code} %{size_download} %{size_upload} %{local_ip} %{local_port} %{time_appconnect} %{time_connect}\n' "$@"
  [ "$P_SRC" = - ] || set -- "$@" --interface "$P_SRC"
  [ "$P_PROTO" = "$PROTO_HTTPS" ] && set -- "$@" -k --pinnedpubkey "sha256//$TW_SPKI"
  case $P_KIND in
    "$KIND_UPLOAD") set -- "$@" -H 'content-type: application/octet-stream' --data-binary @- ;;
    "$KIND_STATUS") set -- "$@" -H 'content-type: application/json' --data-binary "$BODY" ;;
  esac
  tw_run curl "$@" "$URL"
  set -- $(tw_line TW)
  HTTP=${1:-000} DL=${2:-0} UL=${3:-0} LIP=$4 LPORT=${5:-0} TAPP=${6:-0} TCON=${7:-0}
  EMSG=$(printf '%s\n' "$OUT" | sed -n 's/^curl: ([0-9]*) //p' | head -n 1)
  WHY=$(printf '%s\n' "$OUT" | sed -n 's/^\* connect to .* failed: //p' | head -n 1)
  # The local port is set as soon as the SYN goes out; only time_connect says the handshake completed.
  case $TCON in 0|0.0|0.000000) CONNECTED= ;; *) CONNECTED=1 ;; esac
  LOCAL=
  [ -n "$CONNECTED" ] && [ "$LPORT" != 0 ] && [ -n "$LIP" ] && LOCAL=",\"local\":{\"address\":\"$LIP\",\"port\":$LPORT}"
  SLOW=
  case $EMSG in *'too slow'*) SLOW=1 ;; esac
  case $X in
    0) DONE=1 ;; 18) DONE=cut ;; 23) DONE=long ;; 28) DONE=deadline ;; 52) DONE=closed ;; 55|56) DONE=connreset ;; 7|45) DONE=noconnect ;; *) DONE= ;;
  esac
  [ "$X" = 28 ] && [ -z "$CONNECTED" ] && DONE=connect-deadline
  [ "$P_PROTO" = "$PROTO_HTTPS" ] && [ -n "$CONNECTED" ] && [ "$HTTP" = 000 ] && case $TAPP in 0|0.000000) DONE=handshake ;; esac
  [ "$X" = 90 ] && DONE=pin
  [ "$X" = 35 ] && DONE=handshake
  [ -n "$EMSG" ] || EMSG="curl exit $X"
}

# The same with wget (GNU: its own connect and read deadlines; busybox: timeout(1)).
tw_wget() {
  if [ -n "$GNU" ]; then
    set -- -S -O /dev/fd/3 --tries=1 --max-redirect=0 --no-proxy --connect-timeout="$(tw_s "$TW_CONNECT_MS")" --read-timeout="$(tw_s "$TW_STALL_MS")"
    [ "$P_SRC" = - ] || set -- "$@" --bind-address="$P_SRC"
  else
    # The listener itself is the proxy: busybox wget sends the proxy credentials from http_proxy
    # (its environment, which no other local user can read) as Proxy-Authorization, the token in them.
    set -- -S -O /dev/fd/3 -Y on
    [ -n "$BBT" ] && set -- "$@" -T "$(tw_ceil "$TW_STALL_MS")"
  fi
  [ -n "$GNU" ] && set -- "$@" --load-cookies /dev/fd/6
  set -- "$@" --header 'connection: close'
  case $P_KIND in
    "$KIND_UPLOAD")
      set -- "$@" --header 'content-type: application/octet-stream'
      if [ -n "$GNU" ]; then
        BODY=$(tw_feed; echo x)
        set -- "$@" --post-data "${BODY%x}"
      else
        set -- "$@" --post-file /dev/stdin
      fi ;;
    "$KIND_STATUS") set -- "$@" --header 'content-type: application/json' --post-data "$BODY" ;;
  esac
  [ -n "$TMO" ] && set -- $TMO "$(tw_s "$BUDGET")" wget "$@" || set -- wget "$@"
  [ -z "$GNU" ] && export http_proxy="http://$TOKEN_HEADER:$TW_TOKEN@$h:$P_PORT/"
  tw_run "$@" "$URL"
  unset http_proxy
  HTTP=$(printf '%s\n' "$OUT" | sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
  HTTP=${HTTP:-000}
  DL=$(tw_line N)
  # wget does not say how much of an upload it sent: only that all of it went, once answered.
  [ "$P_KIND" = "$KIND_UPLOAD" ] && [ "$HTTP" != 000 ] && UL=$P_SIZE || UL=
  LOCAL=
  EMSG=$(printf '%s\n' "$OUT" | grep -i -e 'failed:' -e 'error' -e 'wget: ' -e 'closed' | grep -v '^ *HTTP/' | tail -n 1)
  WHY=$(printf '%s\n' "$OUT" | sed -n -e 's/.*failed: \([^.]*\)\..*/\1/p' -e 's/^wget: can.t connect to remote host ([^)]*): //p' | head -n 1)
  SLOW=
  DONE=
  case $X in
    0) DONE=1 ;;
    124|137|143) DONE=deadline ;;
    *)
      case $OUT in
        *'failed: Connection timed out'*) DONE=connect-deadline ;;
        *'Read error'*'timed out'*|*'download timed out'*) DONE=deadline SLOW=1 ;;
        *'Connection closed at byte'*|*'closed prematurely'*|*'Read error at byte'*) DONE=cut ;;
        *'Read error'*|*'reset by peer'*|*'error getting response'*) DONE=connreset ;;
      esac
      [ -n "$WHY" ] && DONE=noconnect
      [ "$HTTP" != 000 ] && [ -z "$DONE" ] && DONE=1 ;;
  esac
  # busybox wget cut by timeout(1) before any answer does not say whether it had connected: a connect check by nc right after tells a path that takes no connection from an answer that never came.
  if [ "$DONE" = deadline ] && [ "$HTTP" = 000 ] && [ -z "$GNU" ]; then
    DONE=blind
    if [ -n "$NC" ]; then
      tw_nc
      case $CONN in "$OUTCOME_OK") DONE=deadline ;; *) DONE=noconnect WHY=$CONN EMSG="connect check after the deadline: $NCOUT" ;; esac
    fi
  fi
  # busybox wget without -T has no stall deadline: cut mid-body by the probe deadline, a stall and a slow transfer look alike.
  [ "$DONE" = deadline ] && [ "$HTTP" != 000 ] && [ -z "$GNU" ] && [ -z "$BBT" ] && DONE=blindbody
  [ -n "$EMSG" ] || EMSG="wget exit $X"
}

# TCP connect by nc within connectMs: CONN is the outcome (ok, refused, timeout, unreachable), or other.
tw_nc() {
  set -- "$NC" $NCZ -w "$(tw_ceil "$TW_CONNECT_MS")"
  [ "$P_SRC" = - ] || set -- "$@" -s "$P_SRC"
  [ -n "$TMO" ] && set -- $TMO "$(tw_s $((TW_CONNECT_MS + 500)))" "$@"
  NCOUT=$("$@" "$P_ADDR" "$P_PORT" </dev/null 2>&1 >/dev/null)
  NCX=$?
  case $NCX/$NCOUT in
    0/*) CONN=$OUTCOME_OK ;;
    */*'Connection refused'*) CONN=$OUTCOME_REFUSED ;;
    */*'timed out'*|*/*'in progress'*|124/*|143/*) CONN=$OUTCOME_TIMEOUT ;;
    */*'No route'*|*/*'is unreachable'*|*/*'assign requested'*) CONN=$OUTCOME_UNREACHABLE ;;
    *) CONN=other ;;
  esac
  [ -n "$NCOUT" ] || NCOUT="nc exit $NCX"
}

# Sets R_OUT, R_PHASE and R_EXTRA (JSON fields after ms) for a connect that did not succeed.
tw_connect_failed() {
  R_PHASE=$PHASE_CONNECT
  case $1 in
    "$OUTCOME_REFUSED"|*'Connection refused'*) R_OUT=$OUTCOME_REFUSED; tw_err "connect to $P_ADDR:$P_PORT: ${2:-Connection refused}" ECONNREFUSED ;;
    "$OUTCOME_TIMEOUT"|*'timed out'*) R_OUT=$OUTCOME_TIMEOUT; tw_err "TCP connect to $P_ADDR:$P_PORT did not complete within $TW_CONNECT_MS ms" "$CODE_CONNECT_TIMEOUT" ;;
    "$OUTCOME_UNREACHABLE") R_OUT=$OUTCOME_UNREACHABLE; tw_err "connect to $P_ADDR:$P_PORT: $2" ;;
    *'No route'*) R_OUT=$OUTCOME_UNREACHABLE; tw_err "$1" EHOSTUNREACH ;;
    *'Network is unreachable'*) R_OUT=$OUTCOME_UNREACHABLE; tw_err "$1" ENETUNREACH ;;
    *'assign requested'*) R_OUT=$OUTCOME_UNREACHABLE; tw_err "$1" EADDRNOTAVAIL ;;
    *'Connection reset'*) R_OUT=$OUTCOME_RESET; tw_err "$1" ECONNRESET ;;
    *) R_OUT=$OUTCOME_ERROR; tw_err "${2:-$1}" ;;
  esac
  R_EXTRA=$ERR
}

# One exchange (hello, download, upload, one status post): R_OUT, R_PHASE, R_EXTRA.
tw_exchange() {
  R_EXTRA=
  if [ "$TW_FLAVOUR" = sh-tcp ]; then
    if [ -z "$NC" ]; then tw_unsupported "$PHASE_CONNECT" 'no nc on this node: the sh-tcp agent cannot even try a TCP connect'; return; fi
    if [ "$P_SRC" != - ] && [ -z "$NCS" ]; then tw_unsupported "$PHASE_CONNECT" "this nc cannot bind the source address $P_SRC"; return; fi
    tw_nc
    case $CONN in
      "$OUTCOME_OK") tw_unsupported "$PHASE_REQUEST" "TCP connect to $P_ADDR:$P_PORT succeeded; the sh-tcp agent has no HTTP client, so nothing past the connect was measured" ;;
      *) tw_connect_failed "$CONN" "$NCOUT" ;;
    esac
    return
  fi
  if [ "$TW_FLAVOUR" = sh-wget ]; then
    if [ "$P_PROTO" = "$PROTO_HTTPS" ]; then tw_unsupported "$PHASE_CONNECT" 'wget cannot pin the listener certificate: https is not measured (never reported ok unpinned)'; return; fi
    if [ "$P_SRC" != - ] && [ -z "$GNU" ]; then tw_unsupported "$PHASE_CONNECT" "busybox wget cannot bind the source address $P_SRC"; return; fi
    if [ "$P_KIND" = "$KIND_UPLOAD" ] && [ -n "$GNU" ] && [ "$P_SIZE" -gt "$ARG_MAX_BODY" ]; then tw_unsupported "$PHASE_CONNECT" "GNU wget needs a file for a $P_SIZE-byte upload and this agent writes nothing to disk"; return; fi
    tw_wget
  else
    if [ "$P_PROTO" = "$PROTO_HTTPS" ] && [ -z "$TW_SPKI" ]; then tw_unsupported "$PHASE_CONNECT" 'the plan has no public-key pin (spkiSha256Base64), and curl cannot pin a certificate fingerprint'; return; fi
    tw_curl
  fi
  R_EXTRA=$LOCAL
  if [ "$HTTP" != 000 ]; then
    R_EXTRA="$R_EXTRA,\"httpStatus\":$HTTP"
    case $HTTP in
      2??) ;;
      *)
        R_PHASE=$PHASE_RESPONSE
        if [ "$P_KIND" = "$KIND_UPLOAD" ] && [ "$HTTP" = "$UPLOAD_CORRUPT_STATUS" ]; then
          R_OUT=$OUTCOME_CORRUPT; tw_err "listener answered $HTTP: the upload arrived with other content than planned"
        else
          R_OUT=$OUTCOME_HTTP_ERROR; tw_err "listener answered $HTTP"
        fi
        R_EXTRA="$R_EXTRA$ERR"
        return ;;
    esac
  fi
  # Bytes: received for an answer or download, sent for an upload.
  if [ "$P_KIND" = "$KIND_UPLOAD" ]; then BYTES=$UL; else BYTES=$DL; fi
  case $DONE in
    noconnect) tw_connect_failed "${WHY:-$EMSG}" "$EMSG"; return ;;
    connect-deadline) tw_connect_failed "$OUTCOME_TIMEOUT"; return ;;
    pin) R_PHASE=$PHASE_TLS R_OUT=$OUTCOME_TLS_MISMATCH; tw_err "the listener certificate's public key is not the pinned sha256//$TW_SPKI: $EMSG"; R_EXTRA="$R_EXTRA$ERR"; return ;;
    handshake) R_PHASE=$PHASE_TLS R_OUT=$OUTCOME_TLS_ERROR; tw_err "$EMSG" "$([ "$X" = 28 ] && echo "$CODE_TLS_TIMEOUT")"; R_EXTRA="$R_EXTRA$ERR"; return ;;
    blind) tw_unsupported "$PHASE_CONNECT" "no answer before the probe deadline; busybox wget does not say whether it connected, and there is no nc to check"; return ;;
    blindbody) tw_unsupported "$PHASE_BODY" "$DL bytes arrived before the probe deadline; busybox wget without -T cannot tell a stalled transfer from a slow one"; return ;;
  esac
  if [ "$HTTP" = 000 ]; then
    # Connected, no answer: still sending an upload (body), or waiting for the answer (response).
    if [ "$TW_FLAVOUR" = sh-curl ] && [ "$P_KIND" = "$KIND_UPLOAD" ] && [ "${UL:-0}" -lt "$P_SIZE" ]; then R_PHASE=$PHASE_BODY; else R_PHASE=$PHASE_RESPONSE; fi
    case $DONE in
      deadline)
        if [ -n "$SLOW" ] && { [ "$R_PHASE" = "$PHASE_BODY" ] || [ "$P_KIND" = "$KIND_UPLOAD" ]; }; then
          R_OUT=$OUTCOME_STALLED; tw_err "stall deadline of $TW_STALL_MS ms passed after sending $UL bytes: $EMSG" "$CODE_STALL"
        elif [ "$R_PHASE" = "$PHASE_BODY" ]; then
          R_OUT=$OUTCOME_STALLED; tw_err "probe deadline passed after sending $UL bytes: $EMSG" "$BCODE"
        else
          R_OUT=$OUTCOME_NO_RESPONSE; tw_err "no answer: $EMSG" "$([ -n "$SLOW" ] && echo "$CODE_STALL" || echo "$BCODE")"
        fi ;;
      closed|connreset) R_OUT=$OUTCOME_RESET; tw_err "$EMSG" ECONNRESET; [ "$R_PHASE" = "$PHASE_BODY" ] && R_OUT=$OUTCOME_TRUNCATED ;;
      *) R_OUT=$OUTCOME_ERROR; tw_err "$EMSG" ;;
    esac
    R_EXTRA="$R_EXTRA${BYTES:+,\"bytes\":$BYTES}$ERR"
    return
  fi
  R_PHASE=$PHASE_BODY
  R_EXTRA="$R_EXTRA${BYTES:+,\"bytes\":$BYTES}"
  case $DONE in
    1) tw_check ;;
    cut|connreset) R_OUT=$OUTCOME_TRUNCATED; tw_err "connection closed after $BYTES bytes of the body: $EMSG" ;;
    long) R_OUT=$OUTCOME_CORRUPT; tw_err 'answer is longer than 16384 bytes' ;;
    deadline) R_OUT=$OUTCOME_STALLED; tw_err "$EMSG (at byte $BYTES)" "$([ -n "$SLOW" ] && echo "$CODE_STALL" || echo "$BCODE")" ;;
    *) R_OUT=$OUTCOME_ERROR; tw_err "$EMSG" ;;
  esac
  [ "$R_OUT" = "$OUTCOME_OK" ] || R_EXTRA="$R_EXTRA$ERR"
}

tw_unsupported() { R_OUT=$OUTCOME_UNSUPPORTED R_PHASE=$1; tw_err "$2" "$CODE_UNSUPPORTED"; R_EXTRA="$R_EXTRA$ERR"; }

# The answer to a completed exchange, checked as the reference agent checks it.
tw_check() {
  A=$(tw_line B)
  R_OUT=$OUTCOME_OK
  case $P_KIND in
    "$KIND_DOWNLOAD")
      if [ "$DL" -lt "$P_SIZE" ]; then R_OUT=$OUTCOME_TRUNCATED; tw_err "body ended after $DL of $P_SIZE bytes"
      elif [ "$DL" -gt "$P_SIZE" ]; then R_OUT=$OUTCOME_CORRUPT; tw_err "body is longer than the $P_SIZE bytes planned"
      elif [ -z "$HASH" ]; then R_OUT=$OUTCOME_UNSUPPORTED; tw_err "$DL bytes arrived, but this node has no sha256sum to check their content" "$CODE_UNSUPPORTED"
      else
        got=$(tw_line H)
        got=${got%% *}
        [ "$got" = "$P_SHA" ] || { R_OUT=$OUTCOME_CORRUPT; tw_err "body has SHA-256 $got, expected $P_SHA"; }
      fi ;;
    "$KIND_HELLO")
      sa=$(printf '%s\n' "$A" | sed -n "s/.*\"address\":\"\\([0-9A-Fa-f.:]\\{1,$LIMIT_FIELD\\}\\)\".*/\\1/p")
      sp=$(printf '%s\n' "$A" | sed -n 's/.*"port":\([0-9]\{1,5\}\)[,}].*/\1/p')
      if [ -n "$sa" ] && [ -n "$sp" ] && [ "$sp" -le 65535 ]; then R_EXTRA="$R_EXTRA,\"seen\":{\"address\":\"$sa\",\"port\":$sp}"
      else R_OUT=$OUTCOME_CORRUPT; tw_err 'hello answer has no valid "address" and "port"'; fi ;;
    "$KIND_STATUS")
      case $A in *'"ok":true'*) ;; *) R_OUT=$OUTCOME_CORRUPT; tw_err 'status answer is not {"ok":true}' ;; esac ;;
    "$KIND_UPLOAD")
      case $A in *'"sha256ok":true'*) ;; *) R_OUT=$OUTCOME_CORRUPT ;; esac
      case $A in *"\"bytes\":$P_SIZE"[,}]*) ;; *) R_OUT=$OUTCOME_CORRUPT ;; esac
      [ "$R_OUT" = "$OUTCOME_OK" ] || tw_err "upload answer is not {\"bytes\":$P_SIZE,\"sha256ok\":true}" ;;
  esac
}

tw_emit() { E_OUT=$1 E_PHASE=$2 E_MS=$3; printf 'R %s {"t":"probe","id":"%s","outcome":"%s","phase":"%s","ms":%s%s}\n' "$P_ID" "$P_ID" "$1" "$2" "$3" "$4"; }

# Probes of one path (address, port, source) share its first connect (agent/src/path-gate.ts), with
# nothing written on the node: the lanes are separate processes, so each lane is given whole paths
# (tw_assign_lanes) and keeps what it learnt in G_TIMED. A lane tries a path's connect once; when that
# timed out, its other probes of the path are reported with that evidence, not tried again.
# Returns 0 when the probe was reported that way.
tw_gated() {
  case $P_KIND in "$KIND_HOLD"|"$KIND_FTP") return 1 ;; esac
  case "$G_TIMED " in *" $P_ADDR/$P_PORT/$P_SRC="*) ;; *) return 1 ;; esac
  g=${G_TIMED#*" $P_ADDR/$P_PORT/$P_SRC="}
  g=${g%% *}
  tw_now
  T=$NOW
  tw_err "TCP connect to $P_ADDR:$P_PORT did not complete within $TW_CONNECT_MS ms; not tried again: probe ${g%%:*} had the same address and port" "$CODE_CONNECT_TIMEOUT"
  tw_emit "$OUTCOME_TIMEOUT" "$PHASE_CONNECT" "${g#*:}" "$ERR"
  return 0
}

# A probe ended: if its connect timed out, the lane's later probes of its path are gated on it.
tw_gate_settle() {
  case $P_KIND in "$KIND_HOLD"|"$KIND_FTP") return 0 ;; esac
  [ "$E_OUT" = "$OUTCOME_TIMEOUT" ] && [ "$E_PHASE" = "$PHASE_CONNECT" ] || return 0
  case "$G_TIMED " in *" $P_ADDR/$P_PORT/$P_SRC="*) ;; *) G_TIMED="$G_TIMED $P_ADDR/$P_PORT/$P_SRC=$P_ID:$E_MS" ;; esac
}

# Each probe line prefixed with its lane. A path's probes go to the lanes of that path only: with as
# many paths as lanes or more, a lane per path (paths numbered by first appearance, modulo the lanes);
# with fewer, the lanes are shared out among the paths and each path's probes take its lanes in turn.
# So a dropped path costs each of its lanes one connect deadline, all at once.
tw_assign_lanes() {
  printf '%s\n' "$TW_PROBES" | awk -v lanes="$TW_LANES" '
    NF == 0 { next }
    { k = $4 " " $5 " " $6; if (!(k in path)) path[k] = paths++; of[++n] = path[k]; line[n] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        q = of[i]
        if (paths >= lanes) lane = q % lanes
        else { share = int((lanes - q + paths - 1) / paths); lane = q + paths * (taken[q]++ % share) }
        print lane " " line[i]
      }
    }'
}

# status: P_POSTS posts P_IVL ms apart; the outcome is the first failure's, and every post is listed.
tw_status() {
  seq=1 posts= F_OUT=
  while [ "$seq" -le "$P_POSTS" ]; do
    if [ "$seq" -gt 1 ]; then
      tw_now
      [ $((NOW + P_IVL)) -lt "$TW_END" ] || break
      tw_sleep "$P_IVL"
    fi
    tw_budget || break
    s=$NOW
    BODY="{\"seq\":$seq,\"state\":\"probing\",\"node\":$TW_NODE_JSON}"
    tw_url "$PATH_STATUS" "&seq=$seq"
    R_OUT=
    tw_exchange
    tw_now
    [ "$R_OUT" = "$OUTCOME_OK" ] && ok=true || ok=false
    posts="$posts${posts:+,}{\"ms\":$((NOW - s)),\"ok\":$ok}"
    [ "$R_OUT" = "$OUTCOME_OK" ] || [ -n "$F_OUT" ] || { F_OUT=$R_OUT F_PHASE=$R_PHASE F_EXTRA=$R_EXTRA; }
    # A flavour that cannot post at all says so once.
    [ "$R_OUT" = "$OUTCOME_UNSUPPORTED" ] && break
    seq=$((seq + 1))
  done
  tw_now
  if [ -z "$F_OUT" ] && [ $((seq - 1)) -lt "$P_POSTS" ]; then
    tw_emit "$OUTCOME_ERROR" "$PHASE_CONNECT" $((NOW - T)) ",\"posts\":[$posts],\"error\":{\"code\":\"$CODE_AGENT_DEADLINE\",\"message\":\"agent deadline passed after $((seq - 1)) of $P_POSTS posts\"}"
    return
  fi
  [ -n "$F_OUT" ] || { F_OUT=$R_OUT F_PHASE=$R_PHASE F_EXTRA=$R_EXTRA; }
  tw_emit "$F_OUT" "$F_PHASE" $((NOW - T)) "$F_EXTRA,\"posts\":[$posts]"
}

tw_probe() {
  tw_now
  T=$NOW
  if [ "$P_KIND" = "$KIND_HOLD" ]; then
    tw_emit "$OUTCOME_UNSUPPORTED" "$PHASE_CONNECT" 0 ",\"error\":{\"code\":\"$CODE_UNSUPPORTED\",\"message\":\"the sh agent has no WebSocket client: the idle hold is not measured\"}"
    return
  fi
  if [ "$P_KIND" = "$KIND_FTP" ]; then
    tw_emit "$OUTCOME_UNSUPPORTED" "$PHASE_CONNECT" 0 ",\"error\":{\"code\":\"$CODE_UNSUPPORTED\",\"message\":\"the sh agent does not test FTP callbacks\"}"
    return
  fi
  if [ "$P_KIND" = "$KIND_STATUS" ]; then tw_status; return; fi
  tw_budget || BUDGET=1
  case $P_KIND in
    "$KIND_HELLO") tw_url "$PATH_HELLO" ;; "$KIND_DOWNLOAD") tw_url "$PATH_BLOB" "$P_ATTEMPT" ;; "$KIND_UPLOAD") tw_url "$PATH_UPLOAD" "$P_ATTEMPT" ;;
  esac
  R_OUT=
  tw_exchange
  tw_now
  tw_emit "$R_OUT" "$R_PHASE" $((NOW - T)) "$R_EXTRA"
  # A transfer that stopped arriving (not one the probe deadline cut while slow): the reader retries a path's first.
  case $P_KIND:$R_OUT:$R_EXTRA in
    *:*"\"code\":\"$CODE_PROBE_DEADLINE\""*) ;;
    "$KIND_DOWNLOAD:$OUTCOME_STALLED":*|"$KIND_DOWNLOAD:$OUTCOME_NO_RESPONSE":*|"$KIND_UPLOAD:$OUTCOME_STALLED":*|"$KIND_UPLOAD:$OUTCOME_NO_RESPONSE":*) STUCK=1 ;;
  esac
}

# Lane LANE of TW_LANES: its probes (tw_assign_lanes), one after another.
# No pipeline: the loop runs in the lane's own process, which the watchdog can stop.
tw_lane() {
  G_TIMED=
  set -f
  IFS=$NL
  for line in $TW_LANED; do
    case $line in "$LANE "*) line=${line#* } ;; *) continue ;; esac
    IFS=' '
    set -- $line
    P_ID=$1 P_KIND=$2 P_PROTO=$3 P_ADDR=$4 P_PORT=$5 P_SRC=$6 P_SIZE=$7 P_SHA=$8 P_POSTS=$9 P_IVL=${10}
    tw_now
    if [ "$NOW" -ge "$TW_END" ]; then
      tw_emit "$OUTCOME_ERROR" "$PHASE_CONNECT" 0 ",\"error\":{\"code\":\"$CODE_NOT_STARTED\",\"message\":\"the agent deadline passed before this probe started\"}"
      continue
    fi
    tw_gated && continue
    echo "S $P_ID"
    STUCK=
    tw_probe
    tw_gate_settle
    [ -z "$STUCK" ] || echo "X $line"
  done
}

# After every lane: a path's first stuck transfer once more (?attempt=2), as a retry line, then the
# path MTU from the node toward each controller address retried (agent/src/retry.ts, agent/src/path-mtu.ts).
# Nothing when the agent deadline has come: the first attempt's result stands.
tw_retries() {
  addrs=
  set -f
  IFS=$NL
  for x in $1; do
    IFS=' '
    set -- $x
    P_ID=$1 P_KIND=$2 P_PROTO=$3 P_ADDR=$4 P_PORT=$5 P_SRC=$6 P_SIZE=$7 P_SHA=$8 P_POSTS=$9 P_IVL=${10}
    tw_now
    [ "$NOW" -lt "$TW_END" ] || return 0
    r=$( (P_ATTEMPT='&attempt=2'; tw_probe) | sed -n 's/^R [^ ]* {"t":"probe"/{"t":"retry"/p' | head -n 1)
    [ -z "$r" ] || printf '%s\n' "$r" || tw_hangup
    case " $addrs " in *" $P_ADDR "*) ;; *) addrs="$addrs $P_ADDR" ;; esac
  done
  IFS=' '
  for a in $addrs; do tw_pathmtu "$a"; done
}

# One DF-set echo of an $1-byte packet toward $TO: OK=true/false; 1 when ping cannot send one.
tw_echo() {
  e=$(ping $V6 -n -M do -s $(($1 - HDR)) -c 1 -W "$ECHO_WAIT_SEC" "$TO" 2>&1 >/dev/null)
  rc=$?
  case $rc in 0) OK=true ;; 1) OK=false ;; *) WHY="ping on the node could not send a DF echo (iputils ping with -M do is needed): $(printf '%s\n' "$e" | head -n 1)"; return 1 ;; esac
  PROBES="$PROBES${PROBES:+,}{\"size\":$1,\"ok\":$OK}"
  N=$((N + 1))
}

# The bisection of src/mtu-bisect.ts: the floor, the interface MTU, then halves, at most MAX_MTU_PROBES echoes of a second.
tw_pathmtu() {
  TO=$1 PROBES= N= WHY= MTU= BELOW=
  N=0
  case $TO in *:*) V6=-6 HDR=$ECHO_HEADERS_6 LO=$MTU_FLOOR_6 ;; *) V6= HDR=$ECHO_HEADERS_4 LO=$MTU_FLOOR_4 ;; esac
  HI=$DEFAULT_MTU_CEILING
  dev=$(ip route get "$TO" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
  [ -n "$dev" ] && read -r m <"/sys/class/net/$dev/mtu" 2>/dev/null && [ "$m" -ge "$MTU_FLOOR_4" ] 2>/dev/null && HI=$m
  # Loopback says 65536, one more than an IP packet can carry.
  [ "$HI" -gt 65535 ] && HI=65535
  CEIL=$HI
  # Only iputils ping sets DF; busybox's rejects -M with the status of a lost echo (1).
  if ! tw_has ping; then WHY='ping (iputils-ping) is not installed on the node'
  elif ! ping -V 2>&1 | grep -qi iputils; then WHY='ping on the node is not iputils ping (busybox?): it cannot set DF (-M do)'
  elif tw_now && [ $((NOW + 1000)) -ge "$TW_END" ]; then WHY='the agent deadline passed before the bisection'
  elif tw_echo "$LO" && [ "$OK" = false ]; then WHY="no echo of even $LO bytes was answered: ICMP echo is filtered on the way, or the path was down"
  elif [ -z "$WHY" ] && tw_echo "$HI" && [ "$OK" = true ]; then MTU=$HI
  elif [ -z "$WHY" ]; then
    while [ $((HI - LO)) -gt 1 ] && [ "$N" -lt "$MAX_MTU_PROBES" ]; do
      tw_now
      [ $((NOW + 1000)) -lt "$TW_END" ] || { WHY="the agent deadline passed after $N echoes"; break; }
      mid=$(((LO + HI) / 2))
      tw_echo "$mid" || break
      if [ "$OK" = true ]; then LO=$mid; else HI=$mid; fi
    done
    [ -n "$WHY" ] || { MTU=$LO; [ $((HI - LO)) -gt 1 ] && BELOW=$HI; }
  fi
  cmd="ping ${V6:+$V6 }-n -M do -s $((DEFAULT_MTU_CEILING - HDR)) -c 1 -W $ECHO_WAIT_SEC $TO"
  if [ -n "$MTU" ]; then
    printf '{"t":"pathmtu","to":"%s","measured":true,"mtu":%s%s,"interfaceMtu":%s,"probes":[%s],"command":"%s"}\n' "$TO" "$MTU" "${BELOW:+,\"below\":$BELOW}" "$CEIL" "$PROBES" "$cmd" || tw_hangup
  else
    printf '{"t":"pathmtu","to":"%s","measured":false,"reason":"%s","interfaceMtu":%s,"probes":[%s],"command":"%s"}\n' "$TO" "$(tw_esc "$WHY")" "$CEIL" "$PROBES" "$cmd" || tw_hangup
  fi
}

# The whole-agent deadline, a backstop: every exchange is already bounded by what is left of totalMs.
# Meanwhile a heartbeat (P) each second, for the reader to notice a session that is gone. It ends by
# itself once no lane is left (a kill could land between its sleep's start and $!, orphaning the sleep).
tw_watchdog() {
  tick=1000
  [ -n "$FRAC" ] && tick=250
  beat=0
  tw_now
  while [ "$NOW" -lt $((TW_END + 1500)) ]; do
    alive=
    for p in $1; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -n "$alive" ] || return 0
    [ $((beat % 1000)) = 0 ] && echo P
    beat=$((beat + tick))
    left=$((TW_END + 1500 - NOW))
    [ "$left" -gt "$tick" ] && left=$tick
    if [ -n "$FRAC" ]; then sleep "$(tw_s "$left")"; else sleep 1; fi >/dev/null 2>&1 </dev/null
    tw_now
  done
  echo D
  kill $1 2>/dev/null
}

# SSH is gone: the reader's write failed. Nothing of the agent may outlive its session. Under sshd the
# agent leads its own process group (sshd's setsid, then the detection snippet's exec), so the whole
# group goes, clients and sleeps included. Anywhere else the reader just ends, and each lane with its
# next line (SIGPIPE).
tw_hangup() {
  st=
  read -r st </proc/$$/stat 2>/dev/null
  set -- ${st##*) }
  [ "${3:-}" = "$$" ] && kill -TERM 0 2>/dev/null
  exit 1
}

# The only writer to stdout while probes run; at the end, a line for each probe no lane reported.
tw_reader() {
  # A write to a closed stdout must fail, not kill: tw_hangup then ends the rest.
  trap '' PIPE
  seen=' ' started=' ' dl= paths='|' retry=
  while IFS= read -r line; do
    case $line in
      'S '*) started="$started${line#S } " ;;
      # A stuck transfer: the first of its path (proto, address, port, source) is retried below.
      'X '*)
        x=${line#X }
        k=$(printf '%s\n' "$x" | cut -d' ' -f3-6)
        case $paths in *"|$k|"*) ;; *) paths="$paths$k|" retry="$retry$x$NL" ;; esac ;;
      'R '*) line=${line#R }; seen="$seen${line%% *} "; printf '%s\n' "${line#* }" || tw_hangup ;;
      # The heartbeat: an empty line, which the controller skips, fails once SSH is gone.
      P) printf '\n' || tw_hangup ;;
      D) dl=1 ;;
    esac
  done
  printf '%s\n' "$TW_PROBES" | while read -r id _; do
    case $id in '') continue ;; esac
    case $seen in *" $id "*) continue ;; esac
    case $dl$started in
      1*" $id "*) c=$CODE_AGENT_DEADLINE m='the agent deadline passed while this probe ran; the sh agent stopped it and cannot tell where it stood' ;;
      1*) c=$CODE_NOT_STARTED m='the agent deadline passed before this probe started' ;;
      *) c=$CODE_AGENT_BUG m='agent bug: the sh agent ended without a result for this probe' ;;
    esac
    printf '{"t":"probe","id":"%s","outcome":"%s","phase":"%s","ms":0,"error":{"code":"%s","message":"%s"}}\n' "$id" "$OUTCOME_ERROR" "$PHASE_CONNECT" "$c" "$m"
  done
  [ -z "$retry" ] || [ -n "$dl" ] || tw_retries "$retry"
}

tw_main() {
  tw_now
  TW_T0=$NOW
  TW_END=$((NOW + TW_TOTAL_MS))
  tw_tools
  printf '{"t":"agent","flavour":"%s","version":"0.1.0","runtime":"%s","platform":"%s"}\n' "$TW_FLAVOUR" "$(tw_esc "$RUNTIME" | cut -c1-"$LIMIT_RUNTIME")" "$(uname -s 2>/dev/null | tr 'A-Z' 'a-z' | cut -c1-"$LIMIT_PLATFORM")"
  tw_facts
  lanes=$(printf '%s\n' "$TW_PROBES" | grep -c .)
  [ "$lanes" -gt "$TW_CONC" ] && lanes=$TW_CONC
  TW_LANES=$lanes
  TW_LANED=
  [ "$lanes" -gt 0 ] && TW_LANED=$(tw_assign_lanes)
  {
    pids=
    k=0
    while [ "$k" -lt "$lanes" ]; do
      LANE=$k
      tw_lane &
      pids="$pids $!"
      k=$((k + 1))
    done
    tw_watchdog "$pids" &
    wd=$!
    [ -z "$pids" ] || wait $pids
    wait $wd
  } | tw_reader
  tw_halfopen
  tw_now
  printf '{"t":"done","ms":%s}\n' $((NOW - TW_T0))
}

tw_main
