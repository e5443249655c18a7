#!/usr/bin/env python3
"""Verify a JWT the way Apache Airflow's Execution API verifies its task tokens.

The checks follow Airflow's ``JWTValidator`` (airflow-core/src/airflow/api_fastapi/auth/tokens.py)
as the Execution API configures it (airflow-core/src/airflow/api_fastapi/execution_api/app.py,
``_jwt_validator``), followed by the claim model the Execution API builds from the result
(airflow-core/src/airflow/api_fastapi/execution_api/security.py and datamodels/token.py):

1. Key: a shared secret (``[api_auth] jwt_secret``), used as the UTF-8 bytes of its text; or a
   JWK Set (``[api_auth] trusted_jwks_url``, or the set Airflow builds in memory from
   ``[api_auth] jwt_private_key_path``), where the token header must carry a ``kid`` naming one
   of its keys.
2. ``jwt.decode`` with ``algorithms`` (``[api_auth] jwt_algorithm``; HS512 for a secret),
   ``audience`` (``[execution_api] jwt_audience``), ``issuer`` (``[api_auth] jwt_issuer``),
   ``leeway`` (``[api_auth] jwt_leeway``, 10 s) and the required claims ``aud``, ``exp``,
   ``iat`` (plus ``iss`` when an issuer is configured).
3. The claim model: ``scope`` defaults to ``execution`` and must be ``execution`` or
   ``workload``; ``sub`` must be a UUID; ``exp``, ``iat`` and ``nbf`` must be integers.
   Airflow answers 403 when step 1, 2 or 3 fails, and 401 only when no bearer token came.

The installed PyJWT may be older than the one Airflow requires (``pyjwt>=2.10.0``). Where the
newer PyJWT behaves differently this script does what the newer one does:
- A JWK Set key is bound to one algorithm: the JWK's ``alg``, else the default for its type
  (RSA -> RS256, EC P-256 -> ES256, OKP Ed25519 -> EdDSA). A token whose header ``alg`` is
  not that algorithm is rejected (``InvalidAlgorithmError``).
- ``sub`` and ``jti``, when present, must be strings.

Usage:
    verify.py [--token TOKEN] (--secret TEXT | --jwks FILE | --private-key PEM) [options]
        The token is read from standard input when --token is absent. Prints one JSON
        object: {"result": "OK", "header": ..., "claims": ...} or
        {"result": "ERROR", "stage": ..., "error": ..., "message": ...}. Exit status 0 or 1.
    verify.py --vectors vectors.json
        Checks every token of the file against its "verify" settings and "expect" field.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as _dt
import hashlib
import json
import sys
import uuid
from typing import Any, Iterator

import jwt
import jwt.api_jwt
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

EXECUTION_AUDIENCE = "urn:airflow.apache.org:task"
DEFAULT_LEEWAY = 10
EXECUTION_REQUIRED_CLAIMS = ("aud", "exp", "iat")
TOKEN_SCOPES = ("execution", "workload")


# --- keys -------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def pyjwt_public_jwk(key: Any) -> dict[str, Any]:
    """The public JWK of a key, with PyJWT's members in PyJWT's order.

    RSA keys get ``key_ops: ["verify"]``; EC and OKP keys get no ``key_ops``.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        key = key.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        text = RSAAlgorithm(RSAAlgorithm.SHA256).to_jwk(key)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        text = ECAlgorithm(ECAlgorithm.SHA256).to_jwk(key)
    elif isinstance(key, ed25519.Ed25519PublicKey):
        text = OKPAlgorithm().to_jwk(key)
    else:
        raise ValueError(f"unsupported key type {type(key).__name__}")
    # Older PyJWT returns JSON text only; json.loads keeps the member order.
    return json.loads(text) if isinstance(text, str) else dict(text)


def airflow_kid_input(jwk: dict[str, Any]) -> str:
    """The text Airflow hashes for a kid: every member of PyJWT's JWK, keys sorted, no spaces."""
    return json.dumps(jwk, separators=(",", ":"), sort_keys=True)


def airflow_kid(jwk: dict[str, Any]) -> str:
    """Airflow's kid: base64url(SHA-256(airflow_kid_input(jwk))) without padding."""
    return b64url(hashlib.sha256(airflow_kid_input(jwk).encode("utf-8")).digest())


RFC7638_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def rfc7638_input(jwk: dict[str, Any]) -> str:
    """RFC 7638 section 3: the required members only, sorted, no whitespace."""
    members = RFC7638_MEMBERS[jwk["kty"]]
    return json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)


def rfc7638_kid(jwk: dict[str, Any]) -> str:
    return b64url(hashlib.sha256(rfc7638_input(jwk).encode("utf-8")).digest())


