#!/usr/bin/env bash
# deploy/certs.sh DIR [WEB_NAME...]
#
# Makes (once; existing files are kept) a private CA and the TLS certificates of the link
# between abc-web and abc-worker (SPEC §5), all ECDSA P-256:
#   DIR/ca.crt ca.key             the deployment's CA (only signs the certificates below)
#   DIR/worker.crt worker.key     abc-worker's server certificate, SAN IP:127.0.0.1, DNS:localhost
#                                 (+ ABC_WORKER_SAN, e.g. "DNS:worker.example,IP:10.0.0.5")
#   DIR/<web>.crt <web>.key       one client certificate per abc-web (default web1 web2),
#                                 CN=<web> = the stable client id, extendedKeyUsage clientAuth
# Keys are mode 0600. Re-running only makes what is missing.
set -euo pipefail

usage() {
    echo "usage: $0 DIR [WEB_NAME...]" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
DIR="$1"
shift
WEBS=("$@")
((${#WEBS[@]})) || WEBS=(web1 web2)
CA_DAYS=3650
LEAF_DAYS=825

mkdir -p "$DIR"
chmod 0700 "$DIR"
umask 077

new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    chmod 0600 "$1"
}

make_ca() {
    [[ -s "$DIR/ca.crt" && -s "$DIR/ca.key" ]] && return 0
    echo "certs: making CA in $DIR"
    new_key "$DIR/ca.key"
    openssl req -new -x509 -sha256 -days "$CA_DAYS" -key "$DIR/ca.key" \
        -subj "/O=abc/CN=abc local CA $(hostname 2>/dev/null || echo host) $(date +%s)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "$DIR/ca.crt.tmp"
    mv "$DIR/ca.crt.tmp" "$DIR/ca.crt"
    chmod 0644 "$DIR/ca.crt"
}

# make_leaf NAME EXTENSIONS: NAME.key + NAME.crt signed by the CA, CN=NAME.
make_leaf() {
    local name="$1" ext="$2"
    [[ -s "$DIR/$name.crt" && -s "$DIR/$name.key" ]] && return 0
    echo "certs: making $name certificate"
    local tmp
    tmp="$(mktemp -d)"
    new_key "$DIR/$name.key"
    openssl req -new -sha256 -key "$DIR/$name.key" -subj "/O=abc/CN=$name" -out "$tmp/req.csr"
    printf '%s\n' "$ext" >"$tmp/ext.cnf"
    openssl x509 -req -sha256 -days "$LEAF_DAYS" -in "$tmp/req.csr" \
        -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -extfile "$tmp/ext.cnf" -out "$DIR/$name.crt.tmp" 2>/dev/null
    mv "$DIR/$name.crt.tmp" "$DIR/$name.crt"
    chmod 0644 "$DIR/$name.crt"
    rm -rf "$tmp"
    openssl verify -CAfile "$DIR/ca.crt" "$DIR/$name.crt" >/dev/null
}

COMMON="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"

make_ca
san="IP:127.0.0.1,DNS:localhost${ABC_WORKER_SAN:+,$ABC_WORKER_SAN}"
make_leaf worker "$COMMON
extendedKeyUsage=serverAuth
subjectAltName=$san"
for web in "${WEBS[@]}"; do
    [[ "$web" =~ ^[A-Za-z0-9_.-]+$ ]] || {
        echo "certs: bad name '$web'" >&2
        exit 2
    }
    make_leaf "$web" "$COMMON
extendedKeyUsage=clientAuth"
done
