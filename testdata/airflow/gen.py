#!/usr/bin/env python3
"""Generate vectors.json: task tokens minted the way Apache Airflow mints them, with PyJWT.

Run from anywhere with Debian's Python and python3-jwt / python3-cryptography:

    python3 testdata/airflow/gen.py              # rewrite vectors.json next to this file
    python3 testdata/airflow/gen.py --make-keys  # first create any missing test key file
    python3 testdata/airflow/gen.py --verify [verify.py options] < token

The key files next to this script (ed25519.pem, rsa2048.pem, p256.pem) are TEST KEYS,
published on purpose: never use them for anything but tests.

Everything is fixed (keys, secrets, times, subject, jti), so the output is byte-identical
from run to run. The one exception is ECDSA: its signatures are randomized, so an ES256
token already in vectors.json is kept as long as its header and claims are unchanged and
its signature still verifies; --fresh-ecdsa signs it anew.

--verify checks a token read from standard input the way Airflow's Execution API does
(see verify.py, which this option runs).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ next to the vectors

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

import verify  # noqa: E402

OUT = os.path.join(HERE, "vectors.json")

# 2026-01-01T00:00:00Z. Tokens verify with the clock pinned here (or up to exp + leeway).
IAT = 1767225600
EXECUTION_VALID_FOR = 600  # [execution_api] jwt_expiration_time default
WORKLOAD_VALID_FOR = 86400
REISSUE_AT = IAT + 500  # 100 s left of 600: below max(20% of 600, 30) = 120, so Airflow reissues
SUB = "01966a5e-3a9c-7d2b-8e4f-5a6b7c8d9e0f"  # a task instance id (Airflow uses UUIDv7)
JTI = "3f1c6a0e9b7d4e2f8a5c1b0d6e4f2a9c"  # uuid4().hex shape
JTI_REISSUED = "9d2e7b4a1c6f4e8b9a3d5c7e0f1b2a46"
AUDIENCE = verify.EXECUTION_AUDIENCE
ISSUER = "http://airflow.example.test"
LEEWAY = verify.DEFAULT_LEEWAY

KEY_FILES = {"ed25519": "ed25519.pem", "rsa2048": "rsa2048.pem", "p256": "p256.pem"}
# The algorithm the vectors sign with for each key (RSA: RS256, see rs512_execution_guessed_alg).
KEY_ALGS = {"ed25519": "EdDSA", "rsa2048": "RS256", "p256": "ES256"}


# --- inputs -----------------------------------------------------------------------------


def derived_bytes(label: str, n: int) -> bytes:
    """Fixed stand-ins for os.urandom(n): SHA-512 of a label, truncated."""
    return hashlib.sha512(f"execauth airflow test vectors: {label}".encode()).digest()[:n]


SECRETS: dict[str, dict[str, str]] = {
    "airflow_cfg_24": {
        "text": base64.b64encode(derived_bytes("jwt_secret airflow.cfg", 16)).decode(),
        "form": "base64.b64encode(16 random bytes): 24 characters, standard alphabet, '==' padding. "
        "What Airflow writes as [api_auth] jwt_secret when it creates airflow.cfg "
        "(airflow-core/src/airflow/configuration.py, write_default_airflow_configuration_if_needed).",
    },
    "runtime_22": {
        "text": base64.urlsafe_b64encode(derived_bytes("jwt_secret runtime", 16)).decode().rstrip("="),
        "form": "base64url of 16 random bytes without padding: 22 characters, the shape of "
        "secrets.token_urlsafe(16). What Airflow generates for the process when jwt_secret is empty and "
        "make_secret_key_if_needed is true (tokens.py, get_signing_key).",
    },
    "long_64": {
        "text": base64.urlsafe_b64encode(derived_bytes("jwt_secret long", 48)).decode(),
        "form": "64 characters of base64url text (48 random bytes), set by an operator: the shortest "
        "secret whose UTF-8 bytes are as long as the HS512 output.",
    },
}


def make_keys() -> None:
    makers = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    }
    for name, fname in KEY_FILES.items():
        path = os.path.join(HERE, fname)
        if os.path.exists(path):
            continue
        pem = makers[name]().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with open(path, "wb") as fh:
            fh.write(pem)
        print(f"wrote {fname}", file=sys.stderr)


def load_keys() -> dict[str, Any]:
    keys = {}
    for name, fname in KEY_FILES.items():
        with open(os.path.join(HERE, fname), "rb") as fh:
            keys[name] = serialization.load_pem_private_key(fh.read(), password=None)
    return keys


# --- Airflow's generator ----------------------------------------------------------------


def airflow_generate(
    *,
    signing_key: Any,
    algorithm: str,
    kid: str | None,
    now: int,
    valid_for: int,
    jti: str | None,
    extras: dict[str, Any] | None,
    issuer: str | None = None,
    audience: str | None = AUDIENCE,
) -> str:
    """JWTGenerator.generate with the clock and uuid4 fixed.

    Claims: jti, iss (only when jwt_issuer is set), aud, nbf, exp, iat, merged as
    ``extras | claims``: the extras' keys come first, and the generator's values win.
    The header is {"alg", "kid" (asymmetric keys only)}; PyJWT adds "typ": "JWT" and
    writes the header with sorted keys.
    """
    claims: dict[str, Any] = {"jti": jti, "iss": issuer, "aud": audience, "nbf": now, "exp": int(now + valid_for), "iat": now}
    for name in ("jti", "iss", "aud"):
        if claims[name] is None:
            del claims[name]
    if extras is not None:
        claims = extras | claims
    headers: dict[str, Any] = {"alg": algorithm}
    if kid is not None:
        headers["kid"] = kid
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)


def legacy_generate(*, signing_key: Any, algorithm: str, now: int, valid_for: int, extras: dict[str, Any]) -> str:
    """The generator of the first airflow/api_fastapi/auth/tokens.py: no jti, and
    ``claims.update(extras)``, so the generator's claims come first."""
    claims: dict[str, Any] = {"aud": AUDIENCE, "nbf": now, "exp": int(now + valid_for), "iat": now}
    claims.update(extras)
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"alg": algorithm})


