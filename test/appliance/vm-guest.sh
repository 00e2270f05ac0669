#!/bin/sh
# Runs inside the arm64 VM (scripts/vm/run-arm64.sh; driven by test/appliance/vm.test.ts).
#   vm-guest.sh EXECUTABLE SAMPLE PROBE TOKEN
# Reports each step to the test's control server (10.0.2.100:8080, the only address the guest can
# reach) as POST /result/<step>?exit=&start=&end= (guest uptimes in seconds). serve (live capture on
# eth0, HTTPS with its own self-signed certificate) starts first and --version and analyze run beside it (2 vCPUs); then the guest makes
# traffic (ping the gateway, GET /tick) until /tick answers "stop", and stops serve with SIGTERM.
exe=$1 sample=$2 probe=$3 token=$4
ctl=http://10.0.2.100:8080
up() { read -r u _ < /proc/uptime; echo "$u"; }
post() { wget -q -O /dev/null --post-file="$2" "$ctl/result/$1" || echo "vm-guest: posting $1 failed" >&2; }
step() { # name command...
  name=$1; shift
  s=$(up); "$@" > "/tmp/$name.out" 2> "/tmp/$name.err"; rc=$?; e=$(up)
  post "$name.err" "/tmp/$name.err"
  post "$name?exit=$rc&start=$s&end=$e" "/tmp/$name.out"
}

step pagesize getconf PAGESIZE
[ -x "$probe" ] && step probe "$probe"
s=$(up)
API_TOKEN=$token "$exe" serve --interface eth0 --host 0.0.0.0 --port 8000 --database /tmp/ni.db \
  --flush-seconds 1 > /tmp/serve.out 2> /tmp/serve.err &
pid=$!
step version "$exe" --version &
version=$!
step analyze "$exe" analyze "$sample" --json
wait $version
i=0
cert=
while [ $i -lt 600 ]; do  # at most ~5 minutes, should the test never say stop
  i=$((i + 1))
  # HTTPS (HOST 0.0.0.0): the self-signed certificate serve made in TypeScript (no openssl here).
  if [ -z "$cert" ] && [ -s /tmp/ni.db.tls.crt ]; then post "cert?exit=0" /tmp/ni.db.tls.crt; cert=1; fi
  ping -c 1 -W 1 10.0.2.2 > /dev/null 2>&1
  [ "$(wget -q -O - "$ctl/tick?n=$i" 2>/dev/null)" = stop ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.5
done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
post "serve.err" /tmp/serve.err
post "serve?exit=$rc&start=$s&end=$(up)&ticks=$i" /tmp/serve.out
