#!/bin/sh
# Records samples/home-lab.pcap: real traffic of a small home network built from network
# namespaces on this machine (nothing leaves it). A router runs dnsmasq (DHCP + DNS), a web
# server and a TLS server; a laptop (dhclient) and a Raspberry Pi (busybox udhcpc) join, browse
# by name, and a third host port-scans the router. Needs root, dnsmasq, isc-dhcp-client, busybox,
# curl, openssl, dnsutils, nmap, tcpdump, python3.
set -eu
out=${1:-samples/home-lab.pcap}
work=$(mktemp -d)
lan=ni-rec-lan
cleanup() {
  for ns in ni-rec-router ni-rec-laptop ni-rec-pi ni-rec-scan $lan; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $ns 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cleanup; work=$(mktemp -d)

ip netns add $lan
ip -n $lan link add br0 type bridge
ip -n $lan link set br0 up
host() { # name mac
  ip netns add "$1"
  ip link add "v-$1" netns $lan type veth peer name eth0 netns "$1"
  ip -n "$1" link set eth0 address "$2"
  ip -n $lan link set "v-$1" master br0 up
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
}
host ni-rec-router 00:1d:7e:10:00:01   # Cisco-Linksys
host ni-rec-laptop a4:83:e7:22:33:44   # Apple
host ni-rec-pi b8:27:eb:55:66:77       # Raspberry Pi Foundation
host ni-rec-scan 02:42:ac:11:00:09     # locally administered
ip -n ni-rec-router addr add 10.213.9.1/24 dev eth0
# Stand-ins for three internet services, so each name resolves to an address of its own.
for a in 11 12 13; do ip -n ni-rec-router addr add 10.213.9.$a/24 dev eth0; done
ip -n ni-rec-scan addr add 10.213.9.66/24 dev eth0

ip netns exec $lan tcpdump -i br0 -U -w "$work/lab.pcap" -s 0 2>/dev/null &
sleep 1

# The router: DHCP and DNS (local names, and well-known names pointed at itself so the laptop's
# HTTPS carries real SNI without leaving the machine), HTTP on 80, TLS on 443.
cat > "$work/hosts" <<HOSTS
10.213.9.1 router.home
10.213.9.11 www.youtube.com
10.213.9.12 www.netflix.com
10.213.9.13 api.spotify.com
HOSTS
ip netns exec ni-rec-router dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces \
  --dhcp-range=10.213.9.100,10.213.9.150,12h --dhcp-option=3,10.213.9.1 --dhcp-option=6,10.213.9.1 \
  --no-resolv --no-hosts --addn-hosts="$work/hosts" --domain=home --dhcp-leasefile="$work/leases" --log-facility=- >/dev/null 2>&1 &
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=router.home >/dev/null 2>&1
ip netns exec ni-rec-router openssl s_server -quiet -accept 443 -cert "$work/cert.pem" -key "$work/key.pem" -www >/dev/null 2>&1 &
mkdir -p "$work/www" && echo "<h1>router</h1>" > "$work/www/index.html"
ip netns exec ni-rec-router python3 -m http.server 80 --directory "$work/www" >/dev/null 2>&1 &
sleep 1

# The laptop and the Pi join with DHCP.
cat > "$work/dhclient.conf" <<CONF
send host-name "alice-macbook";
request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers, host-name;
CONF
ip netns exec ni-rec-laptop timeout 15 dhclient -4 -v -1 -cf "$work/dhclient.conf" -sf /bin/true \
  -lf "$work/laptop.leases" -pf "$work/laptop.pid" eth0 >"$work/dhclient.log" 2>&1 || cat "$work/dhclient.log" >&2
laptop_ip=$(grep -h 'fixed-address' "$work/laptop.leases" 2>/dev/null | tail -1 | grep -Eo '[0-9.]+' || true)
ip netns exec ni-rec-laptop sh -c "ip addr add ${laptop_ip:-10.213.9.120}/24 dev eth0 2>/dev/null; ip route add default via 10.213.9.1 2>/dev/null; echo nameserver 10.213.9.1 > /dev/null" || true
ip netns exec ni-rec-pi busybox udhcpc -i eth0 -n -q -x hostname:raspberrypi -V "udhcp 1.36.1" -s /bin/true >/dev/null 2>&1 || true
pi_ip=$(ip netns exec ni-rec-router cat "$work/leases" | awk '/b8:27:eb/ {print $3}')
ip -n ni-rec-pi addr add "${pi_ip:-10.213.9.121}/24" dev eth0 2>/dev/null || true

# Browsing by name: DNS, HTTP, HTTPS with SNI.
for name in router.home www.youtube.com www.netflix.com api.spotify.com; do
  ip netns exec ni-rec-laptop dig +short +tries=1 +time=1 @10.213.9.1 "$name" >/dev/null || true
done
ip netns exec ni-rec-laptop curl -s -A "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15" http://10.213.9.1/ >/dev/null || true
for pair in www.youtube.com:11 www.netflix.com:12 api.spotify.com:13; do
  name=${pair%:*}
  ip netns exec ni-rec-laptop curl -sk --max-time 3 --resolve "$name:443:10.213.9.${pair#*:}" "https://$name/" >/dev/null || true
done
ip netns exec ni-rec-pi sh -c 'for i in 1 2 3; do ping -c 1 -W 1 10.213.9.1 >/dev/null; done' || true
ip netns exec ni-rec-pi dig +short +tries=1 +time=1 @10.213.9.1 api.spotify.com >/dev/null || true

# A port scan of the router from an unknown host.
ip netns exec ni-rec-scan nmap -n -Pn -sS -T4 --max-retries 0 -p 1-300 10.213.9.1 >/dev/null 2>&1 || true
sleep 1
kill %1 2>/dev/null || true
sleep 1
mkdir -p "$(dirname "$out")"
cp "$work/lab.pcap" "$out"
echo "recorded $out: $(stat -c %s "$out") bytes"
