#!/usr/bin/env bash
# Regenerates the loopback mTLS test PKI: a CA, a server certificate for
# 127.0.0.1/localhost, and a merchant client certificate (PEM and
# apiclient_cert.p12 with the merchant ID 1900000001 as its password).
# Test material only, valid for 100 years; never trust it anywhere else.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
  -subj "/CN=wechatpay-rust test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days "$days" \
  -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n')
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
  -subj "/O=WeChat Pay test merchant/CN=1900000001"
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days "$days" \
  -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n')
# As WeChat Pay issues it: PKCS#12, password = mchid, SHA-1 3DES (no legacy provider needed).
openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 -passout pass:1900000001 \
  -name "Tenpay Certificate" -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
# The older form real apiclient_cert.p12 files have: RC2-40 certificate bag (needs OpenSSL's legacy provider).
openssl pkcs12 -export -legacy -in client.pem -inkey client.key -out client.legacy.p12 -passout pass:1900000001 \
  -name "Tenpay Certificate"
rm -f server.csr client.csr ca.srl ca.key
chmod 644 ./*.pem ./*.key ./*.p12