def airflow_jwk(key: Any, kid: str | None = None) -> dict[str, Any]:
    """What Airflow's key_to_jwk_dict returns: PyJWT's public JWK plus ``kid``.

    Airflow accepts only RSA and Ed25519 keys here; for an EC key it raises ValueError.
    """
    jwk = pyjwt_public_jwk(key)
    if jwk["kty"] not in ("RSA", "OKP"):
        raise ValueError(f"Airflow derives no JWK for a {jwk['kty']} key")
    jwk["kid"] = kid or airflow_kid(jwk)
    return jwk


def airflow_guess_algorithm(key: Any) -> str:
    """Airflow's _guess_best_algorithm: RS512 for RSA, EdDSA for Ed25519, else ValueError."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RS512"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError(f"Airflow guesses no algorithm for {type(key).__name__}")


def bound_algorithm(jwk: dict[str, Any]) -> str:
    """The algorithm PyJWT's PyJWK binds a JWK to: its ``alg``, else the default for its type."""
    if jwk.get("alg"):
        return jwk["alg"]
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        return "RS256"
    if kty == "EC":
        return {None: "ES256", "P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}[crv]
    if kty == "OKP" and crv == "Ed25519":
        return "EdDSA"
    if kty == "oct":
        return "HS256"
    raise jwt.InvalidKeyError(f"unsupported JWK kty={kty} crv={crv}")


# --- verification -----------------------------------------------------------------------


class VerifyError(Exception):
    def __init__(self, stage: str, error: str, message: str):
        super().__init__(message)
        self.stage, self.error, self.message = stage, error, message


@contextlib.contextmanager
def frozen_clock(now: int | None) -> Iterator[None]:
    """Pin the clock PyJWT reads when it checks exp, nbf and iat."""
    if now is None:
        yield
        return
    real = jwt.api_jwt.datetime

    class Frozen(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real.fromtimestamp(now, tz=tz or _dt.timezone.utc)

    jwt.api_jwt.datetime = Frozen
    try:
        yield
    finally:
        jwt.api_jwt.datetime = real


def _fail(stage: str, err: Exception) -> VerifyError:
    return VerifyError(stage, type(err).__name__, str(err))


def validate(
    token: str,
    *,
    secret: str | None = None,
    jwks: dict[str, Any] | None = None,
    algorithms: list[str] | None = None,
    audience: list[str] | str | None = None,
    issuer: str | None = None,
    leeway: int = DEFAULT_LEEWAY,
    required_claims: list[str] | None = None,
    now: int | None = None,
    ti_claims: bool = True,
) -> dict[str, Any]:
    """Verify ``token``; return {"header", "claims"} or raise VerifyError."""
    if (secret is None) == (jwks is None):
        raise ValueError("give exactly one of secret and jwks")
    audience = [EXECUTION_AUDIENCE] if audience is None else audience
    if required_claims is None:
        required_claims = list(EXECUTION_REQUIRED_CLAIMS) + (["iss"] if issuer else [])

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise _fail("header", err) from None

    if secret is not None:
        if secret == "":
            raise ValueError("an empty secret means no secret to Airflow")
        key: Any = secret
        algorithms = algorithms or ["HS512"]
    else:
        if not algorithms:
            raise ValueError("Airflow cannot guess the algorithm for a JWK Set: give --alg")
        if "kid" not in header:
            raise VerifyError("key", "InvalidTokenError", "Missing 'kid' in token header")
        matches = [k for k in jwks.get("keys", []) if k.get("kid") == header["kid"]]
        if not matches:
            raise VerifyError("key", "KeyError", f"keyset has no key for kid: {header['kid']}")
        jwk = matches[0]
        alg = bound_algorithm(jwk)
        if header.get("alg") not in algorithms:
            raise VerifyError("signature", "InvalidAlgorithmError", "The specified alg value is not allowed")
        if header.get("alg") != alg:
            raise VerifyError(
                "signature",
                "InvalidAlgorithmError",
                f"Token algorithm {header.get('alg')!r} does not match the key's algorithm {alg!r}",
            )
        try:
            key = jwt.PyJWK(jwk, alg).key
        except jwt.PyJWTError as err:
            raise _fail("key", err) from None
        algorithms = [alg]

    try:
        with frozen_clock(now):
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=leeway,
                options={"require": list(required_claims)},
            )
    except jwt.PyJWTError as err:
        raise _fail("signature" if isinstance(err, (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError)) else "claims", err) from None

    for name, error in (("sub", "InvalidSubjectError"), ("jti", "InvalidJTIError")):
        if name in claims and not isinstance(claims[name], str):
            raise VerifyError("claims", error, f"{name} must be a string")

    if ti_claims:
        check_ti_claims(claims)
    return {"header": header, "claims": claims}


def check_ti_claims(claims: dict[str, Any]) -> None:
    """The Execution API's claim model (TIClaims), applied after the JWT checks."""
    scope = claims.get("scope", "execution")
    if scope not in TOKEN_SCOPES:
        raise VerifyError("ti_claims", "ValidationError", f"scope must be one of {TOKEN_SCOPES}")
    try:
        uuid.UUID(str(claims.get("sub")))
    except ValueError:
        raise VerifyError("ti_claims", "ValidationError", "sub must be a UUID") from None
    for name in ("exp", "iat", "nbf"):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise VerifyError("ti_claims", "ValidationError", f"{name} must be an integer")


def run(token: str, **kwargs: Any) -> dict[str, Any]:
    try:
        out = validate(token, **kwargs)
    except VerifyError as err:
        return {"result": "ERROR", "stage": err.stage, "error": err.error, "message": err.message}
    return {"result": "OK", "header": out["header"], "claims": out["claims"]}


# --- vectors ----------------------------------------------------------------------------


def check_vectors(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    passed = failed = 0
    for vec in doc["tokens"]:
        v = vec["verify"]
        kwargs: dict[str, Any] = {
            "algorithms": v["algorithms"],
            "audience": v["audience"],
            "issuer": v["issuer"],
            "leeway": v["leeway"],
            "required_claims": v["required_claims"],
            "now": v["now"],
        }
        if v["key_source"] == "secret":
            kwargs["secret"] = doc["secrets"][v["secret"]]["text"]
        else:
            kwargs["jwks"] = doc["keys"][v["key"]][v["key_source"]]
        got = run(vec["token"], **kwargs)
        want = vec["expect"]
        if want["result"] == "accept":
            ok = got["result"] == "OK" and got["claims"] == vec["claims"] and got["header"] == vec["header"]
        else:
            ok = got["result"] == "ERROR" and got["error"] in want["errors"]
        passed += ok
        failed += not ok
        print(json.dumps({"name": vec["name"], "ok": ok, **got}, sort_keys=True))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# --- command line -----------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vectors", help="check every token of a vectors.json file")
    p.add_argument("--token", help="the token; read from standard input when absent")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--secret", help="[api_auth] jwt_secret: the text, used as its UTF-8 bytes")
    key.add_argument("--secret-file", help="a file holding the secret text (one trailing newline dropped)")
    key.add_argument("--jwks", help="a JWK Set file, as [api_auth] trusted_jwks_url")
    key.add_argument("--private-key", help="a PEM private key, as [api_auth] jwt_private_key_path")
    p.add_argument("--alg", action="append", help="[api_auth] jwt_algorithm (repeatable)")
    p.add_argument("--audience", action="append", help=f"accepted audience (repeatable; default {EXECUTION_AUDIENCE})")
    p.add_argument("--issuer", help="[api_auth] jwt_issuer; when set, iss is required and must match")
    p.add_argument("--leeway", type=int, default=DEFAULT_LEEWAY, help="[api_auth] jwt_leeway in seconds")
    p.add_argument("--now", type=int, help="pin the clock to this Unix time")
    p.add_argument("--no-ti-claims", action="store_true", help="skip the Execution API claim model")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, stdin_token: str | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.vectors:
        return check_vectors(args.vectors)

    token = args.token if args.token is not None else (stdin_token if stdin_token is not None else sys.stdin.read())
    token = token.strip()
    kwargs: dict[str, Any] = {
        "algorithms": args.alg,
        "audience": args.audience,
        "issuer": args.issuer,
        "leeway": args.leeway,
        "now": args.now,
        "ti_claims": not args.no_ti_claims,
    }
    if args.secret is not None:
        kwargs["secret"] = args.secret
    elif args.secret_file:
        with open(args.secret_file, encoding="utf-8") as fh:
            text = fh.read()
        kwargs["secret"] = text[:-1] if text.endswith("\n") else text
    elif args.jwks:
        with open(args.jwks, encoding="utf-8") as fh:
            kwargs["jwks"] = json.load(fh)
    elif args.private_key:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        with open(args.private_key, "rb") as fh:
            priv = load_pem_private_key(fh.read(), password=None)
        kwargs["jwks"] = {"keys": [airflow_jwk(priv)]}
        kwargs["algorithms"] = args.alg or [airflow_guess_algorithm(priv)]
    else:
        print("give --secret, --secret-file, --jwks or --private-key", file=sys.stderr)
        return 2

    out = run(token, **kwargs)
    print(json.dumps(out, indent=2))
    return 0 if out["result"] == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
