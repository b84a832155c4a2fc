# twoway agent, PowerShell 5.1+ flavour (Windows Server with OpenSSH). NOT YET RUN AGAINST REAL WINDOWS.
# The controller puts `$Plan = ConvertFrom-Json @'...'@` in front of this text
# (controller/agents/powershell.ts) and streams both to `powershell -NoProfile -NonInteractive
# -EncodedCommand <bootstrap>`; the bootstrap runs what arrives on stdin, so nothing is written on
# the node. It answers with the reference agent's JSON Lines (src/protocol.ts). Probes run one after
# another (the first connect of each path starts early, all at once); each is a raw TcpClient (bound
# to the planned source), SslStream for https (pinned by the certificate's SHA-256 fingerprint, TLS
# 1.2), and an HTTP/1.0 request, so every phase is its own.
# Not measured: the idle hold (no WebSocket client here).
# The protocol constants it uses ($OUTCOME_*, $PHASE_*, $CODE_*, $PATH_*, $KIND_*, $LIMIT_*, ...) are
# assigned in front of it too (controller/agents/wire-constants.ts): no code, outcome or path is typed here.
$ErrorActionPreference = 'Stop'
$D = $Plan.deadlines
$Clock = [Diagnostics.Stopwatch]::StartNew()
$Line = [Text.Encoding]::ASCII.GetBytes($UPLOAD_LINE)

function Emit($o) { [Console]::Out.WriteLine(($o | ConvertTo-Json -Compress -Depth 6)); [Console]::Out.Flush() }
function Clip([string]$s, $n) { if ($s.Length -gt $n) { $s.Substring(0, $n) } else { $s } }
function Inner($e) { while ($e.InnerException) { $e = $e.InnerException }; $e }
function Fail($r, $outcome, $message, $code) {
  $r.outcome = $outcome
  $r.error = [ordered]@{}
  if ($code) { $r.error.code = $code }
  $r.error.message = Clip $message $LIMIT_ERROR_MESSAGE
  $r
}
function Bare($a) { $a.ToString() -replace '%.*$', '' }

Emit ([ordered]@{ t = 'agent'; flavour = 'powershell'; version = '0.1.0'; runtime = "PowerShell $($PSVersionTable.PSVersion)"; platform = 'win32' })

