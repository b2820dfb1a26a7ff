#!/usr/bin/env bash
# Creates a local certificate authority and the certificates vnstream's
# demo and tests use, with OpenSSL, into DIR (default .run/certs; never
# committed). Idempotent: what exists is kept (a certificate is renewed when
# it expires within 30 days), so running it again changes nothing.
#
#   scripts/make-certs.sh [DIR]
#
# DIR/ca.pem            the CA certificate: clients' and Kafka's trust root,
#                       and the gateway's client CA for mutual TLS
# DIR/ca.key            the CA key (0600); only this script uses it
# DIR/gateway.{pem,key} gRPC server certificate (localhost, 127.0.0.1, ::1)
# DIR/client.{pem,key}  client certificate for mutual TLS (CN vnstream-client)
# DIR/kafka.{pem,key}   Kafka broker certificate (server and client use)
# DIR/kafka-keystore.pem  the broker key + certificate in one PEM file
#                       (Kafka ssl.keystore.type=PEM); ca.pem is the
#                       truststore (ssl.truststore.type=PEM)
# DIR/dashboard.{pem,key} the dashboard's HTTPS certificate
#
# Keys are ECDSA P-256 in PKCS#8 (what Kafka's PEM keystore reads). Extra
# subject alternative names for the server certificates (e.g. the names of
# Kubernetes services) can be given as VNSTREAM_CERT_SANS="DNS:a,IP:10.0.0.1".
# VNSTREAM_CERT_CN overrides the CA's common name (tests make a second,
# untrusted CA with it).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/.run/certs}
ca_cn=${VNSTREAM_CERT_CN:-vnstream local CA}
days=825           # Leaf certificates (the most clients accept).
ca_days=3650
renew_seconds=$((30 * 24 * 3600))

command -v openssl >/dev/null || { echo "make-certs: openssl not found" >&2; exit 1; }
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

# fresh CERT: true if CERT exists and is valid for another 30 days.
fresh() { [[ -s $1 ]] && openssl x509 -in "$1" -noout -checkend "$renew_seconds" >/dev/null 2>&1; }

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

changed=0
if ! fresh ca.pem || [[ ! -s ca.key ]]; then
  new_key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days "$ca_days" -subj "/O=vnstream/CN=$ca_cn" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
  # A new CA invalidates every certificate it did not sign.
  rm -f gateway.pem client.pem kafka.pem dashboard.pem kafka-keystore.pem
  changed=1
fi

# leaf NAME CN USAGE [SANS]: NAME.key and NAME.pem signed by the CA.
leaf() {
  local name=$1 cn=$2 usage=$3 sans=${4:-}
  if fresh "$name.pem" && [[ -s $name.key ]] &&
    openssl verify -CAfile ca.pem "$name.pem" >/dev/null 2>&1; then
    return
  fi
  [[ -s $name.key ]] || new_key "$name.key"
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } >"$ext"
  openssl req -new -key "$name.key" -subj "/O=vnstream/CN=$cn" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days "$days" -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$ext"
  changed=1
}

local_sans="DNS:localhost,IP:127.0.0.1,IP:::1${VNSTREAM_CERT_SANS:+,$VNSTREAM_CERT_SANS}"
leaf gateway vnstream-gateway serverAuth "$local_sans"
leaf client vnstream-client clientAuth
leaf kafka vnstream-kafka serverAuth,clientAuth "$local_sans"
leaf dashboard vnstream-dashboard serverAuth "$local_sans"
if [[ ! -s kafka-keystore.pem || kafka-keystore.pem -ot kafka.pem ]]; then
  cat kafka.key kafka.pem >kafka-keystore.pem
fi
rm -f ca.srl
# Certificates are public; keys stay 0600.
chmod 644 ./*.pem
chmod 600 ./*.key kafka-keystore.pem
if ((changed)); then
  echo "make-certs: certificates in $dir (CA: $ca_cn)" >&2
fi
