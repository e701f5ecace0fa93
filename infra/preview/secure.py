"""Which stack-file keys may hold `secure:` values, and what a ciphertext must look like.

A `secure:` value on a key nobody treats as secret would be decrypted and land in plain
resource inputs; a `secure:` payload that is not ciphertext of the stack's secrets provider
is plaintext that `pulumi up` would fail to decrypt. Both are stack-file errors.

Ciphertext forms, as the Pulumi CLI writes them (pulumi/pulumi at 1b5949891b):
- every config secret, whatever the provider, is `v1:<base64 nonce>:<base64 ciphertext>`
  with a 12-byte AES-256-GCM nonce (sdk/go/common/resource/config/crypt.go:179-182 writes
  it, :189-220 reads it: three `:`-separated parts, version `v1`, standard base64, nonce
  size checked); the GCM tag makes the ciphertext at least 16 bytes;
- the passphrase provider keeps its salt in `encryptionsalt` as `v1:<base64 salt>:<a
  ciphertext as above>` (pkg/secrets/passphrase/manager.go:49-63 reads, :164-178 writes);
- a cloud provider (`secretsprovider: gcpkms://projects/P/locations/L/keyRings/R/
  cryptoKeys/K`) wraps the data key with KMS and stores it in `encryptedkey` as standard
  base64 (pkg/secrets/cloud/manager.go:139-150, 212-224); its config values are
  `v1:` ciphertexts made with that data key (manager.go:120). A stack file may lack
  `encryptedkey` when the secrets manager comes from the state (pulumi/pulumi#17236).
"""

from __future__ import annotations

import base64
import binascii
import re

from infra.config.loader import SECRET_PATHS

NONCE_BYTES = 12
GCM_TAG_BYTES = 16
_GCPKMS = re.compile(
    r"gcpkms://projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/[a-z0-9-]+/"
    r"keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_ciphertext(value: object) -> bool:
    """A `v1:<nonce>:<ciphertext>` value as crypt.go's DecryptValue would accept it."""
    if not isinstance(value, str):
        return False
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "v1":
        return False
    nonce, sealed = _b64(parts[1]), _b64(parts[2])
    return (
        nonce is not None
        and len(nonce) == NONCE_BYTES
        and sealed is not None
        and len(sealed) >= GCM_TAG_BYTES
    )


def provider_problem(document: dict[str, object]) -> tuple[str, str] | None:
    """(key, message) when the stack's secrets-provider settings are malformed, else None."""
    provider = document.get("secretsprovider")
    if provider is None or provider == "passphrase":
        salt = document.get("encryptionsalt")
        if salt is None:
            return None
        parts = salt.split(":", 2) if isinstance(salt, str) else []
        if len(parts) != 3 or parts[0] != "v1" or _b64(parts[1]) is None:
            return "encryptionsalt", "must be v1:<base64 salt>:<ciphertext> (pulumi stack init)"
        if not is_ciphertext(parts[2]):
            return "encryptionsalt", "its check value is not a v1:<nonce>:<ciphertext>"
        return None
    if not isinstance(provider, str) or not _GCPKMS.fullmatch(provider):
        return (
            "secretsprovider",
            "must be passphrase or gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K",
        )
    # Absent until the first `pulumi up` writes it: jobs on a fresh runner then take the
    # secrets manager recorded in the state (PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER,
    # pulumi/pulumi#17236; see .github/workflows/deploy.yml). When present it must be the
    # base64 envelope the cloud manager writes.
    key = document.get("encryptedkey")
    if key is not None and (not isinstance(key, str) or not key or _b64(key) is None):
        return "encryptedkey", "must be the base64 KMS-wrapped data key `pulumi stack init` writes"
    return None


def secure_problem(path: str, ciphertext: object) -> str | None:
    """Why a `secure:` value at `path` (e.g. servestack:local.registryPassword) is refused."""
    if path not in SECRET_PATHS:
        allowed = ", ".join(sorted(SECRET_PATHS))
        return f"must not be a secure value; secure values go only on {allowed}"
    if not is_ciphertext(ciphertext):
        return (
            "secure: is not ciphertext (v1:<base64 nonce>:<base64 data>); "
            "use pulumi config set --secret"
        )
    return None
