"""A real RFC 3161 time-stamping authority for tests: loopback HTTP, certificates made here.

It parses the TimeStampReq (DER), builds a TSTInfo over the request's imprint and nonce, and
signs it as CMS SignedData (id-ct-TSTInfo, signing-certificate-v2 attribute) with a P-256 key
whose certificate carries the critical id-kp-timeStamping EKU, issued by a test root CA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

POLICY = "1.3.6.1.4.1.57264.2"


@dataclass
class TestCA:
    """A root CA and a TSA leaf issued by it."""

    root: x509.Certificate
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey

    @property
    def root_pem(self) -> bytes:
        """The root certificate as PEM."""
        return self.root.public_bytes(serialization.Encoding.PEM)


def make_ca(name: str = "Hallmark Test") -> TestCA:
    """A fresh root CA and TSA certificate (valid from yesterday for ten days)."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root CA")])
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} TSA")]))
        .issuer_name(root_name).public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return TestCA(root, leaf, leaf_key)


def respond(ca: TestCA, request_der: bytes, serial: int) -> bytes:
    """A granted TimeStampResp (DER) for one TimeStampReq (DER)."""
    req = tsp.TimeStampReq.load(request_der)
    info: dict[str, object] = {
        "version": "v1", "policy": POLICY, "message_imprint": req["message_imprint"],
        "serial_number": serial, "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "accuracy": {"seconds": 1},
    }
    if req["nonce"].native is not None:
        info["nonce"] = req["nonce"].native
    tst = tsp.TSTInfo(info)
    content = tst.dump()
    leaf_der = ca.leaf.public_bytes(serialization.Encoding.DER)
    leaf_asn1 = asn1_x509.Certificate.load(leaf_der)
    signing_cert = tsp.SigningCertificateV2({"certs": [{
        "hash_algorithm": {"algorithm": "sha256"},
        "cert_hash": hashlib.sha256(leaf_der).digest(),
    }]})
    signed_attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(
            dt.datetime.now(dt.UTC).replace(microsecond=0))})]},
        {"type": "signing_certificate_v2", "values": [signing_cert]},
    ])
    signature = ca.leaf_key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": leaf_asn1.issuer, "serial_number": leaf_asn1.serial_number}}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": "tst_info",
                               "content": core.ParsableOctetString(content)},
        # Like many public TSAs, send the whole chain when asked for certificates.
        "certificates": [leaf_asn1, asn1_x509.Certificate.load(
            ca.root.public_bytes(serialization.Encoding.DER))] if req["cert_req"].native else [],
        "signer_infos": [signer],
    })
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


@contextmanager
def serve(ca: TestCA) -> Iterator[str]:
    """Run the TSA on 127.0.0.1 (an ephemeral port) for the duration; yields its URL."""
    counter = iter(range(1, 1 << 30))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(min(int(self.headers.get("Content-Length", "0")), 1 << 16))
            try:
                answer = respond(ca, body, next(counter))
                status = 200
            except Exception:  # a malformed request gets a 400 here, as a real TSA would
                answer, status = b"bad request", 400
            self.send_response(status)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