def decode_segment(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --- vectors ----------------------------------------------------------------------------


def key_entry(name: str, key: Any) -> dict[str, Any]:
    pyjwt_jwk = verify.pyjwt_public_jwk(key)
    entry: dict[str, Any] = {
        "alg": KEY_ALGS[name],
        "kty": pyjwt_jwk["kty"],
        "private_pem_file": KEY_FILES[name],
        "pyjwt_jwk": pyjwt_jwk,
        "rfc7638_input": verify.rfc7638_input(pyjwt_jwk),
        "rfc7638_kid": verify.rfc7638_kid(pyjwt_jwk),
    }
    if pyjwt_jwk["kty"] in ("RSA", "OKP"):
        public_jwk = verify.airflow_jwk(key)
        entry.update(
            {
                "airflow_guess_alg": verify.airflow_guess_algorithm(key),
                "airflow_kid_input": verify.airflow_kid_input(pyjwt_jwk),
                "airflow_kid": public_jwk["kid"],
                "airflow_kid_equals_rfc7638": public_jwk["kid"] == entry["rfc7638_kid"],
                "public_jwk": public_jwk,
                "jwks": {"keys": [public_jwk]},
                "notes": "public_jwk is key_to_jwk_dict(key): PyJWT's JWK plus kid. jwks is the key set "
                "Airflow builds in memory from [api_auth] jwt_private_key_path (JWKS.from_private_key), "
                "and the document to publish at [api_auth] trusted_jwks_url for other verifiers.",
            }
        )
    else:
        public_jwk = dict(pyjwt_jwk, kid=entry["rfc7638_kid"])
        entry.update(
            {
                "airflow_guess_alg": None,
                "airflow_kid_input": None,
                "airflow_kid": None,
                "airflow_kid_equals_rfc7638": None,
                "public_jwk": public_jwk,
                "jwks": {"keys": [public_jwk]},
                "notes": "Airflow derives no kid or JWK for EC keys: key_to_jwk_dict and "
                "_guess_best_algorithm raise ValueError. Airflow signs ES256 only with "
                "[api_auth] jwt_kid and jwt_algorithm = ES256 set, and verifies only through "
                "[api_auth] trusted_jwks_url. Here jwt_kid is set to the RFC 7638 thumbprint and "
                "jwks is the document an operator would publish (PyJWT's JWK plus that kid).",
            }
        )
    return entry


def verify_settings(
    *, key_source: str, algorithms: list[str], secret: str | None = None, key: str | None = None,
    issuer: str | None = None, now: int = IAT,
) -> dict[str, Any]:
    return {
        "key_source": key_source,
        "secret": secret,
        "key": key,
        "algorithms": algorithms,
        "audience": [AUDIENCE],
        "issuer": issuer,
        "leeway": LEEWAY,
        "required_claims": list(verify.EXECUTION_REQUIRED_CLAIMS) + (["iss"] if issuer else []),
        "now": now,
    }


ACCEPT = {"result": "accept"}


def reject(*errors: str) -> dict[str, Any]:
    return {"result": "reject", "errors": list(errors)}


def build(keys: dict[str, Any], previous: dict[str, str], fresh_ecdsa: bool) -> dict[str, Any]:
    key_entries = {name: key_entry(name, k) for name, k in keys.items()}
    secret = {name: s["text"] for name, s in SECRETS.items()}
    execution = {"sub": SUB, "scope": "execution"}
    workload = {"sub": SUB, "scope": "workload"}
    tokens: list[dict[str, Any]] = []

    def add(name: str, alg: str, key_name: str, token: str, verify_cfg: dict[str, Any], expect: dict[str, Any], notes: str) -> str:
        if alg.startswith("ES") and not fresh_ecdsa and name in previous:
            old = previous[name]
            if old.rsplit(".", 1)[0] == token.rsplit(".", 1)[0]:
                pub = keys[key_name].public_key()
                try:
                    jwt.decode(old, pub, algorithms=[alg], options={"verify_signature": True, "verify_exp": False,
                               "verify_nbf": False, "verify_iat": False, "verify_aud": False, "verify_iss": False})
                    token = old
                except jwt.InvalidSignatureError:
                    pass
        head, body, _ = token.split(".")
        tokens.append(
            {
                "name": name,
                "alg": alg,
                "key": key_name,
                "token": token,
                "header": decode_segment(head),
                "claims": decode_segment(body),
                "verify": verify_cfg,
                "expect": expect,
                "notes": notes,
            }
        )
        return token

    hs = lambda s, **kw: verify_settings(key_source="secret", secret=s, algorithms=["HS512"], **kw)  # noqa: E731

    # HMAC: the secret text's UTF-8 bytes are the key; no kid in the header.
    exec22 = add(
        "hs512_execution_runtime22", "HS512", "runtime_22",
        airflow_generate(signing_key=secret["runtime_22"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        hs("runtime_22"), ACCEPT,
        "Execution token as the run exchange (issue_execution_token) and JWTGenerator.generate "
        "mint it with a 22-character jwt_secret. HMAC key = UTF-8 bytes of the text (22 bytes), not "
        "its base64 decoding. No kid header: Airflow adds kid only when it signs with a private key.",
    )
    add(
        "hs512_execution_cfg24", "HS512", "airflow_cfg_24",
        airflow_generate(signing_key=secret["airflow_cfg_24"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        hs("airflow_cfg_24"), ACCEPT,
        "Execution token with the 24-character secret Airflow writes into a new airflow.cfg "
        "(standard base64 with '==' padding); the key is those 24 bytes of text.",
    )
    add(
        "hs512_execution_long64", "HS512", "long_64",
        airflow_generate(signing_key=secret["long_64"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        hs("long_64"), ACCEPT,
        "Execution token with a 64-character secret: 64 key bytes, the HS512 output size.",
    )
    add(
        "hs512_workload_runtime22", "HS512", "runtime_22",
        airflow_generate(signing_key=secret["runtime_22"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=WORKLOAD_VALID_FOR, jti=JTI, extras=workload),
        hs("runtime_22"), ACCEPT,
        "Workload token as the scheduler's executor ships it with a queued task "
        "(generate(extras={'sub': ti_id, 'scope': 'workload'})). Lifetime here 86400 s; current Airflow "
        "uses [scheduler] task_queued_timeout (default 600.0) as valid_for.",
    )
    add(
        "hs512_no_scope_runtime22", "HS512", "runtime_22",
        airflow_generate(signing_key=secret["runtime_22"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras={"sub": SUB}),
        hs("runtime_22"), ACCEPT,
        "Token of a release before token scopes: generate(extras={'sub': ti_id}). The Execution API "
        "treats a missing scope as 'execution' (claims.setdefault('scope', 'execution')).",
    )
    add(
        "hs512_legacy_no_jti_runtime22", "HS512", "runtime_22",
        legacy_generate(signing_key=secret["runtime_22"], algorithm="HS512", now=IAT,
                        valid_for=EXECUTION_VALID_FOR, extras={"sub": SUB}),
        hs("runtime_22"), ACCEPT,
        "The first generator (airflow/api_fastapi/auth/tokens.py before the airflow-core move): no jti, "
        "no scope, and claims.update(extras) puts sub last.",
    )
    add(
        "hs512_execution_with_iss_runtime22", "HS512", "runtime_22",
        airflow_generate(signing_key=secret["runtime_22"], algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution, issuer=ISSUER),
        hs("runtime_22", issuer=ISSUER), ACCEPT,
        f"[api_auth] jwt_issuer = {ISSUER}: iss sits between jti and aud, and the validator then "
        "requires iss and checks it.",
    )
    add(
        "hs512_no_iss_rejected_when_issuer_set", "HS512", "runtime_22", exec22,
        hs("runtime_22", issuer=ISSUER), reject("MissingRequiredClaimError"),
        "The token without iss, checked by a validator with jwt_issuer set: rejected.",
    )
    add(
        "hs512_reissued_runtime22", "HS512", "runtime_22",
        airflow_generate(signing_key=secret["runtime_22"], algorithm="HS512", kid=None, now=REISSUE_AT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI_REISSUED,
                         extras=jwt.decode(exec22, secret["runtime_22"], algorithms=["HS512"],
                                           options={"verify_exp": False, "verify_nbf": False,
                                                    "verify_iat": False, "verify_aud": False})),
        hs("runtime_22", now=REISSUE_AT), ACCEPT,
        "Refreshed-API-Token for hs512_execution_runtime22 at iat + 500 (100 s left, threshold "
        "max(int(600 * 0.2), 30) = 120): JWTReissueMiddleware calls generate(old_claims); the old "
        "claims keep their order, jti/nbf/exp/iat are new.",
    )
    decoded_key = base64.urlsafe_b64decode(secret["runtime_22"] + "==")
    add(
        "hs512_base64_decoded_key_rejected", "HS512", "runtime_22",
        airflow_generate(signing_key=decoded_key, algorithm="HS512", kid=None, now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        hs("runtime_22"), reject("InvalidSignatureError"),
        "Signed with the base64url-decoded secret (16 bytes) instead of its text: Airflow rejects it. "
        "A verifier that decodes jwt_secret would accept this one and reject the real ones.",
    )

    # Asymmetric keys: the kid Airflow derives (or jwt_kid), as Airflow's generator writes it.
    ed = key_entries["ed25519"]
    add(
        "eddsa_execution", "EdDSA", "ed25519",
        airflow_generate(signing_key=keys["ed25519"], algorithm="EdDSA", kid=ed["airflow_kid"], now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        verify_settings(key_source="jwks", key="ed25519", algorithms=["EdDSA"]), ACCEPT,
        "Ed25519 key at jwt_private_key_path, jwt_algorithm unset (guess: EdDSA), jwt_kid unset: kid is "
        "Airflow's thumbprint, which for OKP equals the RFC 7638 thumbprint.",
    )
    add(
        "eddsa_workload", "EdDSA", "ed25519",
        airflow_generate(signing_key=keys["ed25519"], algorithm="EdDSA", kid=ed["airflow_kid"], now=IAT,
                         valid_for=WORKLOAD_VALID_FOR, jti=JTI, extras=workload),
        verify_settings(key_source="jwks", key="ed25519", algorithms=["EdDSA"]), ACCEPT,
        "Workload token signed with the Ed25519 key.",
    )
    rs = key_entries["rsa2048"]
    add(
        "rs256_execution", "RS256", "rsa2048",
        airflow_generate(signing_key=keys["rsa2048"], algorithm="RS256", kid=rs["airflow_kid"], now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        verify_settings(key_source="jwks", key="rsa2048", algorithms=["RS256"]), ACCEPT,
        "RSA key with jwt_algorithm = RS256. kid is Airflow's thumbprint over PyJWT's JWK, which "
        "includes key_ops [\"verify\"], so it differs from the RFC 7638 thumbprint.",
    )
    add(
        "rs512_execution_guessed_alg", "RS512", "rsa2048",
        airflow_generate(signing_key=keys["rsa2048"], algorithm="RS512", kid=rs["airflow_kid"], now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        verify_settings(key_source="jwks", key="rsa2048", algorithms=["RS512"]),
        reject("InvalidAlgorithmError", "InvalidSignatureError"),
        "RSA key with jwt_algorithm unset: Airflow guesses RS512 for signing. Its own key set (no "
        "'alg' member) binds the key to RS256 in PyJWT >= 2.10, so this token fails there: "
        "InvalidAlgorithmError in PyJWT with the alg/key match check, InvalidSignatureError before it. "
        "It verifies against a JWK Set whose RSA key carries \"alg\": \"RS512\".",
    )
    p2 = key_entries["p256"]
    add(
        "es256_execution", "ES256", "p256",
        airflow_generate(signing_key=keys["p256"], algorithm="ES256", kid=p2["rfc7638_kid"], now=IAT,
                         valid_for=EXECUTION_VALID_FOR, jti=JTI, extras=execution),
        verify_settings(key_source="jwks", key="p256", algorithms=["ES256"]), ACCEPT,
        "P-256 key with jwt_algorithm = ES256 and jwt_kid = its RFC 7638 thumbprint (Airflow derives "
        "no kid for EC keys), verified through a trusted_jwks_url document. The signature is "
        "randomized: regenerating keeps this token while its header and claims are unchanged.",
    )

    return {
        "_about": "Task tokens minted the way Apache Airflow's Execution API mints them (PyJWT), for "
        "wire-compatibility tests. Regenerate with: python3 testdata/airflow/gen.py. Check with: "
        "python3 testdata/airflow/verify.py --vectors testdata/airflow/vectors.json. Every time "
        "is fixed: verify each token with the clock at its verify.now (iat, or the reissue time).",
        "pyjwt_version": jwt.__version__,
        "airflow_source": AIRFLOW_SOURCE,
        "airflow_settings": AIRFLOW_SETTINGS,
        "derivations": DERIVATIONS,
        "constants": {
            "iat": IAT,
            "execution_valid_for": EXECUTION_VALID_FOR,
            "workload_valid_for": WORKLOAD_VALID_FOR,
            "reissue_at": REISSUE_AT,
            "sub": SUB,
            "jti": JTI,
            "jti_reissued": JTI_REISSUED,
            "audience": AUDIENCE,
            "issuer_when_set": ISSUER,
            "leeway": LEEWAY,
        },
        "keys": key_entries,
        "secrets": {
            name: {"text": s["text"], "utf8_bytes": len(s["text"].encode()), "form": s["form"]}
            for name, s in SECRETS.items()
        },
        "tokens": tokens,
    }


AIRFLOW_SOURCE = {
    "repository": "apache/airflow",
    "files": {
        "airflow-core/src/airflow/api_fastapi/auth/tokens.py": "JWTGenerator.generate (claims, header), "
        "_generate_kid, key_to_jwk_dict, thumbprint, _guess_best_algorithm, JWKS, JWTValidator, "
        "get_signing_key, get_signing_args, get_sig_validation_args",
        "airflow/api_fastapi/auth/tokens.py": "the first revision of the same module: no jti, "
        "claims.update(extras)",
        "airflow-core/src/airflow/api_fastapi/execution_api/app.py": "_jwt_validator, _jwt_generator, "
        "JWTReissueMiddleware (Refreshed-API-Token)",
        "airflow-core/src/airflow/api_fastapi/execution_api/security.py": "JWTBearer (401 missing token, "
        "403 invalid token), require_auth (token scopes), issue_execution_token",
        "airflow-core/src/airflow/api_fastapi/execution_api/deps.py": "earlier JWTBearer and JWTReissuer",
        "airflow-core/src/airflow/api_fastapi/execution_api/datamodels/token.py": "TIClaims, TIToken",
        "airflow-core/src/airflow/api_fastapi/execution_api/routes/task_instances.py": "ti_run: the "
        "workload -> execution token swap",
        "airflow-core/src/airflow/executors/workloads/base.py": "generate_token: workload tokens",
        "airflow-core/src/airflow/config_templates/config.yml": "[api_auth] and [execution_api] settings "
        "and defaults",
        "airflow-core/src/airflow/configuration.py": "the jwt_secret written into a new airflow.cfg",
        "airflow-core/pyproject.toml": "pyjwt>=2.10.0",
    },
    "pyjwt_files": {
        "jwt/api_jwk.py": "PyJWK binds a JWK without alg to RS256 / ES256 / EdDSA by key type",
        "jwt/api_jws.py": "a PyJWK key verifies with its bound algorithm",
        "jwt/algorithms.py": "to_jwk: RSA public JWK {kty, key_ops: [verify], n, e}; EC {kty, crv, x, y}; "
        "OKP {x, kty, crv}",
    },
}

AIRFLOW_SETTINGS = {
    "api_auth.jwt_secret": "Default '{JWT_SECRET_KEY}': a new airflow.cfg gets base64.b64encode(os.urandom(16)) "
    "(24 characters). If empty, the Execution API fails to start its generator/validator "
    "(make_secret_key_if_needed=False); other callers generate a 22-character base64url secret "
    "for the process. Used as the UTF-8 bytes of the text.",
    "api_auth.jwt_private_key_path": "Default unset. PEM private key (RSA or Ed25519); takes precedence "
    "over jwt_secret for signing.",
    "api_auth.jwt_kid": "Default unset: the kid is derived from the key (see derivations). Not used "
    "when verifying; ignored with jwt_secret.",
    "api_auth.jwt_algorithm": "Default unset ('GUESS'): HS512 with jwt_secret, RS512 for an RSA key, "
    "EdDSA for an Ed25519 key; must be set with trusted_jwks_url. A comma-separated list is accepted "
    "when verifying; the first entry signs.",
    "api_auth.jwt_issuer": "Default unset: no iss claim, and iss not checked. When set: iss is added, "
    "required and compared.",
    "api_auth.jwt_audience": "Default unset. Used by the core API's tokens, not by the Execution API.",
    "api_auth.jwt_leeway": "Default 10 (seconds), for exp, nbf and iat.",
    "api_auth.trusted_jwks_url": "Default unset. A local file path or an http(s) URL of a JWK Set; "
    "remote sets are refetched every 3600 s (retry after 10 s). When unset and jwt_private_key_path "
    "is set, the key set is built from that private key.",
    "api_auth.jwt_expiration_time": "Default 86400: lifetime of the core API's tokens (not task tokens).",
    "execution_api.jwt_expiration_time": "Default 600: lifetime of execution tokens and of reissued ones.",
    "execution_api.jwt_audience": "Default 'urn:airflow.apache.org:task'. A comma-separated list: the "
    "first value is minted, all are accepted.",
    "execution_api.jwt_workload_token_expiration_time": "Not present in the Airflow source read. Workload "
    "tokens live [scheduler] task_queued_timeout seconds (default 600.0); an intermediate revision "
    "minted 'queue'-scoped tokens for [execution_api] jwt_queue_token_expiration_time (fallback 86400).",
}

DERIVATIONS = {
    "airflow_kid": "base64url_nopad(SHA-256(UTF-8(json.dumps(J, separators=(',', ':'), sort_keys=True)))) "
    "where J is PyJWT's public JWK of the key: RSA {kty, key_ops: ['verify'], n, e}, Ed25519 "
    "{x, kty, crv}. For RSA the hash covers key_ops, so it differs from RFC 7638; for Ed25519 J has "
    "exactly the RFC 7638 members, so it equals RFC 7638. EC keys: none (jwt_kid must be set).",
    "hmac_key": "UTF-8 bytes of the jwt_secret text, never base64-decoded. HMAC tokens carry no kid.",
    "claims": "extras | {jti: uuid4().hex, iss (only when set), aud, nbf: now, exp: now + valid_for, "
    "iat: now}; JSON in that insertion order, compact separators. Execution token extras: "
    "{sub: ti_id, scope: 'execution'}; workload: {sub: ti_id, scope: 'workload'}.",
    "header": "{alg, kid (private keys only), typ: 'JWT'} serialized with sorted keys and compact "
    "separators.",
    "reissue": "JWTReissueMiddleware, after the handler: if the bearer token validates and "
    "exp - now <= max(int(lifetime * 0.2), 30), set Refreshed-API-Token = generate(validated_claims). "
    "lifetime is exp - iat of the token in current Airflow ([execution_api] jwt_expiration_time in "
    "earlier revisions). Current Airflow never reissues workload tokens; the run endpoint swaps a "
    "workload token for a new execution token in the same header.",
}


def load_previous() -> dict[str, str]:
    try:
        with open(OUT, encoding="utf-8") as fh:
            return {t["name"]: t["token"] for t in json.load(fh)["tokens"]}
    except (OSError, ValueError, KeyError):
        return {}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        return verify.main(sys.argv[2:], stdin_token=sys.stdin.read())
    p = argparse.ArgumentParser(description="Generate vectors.json.")
    p.add_argument("--make-keys", action="store_true", help="create any missing test key file first")
    p.add_argument("--fresh-ecdsa", action="store_true", help="sign ES256 tokens anew")
    p.add_argument("--out", default=OUT, help="output file (default: vectors.json next to this script)")
    args = p.parse_args()
    if args.make_keys:
        make_keys()
    doc = build(load_keys(), load_previous(), args.fresh_ecdsa)
    text = json.dumps(doc, indent=1, ensure_ascii=True) + "\n"
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