$all = @(foreach ($n in [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
  foreach ($u in $n.GetIPProperties().UnicastAddresses) {
    [ordered]@{ iface = (Clip $n.Name $LIMIT_FIELD); address = (Bare $u.Address); family = $(if ($u.Address.AddressFamily -eq 'InterNetworkV6') { 'IPv6' } else { 'IPv4' }); loop = [Net.IPAddress]::IsLoopback($u.Address) }
  }
})
# The source the kernel picks: connecting a UDP socket only runs the route lookup, no packet is sent.
$routes = @(foreach ($to in $Plan.controllerAddresses) {
  $r = [ordered]@{ to = $to }
  try {
    $ip = [Net.IPAddress]::Parse($to)
    $u = New-Object Net.Sockets.UdpClient($ip.AddressFamily)
    try { $u.Connect($ip, 9); $r.source = Bare $u.Client.LocalEndPoint.Address } finally { $u.Close() }
    $own = @($all | Where-Object { $_.address -eq $r.source })
    if ($own.Count -gt 0) { $r.iface = $own[0].iface }
  } catch { $r.error = Clip (Inner $_.Exception).Message $LIMIT_ROUTE_ERROR }
  $r
})
$addresses = @($all | Where-Object { -not $_.loop } | ForEach-Object { [ordered]@{ iface = $_.iface; address = $_.address; family = $_.family } })
Emit ([ordered]@{ t = 'facts'; hostname = (Clip ([Environment]::MachineName) $LIMIT_HOSTNAME); addresses = $addresses; routes = $routes })

# A read or write error on the stream, by phase, as the reference agent maps it.
function StreamFail($r, $e, $upload) {
  $x = Inner $e
  $timedOut = $x -is [Net.Sockets.SocketException] -and $x.SocketErrorCode -eq 'TimedOut'
  if ($timedOut) {
    $o = if ($r.phase -eq $PHASE_BODY -or ($upload -and $r.phase -eq $PHASE_RESPONSE)) { $OUTCOME_STALLED } elseif ($r.phase -eq $PHASE_TLS) { $OUTCOME_TLS_ERROR } else { $OUTCOME_NO_RESPONSE }
    return Fail $r $o "stall deadline of $($D.stallMs) ms without progress during $($r.phase)" $CODE_STALL
  }
  $o = switch ($r.phase) { ($PHASE_TLS) { $OUTCOME_TLS_ERROR } ($PHASE_BODY) { $OUTCOME_TRUNCATED } default { $OUTCOME_ERROR } }
  if ($o -eq $OUTCOME_ERROR -and $x -is [Net.Sockets.SocketException] -and $x.SocketErrorCode -eq 'ConnectionReset') { $o = $OUTCOME_RESET }
  Fail $r $o $x.Message
}

# A TCP connect to the probe's path (from its planned source), under way.
function Connect($p) {
  $ip = [Net.IPAddress]::Parse($p.address)
  if ($p.source) { $tcp = New-Object Net.Sockets.TcpClient(New-Object Net.IPEndPoint([Net.IPAddress]::Parse($p.source), 0)) }
  else { $tcp = New-Object Net.Sockets.TcpClient($ip.AddressFamily) }
  @{ tcp = $tcp; ar = $tcp.BeginConnect($ip, $p.port, $null, $null); watch = [Diagnostics.Stopwatch]::StartNew() }
}

# One exchange on a fresh connection (or on the one Connect started early for a path's first probe).
# $budget: ms this exchange may take (probeMs, or what is left of totalMs).
function Exchange($p, $method, $path, $body, $upload, $budget, $budgetCode) {
  $r = [ordered]@{ outcome = $OUTCOME_OK; phase = $PHASE_CONNECT }
  $watch = [Diagnostics.Stopwatch]::StartNew()
  $tcp = $null
  try {
    $c = $Early[$p.id]
    if ($c) { $Early.Remove($p.id) } else { $c = Connect $p }
    $tcp = $c.tcp
    $ar = $c.ar
    $wait = [Math]::Min($D.connectMs, $budget)
    if (-not $ar.AsyncWaitHandle.WaitOne([Math]::Max(0, $wait - $c.watch.ElapsedMilliseconds))) { return Fail $r $OUTCOME_TIMEOUT "TCP connect to $($p.address):$($p.port) did not complete within $wait ms" $CODE_CONNECT_TIMEOUT }
    try { $tcp.EndConnect($ar) } catch {
      $x = Inner $_.Exception
      $o = switch ("$($x.SocketErrorCode)") { 'ConnectionRefused' { $OUTCOME_REFUSED } 'ConnectionReset' { $OUTCOME_RESET } 'TimedOut' { $OUTCOME_TIMEOUT } { $_ -in 'HostUnreachable', 'NetworkUnreachable', 'AddressNotAvailable', 'HostDown', 'NetworkDown' } { $OUTCOME_UNREACHABLE } default { $OUTCOME_ERROR } }
      return Fail $r $o $x.Message
    }
    $le = $tcp.Client.LocalEndPoint
    $r.local = [ordered]@{ address = (Bare $le.Address); port = $le.Port }
    $s = $tcp.GetStream()
    if ($p.proto -eq $PROTO_HTTPS) {
      $r.phase = $PHASE_TLS
      $s.ReadTimeout = $D.connectMs
      # Verification is ours, by pin: the certificate is self-signed.
      $ssl = New-Object Net.Security.SslStream($s, $false, ([Net.Security.RemoteCertificateValidationCallback] { $true }))
      try { $ssl.AuthenticateAsClient($p.address, $null, [Security.Authentication.SslProtocols]::Tls12, $false) } catch { return StreamFail $r $_.Exception $false }
      $hash = [Security.Cryptography.SHA256]::Create().ComputeHash($ssl.RemoteCertificate.GetRawCertData())
      $r.fingerprint = ($hash | ForEach-Object { $_.ToString('X2') }) -join ':'
      # Something else holds the connection: send it nothing, above all not the token.
      if ($r.fingerprint -ne $Plan.fingerprint256.ToUpper()) { return Fail $r $OUTCOME_TLS_MISMATCH "listener certificate $($r.fingerprint) is not the pinned $($Plan.fingerprint256)" }
      $s = $ssl
    }
    $s.ReadTimeout = $D.stallMs
    $s.WriteTimeout = $D.stallMs
    $r.phase = $PHASE_REQUEST
    $hostPort = if ($p.address.Contains(':')) { "[$($p.address)]:$($p.port)" } else { "$($p.address):$($p.port)" }
    $head = "$method $path HTTP/1.0`r`nHost: $hostPort`r`n$($TOKEN_HEADER): $($Plan.token)`r`nConnection: close`r`n"
    $bytes = $null
    if ($body) { $bytes = [Text.Encoding]::UTF8.GetBytes($body); $head += "Content-Type: application/json`r`nContent-Length: $($bytes.Length)`r`n" }
    if ($upload) { $head += "Content-Type: application/octet-stream`r`nContent-Length: $($p.size)`r`n" }
    $h = [Text.Encoding]::ASCII.GetBytes("$head`r`n")
    try {
      $s.Write($h, 0, $h.Length)
      if ($bytes) { $s.Write($bytes, 0, $bytes.Length) }
      if ($upload) {
        $r.phase = $PHASE_BODY
        $r.bytes = 0
        $chunk = New-Object byte[] ($Line.Length * 4096)
        for ($i = 0; $i -lt $chunk.Length; $i++) { $chunk[$i] = $Line[$i % $Line.Length] }
        while ($r.bytes -lt $p.size) {
          if ($watch.ElapsedMilliseconds -gt $budget) { return Fail $r $OUTCOME_STALLED "deadline passed after sending $($r.bytes) bytes" $budgetCode }
          $n = [Math]::Min($chunk.Length, $p.size - $r.bytes)
          $s.Write($chunk, 0, $n)
          $r.bytes += $n
        }
      }
      $s.Flush()
    } catch { return StreamFail $r $_.Exception $upload }
    $r.phase = $PHASE_RESPONSE
    $buf = New-Object byte[] 65536
    $kept = New-Object IO.MemoryStream
    $sha = [Security.Cryptography.SHA256]::Create()
    $headerEnd = -1
    $got = 0
    while ($true) {
      if ($watch.ElapsedMilliseconds -gt $budget) {
        $o = if ($r.phase -eq $PHASE_BODY) { $OUTCOME_STALLED } else { $OUTCOME_NO_RESPONSE }
        return Fail $r $o "deadline of $budget ms passed during $($r.phase)" $budgetCode
      }
      try { $n = $s.Read($buf, 0, $buf.Length) } catch { return StreamFail $r $_.Exception $upload }
      if ($n -eq 0) { break }
      $start = 0
      if ($headerEnd -lt 0) {
        $kept.Write($buf, 0, $n)
        $text = [Text.Encoding]::ASCII.GetString($kept.ToArray())
        $headerEnd = $text.IndexOf("`r`n`r`n")
        if ($headerEnd -lt 0) { if ($kept.Length -gt 16384) { return Fail $r $OUTCOME_CORRUPT 'answer head is longer than 16384 bytes' }; continue }
        if ($text -notmatch '^HTTP/1\.[01] (\d{3})') { return Fail $r $OUTCOME_CORRUPT 'answer is not HTTP' }
        $r.httpStatus = [int]$Matches[1]
        if ($r.httpStatus -lt 200 -or $r.httpStatus -gt 299) {
          if ($upload -and $r.httpStatus -eq $UPLOAD_CORRUPT_STATUS) { return Fail $r $OUTCOME_CORRUPT "listener answered $($r.httpStatus): the upload arrived with other content than planned" }
          return Fail $r $OUTCOME_HTTP_ERROR "listener answered $($r.httpStatus)"
        }
        $length = if ($text -match "(?im)^content-length:\s*(\d+)") { [long]$Matches[1] } else { -1 }
        $r.phase = $PHASE_BODY
        $start = $headerEnd + 4 - ($kept.Length - $n)
        $kept = New-Object IO.MemoryStream
        if (-not $upload) { $r.bytes = 0 }
      }
      $m = $n - $start
      if ($m -le 0) { continue }
      $got += $m
      if (-not $upload) { $r.bytes = $got }
      if ($p.kind -eq $KIND_DOWNLOAD) {
        if ($got -gt $p.size) { return Fail $r $OUTCOME_CORRUPT "body is longer than the $($p.size) bytes planned" }
        [void]$sha.TransformBlock($buf, $start, $m, $null, 0)
      } else {
        $kept.Write($buf, $start, $m)
        if ($kept.Length -gt 16384) { return Fail $r $OUTCOME_CORRUPT 'answer is longer than 16384 bytes' }
      }
    }
    if ($headerEnd -lt 0) { return Fail $r $OUTCOME_RESET 'the listener closed the connection without answering' }
    if ($length -ge 0 -and $got -lt $length) { return Fail $r $OUTCOME_TRUNCATED "connection closed after $got bytes of the body" }
    if ($p.kind -eq $KIND_DOWNLOAD) {
      if ($got -lt $p.size) { return Fail $r $OUTCOME_TRUNCATED "body ended after $got of $($p.size) bytes" }
      [void]$sha.TransformFinalBlock((New-Object byte[] 0), 0, 0)
      $digest = (($sha.Hash | ForEach-Object { $_.ToString('x2') }) -join '')
      if ($digest -ne $p.sha256.ToLower()) { return Fail $r $OUTCOME_CORRUPT "body has SHA-256 $digest, expected $($p.sha256)" }
      return $r
    }
    try { $answer = [Text.Encoding]::UTF8.GetString($kept.ToArray()) | ConvertFrom-Json } catch { return Fail $r $OUTCOME_CORRUPT "$($p.kind) answer is not JSON" }
    switch ($p.kind) {
      ($KIND_HELLO) {
        if (-not ($answer.address -is [string]) -or -not ($answer.port -is [int] -or $answer.port -is [long])) { return Fail $r $OUTCOME_CORRUPT 'hello answer has no valid "address" and "port"' }
        $r.seen = [ordered]@{ address = $answer.address; port = $answer.port }
      }
      ($KIND_STATUS) { if ($answer.ok -ne $true) { return Fail $r $OUTCOME_CORRUPT 'status answer is not {"ok":true}' } }
      ($KIND_UPLOAD) { if ($answer.sha256ok -ne $true -or $answer.bytes -ne $p.size) { return Fail $r $OUTCOME_CORRUPT "upload answer is not {`"bytes`":$($p.size),`"sha256ok`":true}" } }
    }
    $r
  } catch { Fail $r $OUTCOME_ERROR (Inner $_.Exception).Message }
  finally { if ($tcp) { $tcp.Close() } }
}

function Result($p, $r, $ms) {
  $o = [ordered]@{ t = 'probe'; id = $p.id; outcome = $r.outcome; phase = $r.phase; ms = $ms }
  foreach ($k in 'bytes', 'local', 'seen', 'fingerprint', 'httpStatus', 'posts', 'error') { if ($r.Contains($k)) { $o[$k] = $r[$k] } }
  $o
}

# A path's first transfer that stopped arriving (not one the probe deadline cut while slow): retried once after the plan.
function IsStuck($p, $r) {
  ($p.kind -eq $KIND_DOWNLOAD -or $p.kind -eq $KIND_UPLOAD) -and ($r.outcome -eq $OUTCOME_STALLED -or $r.outcome -eq $OUTCOME_NO_RESPONSE) -and -not ($r.error -and $r.error.code -eq $CODE_PROBE_DEADLINE)
}

function Budget { $left = $D.totalMs - $Clock.ElapsedMilliseconds; if ($left -lt $D.probeMs) { @($left, $CODE_AGENT_DEADLINE) } else { @($D.probeMs, $CODE_PROBE_DEADLINE) } }

# Probes of one path (address, port, source) share its first connect (agent/src/path-gate.ts): each
# path's first probe goes first, their connects all start at once, and where one timed out the path's
# other probes are reported with its evidence instead of each waiting out the connect deadline again.
function PathKey($p) { "$($p.address)|$($p.port)|$($p.source)" }
$PathOpener = @{}; $Early = @{}; $PathTimedOut = @{}
$firstProbes = @(); $laterProbes = @()
# A path's first stuck transfer, retried once after the plan (issue 14).
$stuck = [ordered]@{}
foreach ($p in $Plan.probes) {
  $k = PathKey $p
  if ($p.kind -ne $KIND_HOLD -and $p.kind -ne $KIND_FTP -and -not $PathOpener.Contains($k)) { $PathOpener[$k] = $p.id; $firstProbes += , $p } else { $laterProbes += , $p }
}
# A connect that cannot even start is reported by its probe's own Exchange.
foreach ($p in $firstProbes) { try { $Early[$p.id] = Connect $p } catch { } }

foreach ($p in @($firstProbes + $laterProbes)) {
  $start = $Clock.ElapsedMilliseconds
  if ($start -ge $D.totalMs) {
    Emit ([ordered]@{ t = 'probe'; id = $p.id; outcome = $OUTCOME_ERROR; phase = $PHASE_CONNECT; ms = 0; error = [ordered]@{ code = $CODE_NOT_STARTED; message = 'the agent deadline passed before this probe started' } })
    continue
  }
  $k = PathKey $p
  if ($PathTimedOut.Contains($k)) {
    $g = $PathTimedOut[$k]
    Emit ([ordered]@{ t = 'probe'; id = $p.id; outcome = $OUTCOME_TIMEOUT; phase = $PHASE_CONNECT; ms = $g.ms; error = [ordered]@{ code = $CODE_CONNECT_TIMEOUT; message = (Clip "$($g.message); not tried again: probe $($g.id) had the same address and port" $LIMIT_ERROR_MESSAGE) } })
    continue
  }
  $q = "?probe=$([Uri]::EscapeDataString($p.id))"
  $b = Budget
  switch ($p.kind) {
    ($KIND_HOLD) { $r = Fail ([ordered]@{ phase = $PHASE_CONNECT }) $OUTCOME_UNSUPPORTED 'the PowerShell agent has no WebSocket client: the idle hold is not measured' $CODE_UNSUPPORTED }
    ($KIND_FTP) { $r = Fail ([ordered]@{ phase = $PHASE_CONNECT }) $OUTCOME_UNSUPPORTED 'the PowerShell agent does not test FTP callbacks' $CODE_UNSUPPORTED }
    ($KIND_HELLO) { $r = Exchange $p 'GET' "$PATH_HELLO$q" $null $false $b[0] $b[1] }
    ($KIND_DOWNLOAD) { $r = Exchange $p 'GET' "$PATH_BLOB$q" $null $false $b[0] $b[1] }
    ($KIND_UPLOAD) { $r = Exchange $p 'POST' "$PATH_UPLOAD$q" $null $true $b[0] $b[1] }
    ($KIND_STATUS) {
      $posts = @(); $first = $null; $last = $null
      $planned = if ($p.posts) { $p.posts } else { 1 }
      for ($seq = 1; $seq -le $planned; $seq++) {
        if ($seq -gt 1) {
          if ($Clock.ElapsedMilliseconds + $p.intervalMs -ge $D.totalMs) { break }
          Start-Sleep -Milliseconds $p.intervalMs
        }
        $b = Budget
        $t = $Clock.ElapsedMilliseconds
        $body = ConvertTo-Json -Compress ([ordered]@{ seq = $seq; state = 'probing'; node = $Plan.node })
        $last = Exchange $p 'POST' "$PATH_STATUS$q&seq=$seq" $body $false $b[0] $b[1]
        $posts += , [ordered]@{ ms = $Clock.ElapsedMilliseconds - $t; ok = ($last.outcome -eq $OUTCOME_OK) }
        if ($last.outcome -ne $OUTCOME_OK -and -not $first) { $first = $last }
      }
      $r = if ($first) { $first } elseif ($posts.Count -lt $planned) { Fail ([ordered]@{ phase = $PHASE_CONNECT }) $OUTCOME_ERROR "agent deadline passed after $($posts.Count) of $planned posts" $CODE_AGENT_DEADLINE } else { $last }
      $r.posts = $posts
    }
  }
  $ms = $Clock.ElapsedMilliseconds - $start
  Emit (Result $p $r $ms)
  if ($PathOpener[$k] -eq $p.id -and $r.outcome -eq $OUTCOME_TIMEOUT -and $r.phase -eq $PHASE_CONNECT) { $PathTimedOut[$k] = @{ id = $p.id; ms = $ms; message = $r.error.message } }
  $key = "$($p.proto)|$($p.address)|$($p.port)|$($p.source)"
  if ((IsStuck $p $r) -and -not $stuck.Contains($key)) { $stuck[$key] = $p }
}

# The second attempt (?attempt=2) tells a transient outage from a size limit; its line is a retry line. None once the agent deadline has come.
foreach ($p in @($stuck.Values)) {
  $start = $Clock.ElapsedMilliseconds
  if ($start -ge $D.totalMs) { break }
  $q = "?probe=$([Uri]::EscapeDataString($p.id))&attempt=2"
  $b = Budget
  if ($p.kind -eq $KIND_UPLOAD) { $r = Exchange $p 'POST' "$PATH_UPLOAD$q" $null $true $b[0] $b[1] } else { $r = Exchange $p 'GET' "$PATH_BLOB$q" $null $false $b[0] $b[1] }
  $o = Result $p $r ($Clock.ElapsedMilliseconds - $start)
  $o.t = 'retry'
  Emit $o
}

# Half-open (SYN_RECEIVED) connections and listening sockets, where Get-NetTCPConnection exists (Windows Server 2012 and later).
try {
  $e = @(Get-NetTCPConnection -State SynReceived -ErrorAction SilentlyContinue | Select-Object -First $LIMIT_HALF_OPEN_ENTRIES | ForEach-Object { [ordered]@{ local = [ordered]@{ address = $_.LocalAddress; port = [int]$_.LocalPort }; remote = [ordered]@{ address = $_.RemoteAddress; port = [int]$_.RemotePort } } })
  $l = @(Get-NetTCPConnection -State Listen -ErrorAction Stop | Select-Object -First $LIMIT_LISTENING_SOCKETS | ForEach-Object { [ordered]@{ address = $_.LocalAddress; port = [int]$_.LocalPort } })
  Emit ([ordered]@{ t = 'halfopen'; measured = $true; entries = $e; listening = [ordered]@{ measured = $true; sockets = $l } })
} catch { Emit ([ordered]@{ t = 'halfopen'; measured = $false; entries = @(); listening = [ordered]@{ measured = $false; reason = 'Get-NetTCPConnection is not available on this node'; sockets = @() } }) }
Emit ([ordered]@{ t = 'done'; ms = $Clock.ElapsedMilliseconds })
